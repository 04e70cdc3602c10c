/* uctls — a simulated peer that misbehaves on purpose (misbehave.h).
 *
 * The misbehaving side keeps a real GnuTLS session of its own, on one end
 * of a socket pair (the "inner" session): what it would send is read from
 * the other end and passed to the real connection through a filter that
 * truncates it, trickles it, stops after the first flight, doubles it or
 * closes; what arrives is passed back to it.  So its flights are the bytes
 * an honest peer of its configuration would send, cut where the scenario
 * says.  Garbage, silence and an endless XMPP stanza need no session.
 * Everything it queues for the other side is bounded (MB_QUEUE); what the
 * other side sends is read and passed on or dropped, never kept.
 *
 * It never fails a step: it stops when the other side's step ended (pass or
 * fail), and records its own steps as unobserved, saying what it did.
 */
#include "config.h"

#include <stdint.h>

#include "engine-int.h"
#include "misbehave.h"

#define MB_QUEUE (64 * 1024) /* bytes queued for the other side, at most */
#define MB_GARBAGE 1024      /* bytes of garbage sent */
#define MB_BURST (16 * 1024) /* bytes sent or generated in one round, at most */
/* big-chain: certificates in the chain sent, over 160 KiB even with Ed25519
 * keys: more than GnuTLS and OpenSSL take in a handshake message by default
 * (128 KiB, gnutls_handshake_set_max_packet_length(3); 100 KiB,
 * SSL_CTX_set_max_cert_list(3)).  GnuTLS 3.7 fails to send 1000 as a server. */
#define MB_CHAIN_CERTS 512

enum { ROLE_CLIENT = 1, ROLE_SERVER = 2 };

