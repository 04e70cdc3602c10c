#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char tmpdir[256];

const char *
tu_src(const char *rel)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", SRCDIR, rel);
	return buf;
}

const char *
tu_tmpdir(void)
{
	if (tmpdir[0] == '\0') {
		const char *t = getenv("TMPDIR");

		snprintf(tmpdir, sizeof(tmpdir), "%s/uctls-test-XXXXXX",
		         t != NULL && *t != '\0' ? t : "/tmp");
		if (mkdtemp(tmpdir) == NULL)
			abort();
	}
	return tmpdir;
}

const char *
tu_write(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tu_tmpdir(), name);
	f = fopen(path, "w");
	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
	return path;
}

void
tu_cleanup(void)
{
	char cmd[300];

	if (tmpdir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0) {
		/* best effort: a leftover temporary directory is harmless */
	}
	tmpdir[0] = '\0';
}
