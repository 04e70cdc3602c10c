#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "profile.h"
#include "scenario.h"

/* The process's device profiles: data files (profile-load.c), read once.
 * The built-in profiles are the *.xml files of src/profiles, installed in
 * $(pkgdatadir)/profiles; every rule's source is cited in docs/profiles.md
 * and, attribute by attribute, in the files' <cite> elements.
 *
 * Read once, before any thread starts (harness/uctls.c, `uctls run -j'
 * runs scenarios on threads, src/runq.c): afterwards the set is only read.
 * Programs that do not call uctls_profiles_load() (the Check tests, the fuzz
 * harnesses) get the directory's profiles at the first lookup
 * (pthread_once). */

#ifndef UCTLS_PKGDATADIR
#define UCTLS_PKGDATADIR "/usr/share/uctls"
#endif
#ifndef UCTLS_SRCDIR
#define UCTLS_SRCDIR "."
#endif
#ifndef UCTLS_BUILDDIR
#define UCTLS_BUILDDIR "."
#endif

static struct uctls_profile_set *procset;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[UCTLS_ERR_MAX];

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* 1 when this program is a file of the build tree (harness/uctls,
 * tests/check_uctls, tests/fuzz/replay_*): its profiles are the sources'. */
static int
in_build_tree(void)
{
	char exe[PATH_MAX], top[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t len;

	if (n <= 0 || realpath(UCTLS_BUILDDIR, top) == NULL)
		return 0;
	exe[n] = '\0';
	len = strlen(top);
	return strncmp(exe, top, len) == 0 && exe[len] == '/';
}

const char *
uctls_profile_dir(char *where, size_t size)
{
	static const char *const dirs[2] = { UCTLS_PKGDATADIR "/profiles",
		                             UCTLS_SRCDIR "/src/profiles" };
	const char *env = getenv("UCTLS_PROFILE_DIR");
	int first = in_build_tree();

	if (env != NULL && *env != '\0')
		return env;
	if (is_dir(dirs[first]))
		return dirs[first];
	if (is_dir(dirs[!first]))
		return dirs[!first];
	snprintf(where, size, "UCTLS_PROFILE_DIR (not set), %s, %s", dirs[first], dirs[!first]);
	return NULL;
}

int
uctls_profiles_load(const char *const *files, size_t nfiles, struct uctls_err *err)
{
	struct uctls_profile_set *s = uctls_profile_set_new(NULL);
	char where[2 * PATH_MAX];
	const char *dir = uctls_profile_dir(where, sizeof(where));
	size_t i;

	if (s == NULL)
		return uctls_err_set(err, "out of memory");
	if (dir == NULL) {
		uctls_profile_set_free(s);
		return uctls_err_set(err, "no profile directory; looked at %s", where);
	}
	if (uctls_profile_set_load_dir(s, dir, err) < 0)
		goto fail;
	for (i = 0; i < nfiles; i++) {
		uctls_profile_set_layer(s);
		if (uctls_profile_set_load_file(s, files[i], err) < 0)
			goto fail;
	}
	uctls_profile_set_free(procset);
	procset = s;
	return 0;
fail:
	uctls_profile_set_free(s);
	return -1;
}

static void
load_default(void)
{
	struct uctls_err err;

	if (procset != NULL)
		return;
	uctls_err_clear(&err);
	if (uctls_profiles_load(NULL, 0, &err) < 0)
		snprintf(load_error, sizeof(load_error), "%s", err.msg);
}

const char *
uctls_profile_load_error(void)
{
	pthread_once(&once, load_default);
	return load_error[0] != '\0' ? load_error : NULL;
}

const struct uctls_profile_set *
uctls_profiles(void)
{
	pthread_once(&once, load_default);
	return procset;
}

const struct uctls_profile *
uctls_profile_at(unsigned i)
{
	return uctls_profile_set_at(uctls_profiles(), i);
}

const struct uctls_profile *
uctls_profile_find(const char *name)
{
	return uctls_profile_set_find(uctls_profiles(), name);
}

const struct uctls_profile *
uctls_peer_profile(const struct uctls_peerdef *pd)
{
	if (pd->prof != NULL)
		return pd->prof;
	return pd->profile != NULL ? uctls_profile_find(pd->profile) : NULL;
}