static const struct kind {
	const char *name;
	enum uctls_mb_what what;
	const char *family; /* NULL: every family; "sip": traversal and sip-trunk */
	int roles;          /* ROLE_* bits */
	int at;             /* takes at="before|during" */
} kinds[] = {
	{ "garbage", UCTLS_MB_GARBAGE, NULL, ROLE_CLIENT | ROLE_SERVER, 0 },
	{ "truncate", UCTLS_MB_TRUNCATE, NULL, ROLE_CLIENT | ROLE_SERVER, 0 },
	{ "stall", UCTLS_MB_STALL, NULL, ROLE_CLIENT | ROLE_SERVER, 1 },
	{ "trickle", UCTLS_MB_TRICKLE, NULL, ROLE_CLIENT | ROLE_SERVER, 0 },
	{ "close", UCTLS_MB_CLOSE, NULL, ROLE_CLIENT | ROLE_SERVER, 1 },
	{ "endless-header", UCTLS_MB_ENDLESS_HEADER, "sip", ROLE_CLIENT | ROLE_SERVER, 0 },
	{ "endless-stanza", UCTLS_MB_ENDLESS_STANZA, "xmpp-s2s", ROLE_CLIENT | ROLE_SERVER, 0 },
	{ "big-chain", UCTLS_MB_BIG_CHAIN, NULL, ROLE_CLIENT | ROLE_SERVER, 0 },
	{ "renegotiate", UCTLS_MB_RENEGOTIATE, NULL, ROLE_CLIENT | ROLE_SERVER, 0 },
	{ "second-hello", UCTLS_MB_SECOND_HELLO, NULL, ROLE_CLIENT, 0 },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static const struct kind *
kind_of(enum uctls_mb_what w)
{
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (kinds[i].what == w)
			return &kinds[i];
	return NULL;
}

const char *
uctls_misbehave_name(enum uctls_mb_what w)
{
	const struct kind *k = kind_of(w);

	return k != NULL ? k->name : NULL;
}

static int
family_ok(const char *want, const char *family)
{
	if (want == NULL)
		return 1;
	if (strcmp(want, "sip") == 0)
		return strcmp(family, "traversal") == 0 || strcmp(family, "sip-trunk") == 0;
	return strcmp(want, family) == 0;
}

int
uctls_misbehave_parse(const char *what, const char *at, const char *family, int server,
                      const char *tls, struct uctls_misbehave *out, char *msg, size_t len)
{
	const struct kind *k = NULL;
	size_t i, o = 0;

	for (i = 0; i < NKINDS; i++)
		if (strcmp(kinds[i].name, what) == 0)
			k = &kinds[i];
	if (k == NULL) {
		o = (size_t)snprintf(msg, len, "unknown what=\"%s\"; expected one of:", what);
		for (i = 0; i < NKINDS && o < len; i++)
			o += (size_t)snprintf(msg + o, len - o, "%s %s", i ? "," : "", kinds[i].name);
		return -1;
	}
	if (!family_ok(k->family, family)) {
		snprintf(msg, len, "what=\"%s\" is for family %s, not %s", what,
		         strcmp(k->family, "sip") == 0 ? "traversal or sip-trunk" : k->family,
		         family);
		return -1;
	}
	if (!(k->roles & (server ? ROLE_SERVER : ROLE_CLIENT))) {
		snprintf(msg, len, "what=\"%s\" is for the client-role peer: only a client sends "
		         "a ClientHello", what);
		return -1;
	}
	out->what = k->what;
	out->at = UCTLS_MB_AT_BEFORE;
	if (at != NULL && !k->at) {
		snprintf(msg, len, "at=\"%s\": what=\"%s\" takes no at= (only stall and close do)",
		         at, what);
		return -1;
	}
	if (at != NULL && strcmp(at, "during") == 0)
		out->at = UCTLS_MB_AT_DURING;
	else if (at != NULL && strcmp(at, "before") != 0) {
		snprintf(msg, len, "at=\"%s\"; expected before (before the handshake) or during "
		         "(after its first flight)", at);
		return -1;
	}
	/* RFC 8446 4.1.2: TLS 1.3 has no renegotiation. */
	if (k->what == UCTLS_MB_RENEGOTIATE && (tls == NULL || strcmp(tls, "1.2") != 0)) {
		snprintf(msg, len, "what=\"renegotiate\" needs tls=\"1.2\" on the peer: TLS 1.3 "
		         "has no renegotiation (RFC 8446 4.1.2)");
		return -1;
	}
	return 0;
}

const char *
uctls_misbehave_describe(const struct uctls_misbehave *mb, int server, char *buf, size_t len)
{
	const char *hello = server ? "its ServerHello" : "its ClientHello";
	const char *flight = server ? "its first flight (ServerHello and what follows)"
	                            : "its ClientHello";
	int during = mb->at == UCTLS_MB_AT_DURING;

	switch (mb->what) {
	case UCTLS_MB_GARBAGE:
		snprintf(buf, len, "sends %d bytes that are not TLS instead of %s", MB_GARBAGE,
		         hello);
		break;
	case UCTLS_MB_TRUNCATE:
		snprintf(buf, len, "sends the first half of %s, then nothing", flight);
		break;
	case UCTLS_MB_STALL:
		snprintf(buf, len, during ? "sends %s, then nothing" : "%s, then sends nothing",
		         during ? flight : server ? "accepts the connection" : "connects");
		break;
	case UCTLS_MB_TRICKLE:
		snprintf(buf, len, "sends its handshake one byte every %d ms", UCTLS_MB_TICK_MS);
		break;
	case UCTLS_MB_CLOSE:
		snprintf(buf, len, during ? "sends %s, then closes the connection"
		                          : "%s and closes it at once",
		         during ? flight : server ? "accepts the connection" : "connects");
		break;
	case UCTLS_MB_ENDLESS_HEADER:
		snprintf(buf, len, "sends a SIP %s whose header line never ends",
		         server ? "answer" : "request");
		break;
	case UCTLS_MB_ENDLESS_STANZA:
		snprintf(buf, len, "sends its stream header, then a stanza that never ends");
		break;
	case UCTLS_MB_BIG_CHAIN:
		snprintf(buf, len, "sends its chain over and over, %d certificates", MB_CHAIN_CERTS);
		break;
	case UCTLS_MB_RENEGOTIATE:
		snprintf(buf, len, "renegotiates once the TLS 1.2 handshake is done (%s)",
		         server ? "a HelloRequest" : "a new ClientHello");
		break;
	case UCTLS_MB_SECOND_HELLO:
		snprintf(buf, len, "sends its ClientHello twice");
		break;
	default:
		snprintf(buf, len, "behaves");
		break;
	}
	return buf;
}

/* --- the engine's side ---------------------------------------------------- */

struct uctls_mb_state {
	const struct uctls_misbehave *mb;
	int sp[2];                /* the inner session's socket pair ([0] its own), or -1 */
	struct uctls_peerdef def; /* big-chain: the side's def, sending more */
	char **sends;             /* def.sends (the strings are the scenario's) */
	size_t qoff, qlen;        /* queued for the other side: q[qoff .. qoff + qlen) */
	size_t kept;              /* bytes of the inner session's output queued */
	size_t flight;            /* its first flight's length; 0 until known */
	size_t got;               /* bytes received from the other side */
	int eof;                  /* the other side closed or reset the connection */
	int inner_done;           /* the inner handshake completed */
	int app;                  /* renegotiation sent / endless data begun */
	const char *pend;         /* endless-header: the chunk being sent, and how far */
	size_t pendlen, pendoff;
	char prefix[256];
	unsigned char q[MB_QUEUE];
};

/* What comes after the endless prefixes: never a line end or a tag end. */
static const char endless_chunk[4096] = { [0 ... 4095] = 'a' };

static int
terminal(const struct side *s)
{
	return s->state == S_DONE || s->state == S_FAILED;
}

static size_t
q_add(struct uctls_mb_state *st, const void *p, size_t n)
{
	if (st->qoff > 0) {
		memmove(st->q, st->q + st->qoff, st->qlen);
		st->qoff = 0;
	}
	if (n > MB_QUEUE - st->qlen)
		n = MB_QUEUE - st->qlen;
	memcpy(st->q + st->qlen, p, n);
	st->qlen += n;
	return n;
}

/* The phase's steps from S's current one on, as engine.c's phase_steps()
 * lists them, recorded as unobserved: what S did instead. */
static int
finish(struct run *r, struct side *s)
{
	const char *all[3] = { r->phase->tcp_step, r->phase->tls_step, r->phase->app_step };
	const char *const *steps = r->phase->steps;
	const char *list[16];
	char what[200], detail[320];
	size_t n = 0, i;
	int on = 0;

	if (steps == NULL) {
		for (i = 0; i < 3; i++)
			if (n == 0 || strcmp(list[n - 1], all[i]) != 0)
				list[n++] = all[i];
	} else {
		for (; n < 15 && steps[n] != NULL; n++)
			list[n] = steps[n];
	}
	snprintf(detail, sizeof(detail),
	         "misbehaves on purpose (<misbehave what=\"%s\"%s>): %s; its own view is not "
	         "modelled",
	         uctls_misbehave_name(s->mb->what),
	         s->mb->at == UCTLS_MB_AT_DURING ? " at=\"during\"" : "",
	         uctls_misbehave_describe(s->mb, s->is_server, what, sizeof(what)));
	s->state = S_DONE;
	for (i = 0; i < n; i++) {
		on |= strcmp(list[i], s->step) == 0;
		if (!on || (list[i] == eng_step_subdomain && r->server->nsubdomains == 0))
			continue;
		if (uctls_log_add(r->log, list[i], s->def->id, UCTLS_UNOBSERVED, NULL, detail, NULL,
		                  0) == NULL)
			return -1;
	}
	return 0;
}

/* Closes the connection (close): the other side reads its end. */
static int
hang_up(struct run *r, struct side *s)
{
	close(s->fd);
	s->fd = -1;
	return finish(r, s);
}

/* Passes what the other side sent to the inner session (or drops it). */
static int
inbound(struct uctls_mb_state *st, int fd)
{
	char buf[16384];
	ssize_t n;
	int moved = 0;

	while (!st->eof) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			st->eof = 1;
			break;
		}
		st->got += (size_t)n;
		moved = 1;
		/* To the inner session; dropped when it is gone or full. */
		if (st->sp[1] >= 0)
			(void)send(st->sp[1], buf, (size_t)n, MSG_NOSIGNAL);
	}
	return moved;
}

