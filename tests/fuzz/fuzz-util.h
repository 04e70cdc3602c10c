/* uctls fuzz targets — helpers shared by the harnesses (tests/fuzz/).
 *
 * An input that carries several files (fuzz_pem, fuzz_install) is one
 * selector byte followed by the files separated by FUZZ_SEP:
 *     SELECTOR CERT [ "\n%%\n" KEY [ "\n%%\n" TRUST ] ]
 * so that a seed is easy to write by hand and libFuzzer's dictionary-free
 * mutations still find the separator (it is short).
 */
#ifndef UCTLS_FUZZ_UTIL_H
#define UCTLS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FUZZ_SEP "\n%%\n"
#define FUZZ_MAXPARTS 3

struct fuzz_part {
	const uint8_t *p;
	size_t n;
	int present;
};

/* Splits DATA (SIZE bytes) into at most FUZZ_MAXPARTS parts at FUZZ_SEP;
 * the last part takes the rest. */
static inline void
fuzz_split(const uint8_t *data, size_t size, struct fuzz_part parts[FUZZ_MAXPARTS])
{
	const uint8_t *p = data, *end = data + size, *at;
	size_t seplen = strlen(FUZZ_SEP);
	int i;

	for (i = 0; i < FUZZ_MAXPARTS; i++) {
		parts[i].p = NULL;
		parts[i].n = 0;
		parts[i].present = 0;
	}
	for (i = 0; i < FUZZ_MAXPARTS; i++) {
		parts[i].p = p;
		parts[i].present = 1;
		at = i + 1 < FUZZ_MAXPARTS ? memmem(p, (size_t)(end - p), FUZZ_SEP, seplen) : NULL;
		if (at == NULL) {
			parts[i].n = (size_t)(end - p);
			return;
		}
		parts[i].n = (size_t)(at - p);
		p = at + seplen;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
