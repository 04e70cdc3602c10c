#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

#define PATH_BUF 4096

/* What a non-regular file is, for messages. */
static const char *
kind_of(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISLNK(m))
		return "a symbolic link";
	return "not a file";
}

int
uctls_file_open(const char *path, size_t *size, struct uctls_err *err)
{
	struct stat st;
	int fd, fl;

	/* O_NONBLOCK: opening a FIFO without a writer returns at once. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return uctls_err_set(err, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		uctls_err_set(err, "%s: cannot read: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		uctls_err_set(err, "%s: not a regular file (%s): uctls reads regular files only",
		              path, kind_of(st.st_mode));
		goto fail;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		uctls_err_set(err, "%s: cannot read: %s", path, strerror(errno));
		goto fail;
	}
	*size = (size_t)st.st_size;
	return fd;
fail:
	close(fd);
	return -1;
}

int
uctls_file_read(const char *path, size_t max_bytes, unsigned char **data, size_t *len,
                struct uctls_err *err)
{
	unsigned char *buf = NULL;
	size_t size, got = 0;
	ssize_t n;
	int fd, rv = -1;

	*data = NULL;
	*len = 0;
	fd = uctls_file_open(path, &size, err);
	if (fd < 0)
		return -1;
	if (size > max_bytes) {
		uctls_err_set(err, "%s: %zu bytes, more than the %zu uctls reads", path, size,
		              max_bytes);
		goto out;
	}
	buf = malloc(size + 1);
	if (buf == NULL) {
		uctls_err_set(err, "out of memory");
		goto out;
	}
	/* Exactly the size fstat() gave: a file that grows meanwhile is cut
	 * there, one that shrinks ends early. */
	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			uctls_err_set(err, "%s: read error: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	buf = NULL;
	rv = 0;
out:
	free(buf);
	close(fd);
	return rv;
}

static int
check_dir_mode(const char *dir, int private_dir, struct uctls_err *err)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return uctls_err_set(err, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return uctls_err_set(err, "%s: not a directory", dir);
	if (private_dir && st.st_uid != geteuid())
		return uctls_err_set(err, "%s: owned by uid %ld, not by this user (uid %ld): "
		                     "another user could plant keys in it",
		                     dir, (long)st.st_uid, (long)geteuid());
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) == 0 ||
	    (!private_dir && (st.st_mode & S_ISVTX) != 0))
		return 0;
	if (private_dir)
		return uctls_err_set(err, "%s: writable by group or others (mode %04o): another "
		                     "user could plant keys in it; chmod go-w it",
		                     dir, (unsigned)(st.st_mode & 07777));
	return uctls_err_set(err, "%s: writable by group or others and not sticky (mode %04o): "
	                     "another user could replace what uctls writes; chmod go-w it",
	                     dir, (unsigned)(st.st_mode & 07777));
}

int
uctls_file_check_dir(const char *dir, struct uctls_err *err)
{
	return check_dir_mode(dir, 0, err);
}

int
uctls_file_check_private_dir(const char *dir, struct uctls_err *err)
{
	return check_dir_mode(dir, 1, err);
}

/* LEN bytes of DATA to FD.  0, or -1 with errno. */
static int
write_all(int fd, const unsigned char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The directory of PATH into DIR (BUF_SIZE bytes), and its last component
 * in *BASE.  0, or -1 with ERR. */
static int
split_path(const char *path, char *dir, size_t dir_size, const char **base,
           struct uctls_err *err)
{
	const char *slash = strrchr(path, '/');

	*base = slash != NULL ? slash + 1 : path;
	if (**base == '\0' || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0)
		return uctls_err_set(err, "%s: cannot write: not a file name", path);
	if (slash == NULL)
		return snprintf(dir, dir_size, ".") >= 0 ? 0 : -1;
	if (slash == path)
		return snprintf(dir, dir_size, "/") >= 0 ? 0 : -1;
	if ((size_t)(slash - path) >= dir_size)
		return uctls_err_set(err, "%s: path too long", path);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return 0;
}

int
uctls_file_write(const char *path, const void *data, size_t len, mode_t mode,
                 struct uctls_err *err)
{
	char dir[PATH_BUF], tmp[PATH_BUF];
	const char *base;
	struct stat st;
	int fd, rv = -1;

	if (split_path(path, dir, sizeof(dir), &base, err) < 0 ||
	    uctls_file_check_dir(dir, err) < 0)
		return -1;
	/* What is there already: a regular file is replaced, anything else
	 * refused.  (A link planted after this check is replaced by the
	 * rename below, not followed.) */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return uctls_err_set(err, "%s: not a regular file (%s): uctls replaces regular "
		                     "files only", path, kind_of(st.st_mode));
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >= (int)sizeof(tmp))
		return uctls_err_set(err, "%s: path too long", path);
	/* mkostemp: O_CREAT|O_EXCL, mode 0600, a name nobody had. */
	fd = mkostemp(tmp, O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return uctls_err_set(err, "%s: cannot write: %s", path, strerror(errno));
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0) {
		uctls_err_set(err, "%s: cannot write: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) < 0) {
		uctls_err_set(err, "%s: cannot write: %s", path, strerror(errno));
		goto out;
	}
	if (rename(tmp, path) < 0) {
		uctls_err_set(err, "%s: cannot write: %s", path, strerror(errno));
		goto out;
	}
	rv = 0;
out:
	if (rv < 0)
		unlink(tmp);
	return rv;
}
