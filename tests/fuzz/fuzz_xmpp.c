/* libFuzzer target: the XMPP stream parser (xmpp.h, over xml.h part 2's
 * push parser), fed in pieces, with a stream restart after <proceed/> and
 * <success/> as the engine does after STARTTLS and SASL.
 *
 * Input: one byte choosing the piece size (1 + byte % 64; 0: all at once),
 * then the stream. */
#include <config.h>

#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "fuzz-util.h"
#include "xmpp.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uctls_xmpp_parser *p;
	struct uctls_xmpp_event *ev;
	struct uctls_err err;
	size_t chunk, off, n;
	int restart;

	if (size < 1)
		return 0;
	chunk = data[0] == 0 ? size : 1 + data[0] % 64u;
	data++;
	size--;
	p = uctls_xmpp_parser_new();
	if (p == NULL)
		return 0;
	uctls_err_clear(&err);
	for (off = 0; off < size; off += n) {
		n = size - off < chunk ? size - off : chunk;
		if (uctls_xmpp_parser_feed(p, data + off, n, &err) < 0)
			break;
		restart = 0;
		while ((ev = uctls_xmpp_parser_next(p)) != NULL) {
			if (ev->type == UCTLS_XMPP_STANZA && ev->elem != NULL) {
				(void)uctls_xmpp_attr(ev->elem, "to");
				(void)uctls_xmpp_child(ev->elem, UCTLS_NS_TLS, "required");
				if (strcmp(ev->elem->name, "proceed") == 0 ||
				    strcmp(ev->elem->name, "success") == 0)
					restart = 1;
			}
			uctls_xmpp_event_free(ev);
		}
		if (restart && uctls_xmpp_parser_reset(p) < 0)
			break;
	}
	uctls_xmpp_parser_free(p);
	return 0;
}
