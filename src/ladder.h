/* uctls — a message-sequence diagram of a scenario's connections
 * (`uctls run --ladder').
 *
 * Drawn from a capture (pcap.h) in text: per connection, the two sides'
 * lifelines and one arrow per message in the order they were sent — the
 * TCP connect, each TLS handshake message, each alert, each SIP request or
 * response line, each XMPP element — and the failure: the message the
 * failing side was handling when it failed is marked "<== X fails here",
 * and an X on its lifeline says the step and reason.  A message from a real
 * peer is drawn when uctls's side read it.  Times are ms since the
 * connection began.
 */
#ifndef UCTLS_LADDER_H
#define UCTLS_LADDER_H

#include <stdio.h>

#include "pcap.h"

/* One row of a connection's diagram: an arrow (a message from SIDE), or a
 * failure of SIDE (FAIL, TEXT "STEP: REASON"). */
struct uctls_ladder_row {
	int fail;
	int side;          /* 0 client, 1 server */
	double ms;         /* since the connection was established */
	const char *text;  /* borrowed from the capture */
	int marked;        /* an arrow: the side that failed handling it, else -1 */
	size_t ev;         /* the event's index in the connection */
};

/* The rows of connection C, in order, into *ROWS (malloc'd, caller frees);
 * their number (0 with *ROWS NULL when out of memory or none). */
size_t uctls_ladder_rows(const struct uctls_cap_conn *c, struct uctls_ladder_row **rows);

/* Prints the diagram of every connection in CAP, each line after PREFIX
 * ("" for text, "# " inside TAP). */
void uctls_ladder_print(FILE *out, const struct uctls_cap *cap, const char *prefix);

#endif
