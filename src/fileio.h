/* uctls — reading and writing files safely (uctls_file_*).
 *
 * Every file uctls reads (scenarios, PEM/DER certificates and keys, trust
 * files, the key cache) and writes (pki export, run --fix, the key cache)
 * goes through here, so that a device, a FIFO or a planted symbolic link
 * cannot make uctls read for ever, block for ever, or write elsewhere.
 *
 * Reading: only a regular file (symbolic links to one are followed), of at
 * most a given size, is read; it is opened non-blocking, so a FIFO is
 * refused at once instead of waiting for a writer.
 *
 * Writing: into a temporary file created with O_CREAT|O_EXCL|O_NOFOLLOW in
 * the target directory, renamed over the final name (rename(2) replaces a
 * symbolic link itself, never what it points to).  A final name that
 * exists and is not a regular file (a symbolic link, FIFO, directory...) is
 * refused; so is a directory writable by group or others without the
 * sticky bit (another user could swap the files).
 *
 * Errors are "PATH: what was wrong", through uctls_err_set().
 */
#ifndef UCTLS_FILEIO_H
#define UCTLS_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Largest certificate, key or trust file read (PEM or DER): room for the
 * 1000 certificates `uctls check' takes from one file. */
#define UCTLS_FILE_MAX_PEM ((size_t)4 << 20) /* 4 MiB */

/* Opens PATH for reading: a regular file only, never blocking.  Returns the
 * descriptor (O_CLOEXEC, blocking again) with *SIZE set, or -1 with ERR. */
int uctls_file_open(const char *path, size_t *size, struct uctls_err *err);

/* Reads the whole of PATH, at most MAX_BYTES, into *DATA (malloc'd, NUL
 * terminated; the NUL is not counted in *LEN).  0, or -1 with ERR. */
int uctls_file_read(const char *path, size_t max_bytes, unsigned char **data, size_t *len,
                    struct uctls_err *err);

/* Replaces PATH with LEN bytes of DATA, in mode MODE exactly (whatever the
 * umask), atomically.  0, or -1 with ERR. */
int uctls_file_write(const char *path, const void *data, size_t len, mode_t mode,
                     struct uctls_err *err);

/* Checks that DIR (an existing directory) is safe to write into: not
 * writable by group or others, unless sticky.  0, or -1 with ERR. */
int uctls_file_check_dir(const char *dir, struct uctls_err *err);

/* Checks that DIR is safe to keep private keys in: a directory owned by
 * this user and not writable by group or others.  0, or -1 with ERR. */
int uctls_file_check_private_dir(const char *dir, struct uctls_err *err);

#endif
