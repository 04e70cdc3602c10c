/* uctls — vectors of owned strings (char **V of N elements). */
#ifndef UCTLS_STRV_H
#define UCTLS_STRV_H

#include <stdlib.h>

/* Frees each of the N strings of V, then V (V may be NULL). */
static inline void
uctls_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

#endif
