/* libFuzzer target: the SIP stream parser (sip.h), fed in pieces as a TLS
 * stream delivers them, and the response builder over what it parsed.
 *
 * Input: one byte choosing the piece size (1 + byte % 64; 0: all at once),
 * then the stream. */
#include <config.h>

#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>

#include "fuzz-util.h"
#include "sip.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uctls_sip_parser *p;
	struct uctls_sip_msg *m;
	struct uctls_err err;
	size_t chunk, off, n;
	char *resp;

	if (size < 1)
		return 0;
	chunk = data[0] == 0 ? size : 1 + data[0] % 64u;
	data++;
	size--;
	p = uctls_sip_parser_new();
	if (p == NULL)
		return 0;
	uctls_err_clear(&err);
	for (off = 0; off < size; off += n) {
		n = size - off < chunk ? size - off : chunk;
		if (uctls_sip_parser_feed(p, data + off, n, &err) < 0)
			break;
		while ((m = uctls_sip_parser_next(p)) != NULL) {
			(void)uctls_sip_header(m, "Content-Length");
			(void)uctls_sip_header(m, "v");
			if (m->is_request) {
				resp = uctls_sip_build_response(m, 200, NULL, "fuzztag");
				free(resp);
			}
			uctls_sip_msg_free(m);
		}
	}
	(void)uctls_sip_parser_keepalives(p);
	uctls_sip_parser_free(p);
	return 0;
}
