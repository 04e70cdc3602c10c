/* uctls — a simulated peer that misbehaves on purpose (uctls_misbehave_*,
 * eng_mb_*).
 *
 * A <peer> may hold one <misbehave what= at=/> (uctls-scenario(5)): instead
 * of playing its part honestly it sends garbage, truncates or trickles its
 * handshake flight, stalls, closes, sends an endless SIP header line or XMPP
 * stanza, an oversized certificate chain, a TLS 1.2 renegotiation or a
 * second ClientHello.  The scenario's <expect> names what the honest side
 * records (docs/steps.md, "Hostile peers").
 *
 * The model (struct uctls_misbehave, one per peer, in scenario.h) is plain
 * data; the loader fills it with uctls_misbehave_parse().  The engine hands
 * the misbehaving side to misbehave.c at two points (eng_mb_start): when it
 * would start TLS, and, for what happens before TLS (an XMPP stream), when
 * its connection is up.  A peer without <misbehave> costs a NULL test at
 * those two points and nothing else.
 */
#ifndef UCTLS_MISBEHAVE_H
#define UCTLS_MISBEHAVE_H

#include <stddef.h>

enum uctls_mb_what {
	UCTLS_MB_NONE = 0,
	UCTLS_MB_GARBAGE,        /* bytes that are not TLS instead of its hello */
	UCTLS_MB_TRUNCATE,       /* the first half of its first flight, then nothing */
	UCTLS_MB_STALL,          /* nothing (at=before), or nothing after its first flight */
	UCTLS_MB_TRICKLE,        /* its handshake one byte every UCTLS_MB_TICK_MS */
	UCTLS_MB_CLOSE,          /* closes at once (at=before), or after its first flight */
	UCTLS_MB_ENDLESS_HEADER, /* sip families: a SIP header line without end */
	UCTLS_MB_ENDLESS_STANZA, /* xmpp-s2s: an XMPP stanza without end */
	UCTLS_MB_BIG_CHAIN,      /* its chain sent over and over, 512 certificates */
	UCTLS_MB_RENEGOTIATE,    /* TLS 1.2: renegotiates once the handshake is done */
	UCTLS_MB_SECOND_HELLO    /* client: its ClientHello twice */
};

enum uctls_mb_at { UCTLS_MB_AT_BEFORE = 0, UCTLS_MB_AT_DURING };

struct uctls_misbehave {
	enum uctls_mb_what what; /* UCTLS_MB_NONE: an honest peer */
	enum uctls_mb_at at;
	int line; /* of <misbehave> */
};

/* A trickling peer sends one byte per tick. */
#define UCTLS_MB_TICK_MS 10

/* Checks <misbehave what=WHAT at=AT> (AT may be NULL) on a peer of FAMILY
 * playing the client (SERVER 0) or the server (1) role, with TLS its tls=
 * (NULL: its profile's).  Returns 0 and fills *OUT (line left as is), or -1
 * with the reason in MSG (LEN bytes), e.g. "what=\"endless-stanza\" is for
 * family xmpp-s2s". */
int uctls_misbehave_parse(const char *what, const char *at, const char *family, int server,
                          const char *tls, struct uctls_misbehave *out, char *msg, size_t len);

/* "trickle", "stall" ...; NULL for UCTLS_MB_NONE. */
const char *uctls_misbehave_name(enum uctls_mb_what w);

/* What a peer with MB does, one sentence for reports and `--fix' (BUF,
 * LEN bytes). */
const char *uctls_misbehave_describe(const struct uctls_misbehave *mb, int server, char *buf,
                                     size_t len);

/* The engine's side of it (engine-int.h's struct run and struct side). */
struct run;
struct side;
struct uctls_err;
struct uctls_mb_state;

/* Side S has a misbehaviour (s->mb).  AT_TLS: S is about to start TLS;
 * else its connection just came up.  Returns 1 when misbehave.c took the
 * side over (state S_MISBEHAVE), 0 when S goes on honestly, -1 with ERR set
 * on a local error. */
int eng_mb_start(struct run *r, struct side *s, int at_tls, struct uctls_err *err);
/* Advances a side in S_MISBEHAVE; its deadline (a tick) passed. */
int eng_mb_advance(struct run *r, struct side *s, struct uctls_err *err);
int eng_mb_tick(struct run *r, struct side *s);
/* Releases what eng_mb_start set up; accepts NULL. */
void eng_mb_free(struct uctls_mb_state *st);

#endif