/* How much of the inner session's output may go out. */
static size_t
allowed(const struct uctls_mb_state *st)
{
	if (st->flight == 0)
		return SIZE_MAX;
	switch (st->mb->what) {
	case UCTLS_MB_TRUNCATE:
		return st->flight / 2 > 0 ? st->flight / 2 : 1;
	case UCTLS_MB_STALL:
	case UCTLS_MB_CLOSE:
		return st->flight;
	default:
		return SIZE_MAX;
	}
}

/* Takes what the inner session wrote: its first flight is what one
 * handshake call wrote. */
static int
collect(struct uctls_mb_state *st)
{
	size_t total = 0, keep, room, start;
	ssize_t n;
	int first = st->flight == 0;

	if (st->sp[1] < 0)
		return 0;
	if (st->qoff > 0) {
		memmove(st->q, st->q + st->qoff, st->qlen);
		st->qoff = 0;
	}
	start = st->qlen;
	while ((room = MB_QUEUE - st->qlen) > 0) {
		n = recv(st->sp[1], st->q + st->qlen, room, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		st->qlen += (size_t)n;
		total += (size_t)n;
	}
	if (total == 0)
		return 0;
	if (first)
		st->flight = total;
	keep = allowed(st) - st->kept < total ? allowed(st) - st->kept : total;
	st->qlen -= total - keep;
	st->kept += keep;
	if (first && st->mb->what == UCTLS_MB_SECOND_HELLO)
		q_add(st, st->q + start, total);
	return 1;
}

/* Writes what is queued (all of it, or one byte when trickling). */
static size_t
flush(struct uctls_mb_state *st, int fd, int one)
{
	ssize_t n;
	size_t moved = 0;

	while (st->qlen > 0) {
		n = send(fd, st->q + st->qoff, one ? 1 : st->qlen, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) { /* the other side is gone */
			st->qlen = 0;
			st->eof = 1;
			break;
		}
		st->qoff += (size_t)n;
		st->qlen -= (size_t)n;
		moved += (size_t)n;
		if (one)
			break;
	}
	if (st->qlen == 0)
		st->qoff = 0;
	return moved;
}

/* endless-header: a SIP message whose header line never ends, through the
 * inner session. */
static int
endless_header(struct side *s, struct uctls_mb_state *st)
{
	size_t n, made = 0;
	int ret, moved = 0;

	if (!st->app) {
		st->app = 1;
		snprintf(st->prefix, sizeof(st->prefix),
		         "%s\r\nVia: SIP/2.0/TLS 127.0.0.1;branch=z9hG4bK-uctls-hostile\r\n"
		         "X-Hostile: ",
		         s->is_server ? "SIP/2.0 200 OK" : "OPTIONS sip:hostile@127.0.0.1 SIP/2.0");
		st->pend = st->prefix;
		st->pendlen = strlen(st->prefix);
	}
	/* A burst a round: encrypting is the cost (under valgrind, tens of ms
	 * a record), and the other side reads in between. */
	while (made < MB_BURST) {
		ret = uctls_tls_send(s->tls, st->pend + st->pendoff, st->pendlen - st->pendoff, &n);
		if (ret != UCTLS_TLS_OK)
			return moved;
		moved = 1;
		made += n;
		st->pendoff += n;
		if (st->pendoff == st->pendlen) {
			st->pend = endless_chunk;
			st->pendlen = sizeof(endless_chunk);
			st->pendoff = 0;
		}
		if (collect(st) && st->qlen == MB_QUEUE)
			return moved; /* the other side reads no faster */
	}
	return moved;
}

/* endless-stanza: the stream header, then one element without end. */
static int
endless_stanza(struct side *s, struct uctls_mb_state *st)
{
	static const char open[] = "<hostile xmlns='urn:x:hostile'>";
	char *hdr;

	if (!st->app) {
		hdr = uctls_xmpp_stream_header(eng_x_domain(s->def), eng_x_domain(s->other->def),
		                               s->is_server ? "uctls-hostile" : NULL);
		if (hdr == NULL)
			return -1;
		q_add(st, hdr, strlen(hdr));
		q_add(st, open, sizeof(open) - 1);
		free(hdr);
		st->app = 1;
	}
	return q_add(st, endless_chunk, sizeof(endless_chunk)) > 0;
}

/* Drives the inner session; what it does once its handshake is done. */
static int
drive(struct side *s, struct uctls_mb_state *st)
{
	int ret;

	if (st->sp[1] < 0)
		return 0;
	if (!st->inner_done) {
		ret = uctls_tls_handshake(s->tls);
		if (ret != UCTLS_TLS_OK)
			return 0;
		st->inner_done = 1;
	}
	if (st->mb->what == UCTLS_MB_ENDLESS_HEADER)
		return endless_header(s, st);
	if (st->mb->what == UCTLS_MB_RENEGOTIATE && !st->app) {
		st->app = 1;
		uctls_tls_renegotiate(s->tls);
		return 1;
	}
	return 0;
}

/* garbage: a client sends it at once, a server once the ClientHello began
 * to arrive.  The same junk every run; its first octet, 0x00, is no TLS
 * content type (RFC 8446 5.1). */
static int
garbage(const struct side *s, struct uctls_mb_state *st)
{
	unsigned char junk[MB_GARBAGE];
	uint32_t x = 1;
	size_t k;

	if (st->mb->what != UCTLS_MB_GARBAGE || st->app || (st->got == 0 && s->is_server))
		return 0;
	for (k = 0; k < MB_GARBAGE; k++) {
		x = x * 1103515245u + 12345u;
		junk[k] = k == 0 ? 0 : (unsigned char)(x >> 16);
	}
	st->app = 1;
	return q_add(st, junk, sizeof(junk)) > 0;
}

int
eng_mb_advance(struct run *r, struct side *s, struct uctls_err *err)
{
	struct uctls_mb_state *st = s->mbs;
	int trickle = st->mb->what == UCTLS_MB_TRICKLE, moved = 1, k;
	int endless = st->mb->what == UCTLS_MB_ENDLESS_HEADER ||
	              st->mb->what == UCTLS_MB_ENDLESS_STANZA;
	size_t sent = 0, w;

	if (terminal(s->other))
		return finish(r, s) < 0 ? uctls_err_set(err, "out of memory") : 0;
	/* At most a burst a round: the other side reads in between (an
	 * endless sender would otherwise fill every socket buffer first). */
	while (moved && sent < MB_BURST) {
		moved = inbound(st, s->fd);
		moved |= garbage(s, st);
		moved |= drive(s, st);
		moved |= collect(st);
		if (st->mb->what == UCTLS_MB_ENDLESS_STANZA && !st->eof) {
			if ((k = endless_stanza(s, st)) < 0)
				return uctls_err_set(err, "out of memory");
			moved |= k;
		}
		if (!trickle && (w = flush(st, s->fd, 0)) > 0) {
			sent += w;
			moved = 1;
		}
		if (st->mb->what == UCTLS_MB_CLOSE && st->flight > 0 && st->qlen == 0)
			return hang_up(r, s) < 0 ? uctls_err_set(err, "out of memory") : 0;
		if (st->eof && st->qlen > 0)
			st->qlen = 0;
	}
	s->want = (st->eof ? 0 : POLLIN) |
	          ((st->qlen > 0 || (endless && !st->eof)) && !trickle ? POLLOUT : 0);
	return 0;
}

int
eng_mb_tick(struct run *r, struct side *s)
{
	struct uctls_mb_state *st = s->mbs;
	int trickle = st->mb->what == UCTLS_MB_TRICKLE;

	if (terminal(s->other))
		return finish(r, s);
	if (trickle)
		flush(st, s->fd, 1);
	/* The next tick: a step's deadline is t0 + the timeout (engine.c). */
	s->t0 = eng_now_ms() + (trickle ? UCTLS_MB_TICK_MS : r->timeout) - r->timeout;
	return 0;
}

/* big-chain: the side's def, its sends repeated to MB_CHAIN_CERTS. */
static int
big_chain(struct side *s, struct uctls_mb_state *st)
{
	size_t i, n = s->def->nsends;

	if (n == 0)
		return 0;
	st->sends = calloc(MB_CHAIN_CERTS, sizeof(*st->sends));
	if (st->sends == NULL)
		return -1;
	for (i = 0; i < MB_CHAIN_CERTS; i++)
		st->sends[i] = s->def->sends[i % n];
	st->def = *s->def;
	st->def.sends = st->sends;
	st->def.nsends = MB_CHAIN_CERTS;
	s->def = &st->def;
	return 0;
}

/* The inner session: the side's own TLS session (engine.c), on a socket
 * pair instead of the connection. */
static int
inner_session(struct run *r, struct side *s, struct uctls_mb_state *st, struct uctls_err *err)
{
	const struct uctls_misbehave *mb = s->mb;
	int outer = s->fd, rv;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, st->sp) < 0) {
		st->sp[0] = st->sp[1] = -1;
		return uctls_err_set(err, "socketpair: %s", strerror(errno));
	}
	if (mb->what == UCTLS_MB_BIG_CHAIN && big_chain(s, st) < 0)
		return uctls_err_set(err, "out of memory");
	s->fd = st->sp[0];
	s->mb = NULL; /* eng_start_tls: the honest way */
	rv = eng_start_tls(r, s, err);
	s->fd = outer;
	s->mb = mb;
	if (rv == 0 && mb->what == UCTLS_MB_BIG_CHAIN)
		uctls_tls_set_max_handshake(s->tls, 0);
	return rv;
}

