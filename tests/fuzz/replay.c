/* Replays inputs through a fuzz target without libFuzzer, so that the
 * seed corpus and every crash ever found run as regression tests in the
 * normal (gcc) build: `replay_TARGET FILE_OR_DIR...' calls
 * LLVMFuzzerTestOneInput once per file (each regular file of a directory,
 * not recursing).  Exit status 0 when every input ran, 1 when a file could
 * not be read; a crash ends the process as it would in the fuzzer. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz-util.h"

static int
run_file(const char *file)
{
	FILE *f = fopen(file, "rb");
	unsigned char *buf = NULL, *nb;
	size_t n = 0, cap = 0, r;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", file, strerror(errno));
		return -1;
	}
	for (;;) {
		if (cap - n < 65536) {
			cap = cap * 2 + 65536;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				fprintf(stderr, "replay: %s: out of memory\n", file);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", file);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* a copy of exactly N bytes, so that ASan sees any overread */
	nb = malloc(n > 0 ? n : 1);
	if (nb == NULL) {
		free(buf);
		return -1;
	}
	if (n > 0)
		memcpy(nb, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(nb, n);
	free(nb);
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	char **names, *path;
	size_t nnames, cap, i;
	unsigned long ran = 0;
	int rv = 0, a;

	for (a = 1; a < argc; a++) {
		if (stat(argv[a], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[a], strerror(errno));
			rv = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[a]) < 0)
				rv = 1;
			else
				ran++;
			continue;
		}
		d = opendir(argv[a]);
		if (d == NULL) {
			fprintf(stderr, "replay: %s: %s\n", argv[a], strerror(errno));
			rv = 1;
			continue;
		}
		names = NULL;
		nnames = cap = 0;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' || strcmp(de->d_name, "README") == 0)
				continue;
			if (nnames == cap) {
				cap = cap * 2 + 16;
				names = realloc(names, cap * sizeof(*names));
				if (names == NULL)
					abort();
			}
			path = malloc(strlen(argv[a]) + strlen(de->d_name) + 2);
			if (path == NULL)
				abort();
			sprintf(path, "%s/%s", argv[a], de->d_name);
			names[nnames++] = path;
		}
		closedir(d);
		if (nnames > 0)
			qsort(names, nnames, sizeof(*names), cmp_names);
		for (i = 0; i < nnames; i++) {
			if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
				if (run_file(names[i]) < 0)
					rv = 1;
				else
					ran++;
			}
			free(names[i]);
		}
		free(names);
	}
	printf("replay: %lu input(s)\n", ran);
	return rv;
}