int
eng_mb_start(struct run *r, struct side *s, int at_tls, struct uctls_err *err)
{
	const struct uctls_misbehave *mb = s->mb;
	int plain = mb->what == UCTLS_MB_ENDLESS_STANZA;
	int raw = plain || mb->what == UCTLS_MB_GARBAGE ||
	          ((mb->what == UCTLS_MB_STALL || mb->what == UCTLS_MB_CLOSE) &&
	           mb->at == UCTLS_MB_AT_BEFORE);
	struct uctls_mb_state *st;

	if (at_tls == plain)
		return 0;
	st = malloc(sizeof(*st));
	if (st == NULL)
		return uctls_err_set(err, "out of memory");
	memset(st, 0, offsetof(struct uctls_mb_state, q));
	st->mb = mb;
	st->sp[0] = st->sp[1] = -1;
	s->mbs = st;
	if (eng_enter_step(r, s, plain ? eng_step_stream_open : r->phase->tls_step) < 0)
		return uctls_err_set(err, "out of memory");
	if (!raw && inner_session(r, s, st, err) < 0)
		return -1;
	s->state = S_MISBEHAVE;
	/* Writable at once: the loop advances it in its next round (XMPP
	 * hands it over from inside its own step, which then returns). */
	s->want = POLLIN | POLLOUT;
	/* Its deadline is its next tick (eng_mb_tick). */
	s->t0 = eng_now_ms() + (mb->what == UCTLS_MB_TRICKLE ? UCTLS_MB_TICK_MS : r->timeout) -
	        r->timeout;
	if (mb->what == UCTLS_MB_CLOSE && raw)
		return hang_up(r, s) < 0 ? uctls_err_set(err, "out of memory") : 1;
	return 1;
}

void
eng_mb_free(struct uctls_mb_state *st)
{
	if (st == NULL)
		return;
	if (st->sp[0] >= 0)
		close(st->sp[0]);
	if (st->sp[1] >= 0)
		close(st->sp[1]);
	free(st->sends);
	free(st);
}
