#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "fileio.h"
#include "pcap.h"

/* --- recording ----------------------------------------------------------- */

enum seg_kind { SEG_SYN, SEG_DATA, SEG_FIN };

/* One piece of a connection's TCP story, in the order it happened. */
struct seg {
	size_t conn;
	enum seg_kind kind;
	int dir;      /* 0: client to server, 1: server to client */
	uint64_t us;
	size_t off, len; /* SEG_DATA: bytes in cap->data */
};

struct conn_ip {
	uint32_t ip[2];    /* network order */
	uint16_t port[2];  /* host order: client's real port, server's written one */
};

struct uctls_cap {
	struct uctls_cap_conn *conns;
	struct conn_ip *ips;
	size_t nconns;
	struct seg *segs;
	size_t nsegs, asegs;
	unsigned char *data;
	size_t ndata, adata;
	char **secrets;
	size_t nsecrets, asecrets;
	int oom;
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Grows *P (of *CAP elements of SIZE bytes) to hold N; 0 or -1. */
static int
grow(void *p, size_t *cap, size_t n, size_t size)
{
	void **pp = p;
	size_t nc = *cap ? *cap : 16;
	void *q;

	if (n <= *cap)
		return 0;
	while (nc < n)
		nc *= 2;
	q = realloc(*pp, nc * size);
	if (q == NULL)
		return -1;
	*pp = q;
	*cap = nc;
	return 0;
}

struct uctls_cap *
uctls_cap_new(void)
{
	return calloc(1, sizeof(struct uctls_cap));
}

void
uctls_cap_free(struct uctls_cap *cap)
{
	size_t i, k;

	if (cap == NULL)
		return;
	for (i = 0; i < cap->nconns; i++) {
		struct uctls_cap_conn *c = &cap->conns[i];

		free(c->step);
		free(c->id[0]);
		free(c->id[1]);
		for (k = 0; k < c->nev; k++)
			free(c->ev[k].text);
		free(c->ev);
	}
	free(cap->conns);
	free(cap->ips);
	free(cap->segs);
	free(cap->data);
	for (i = 0; i < cap->nsecrets; i++)
		free(cap->secrets[i]);
	free(cap->secrets);
	free(cap);
}

static struct uctls_cap_conn *
cur(struct uctls_cap *cap)
{
	return cap != NULL && cap->nconns > 0 ? &cap->conns[cap->nconns - 1] : NULL;
}

void
uctls_cap_begin(struct uctls_cap *cap, const char *step, const char *client,
                const char *server, int client_local, int server_local, unsigned port)
{
	struct uctls_cap_conn *c;
	void *q;

	if (cap == NULL)
		return;
	q = realloc(cap->conns, (cap->nconns + 1) * sizeof(*cap->conns));
	if (q == NULL) {
		cap->oom = 1;
		return;
	}
	cap->conns = q;
	q = realloc(cap->ips, (cap->nconns + 1) * sizeof(*cap->ips));
	if (q == NULL) {
		cap->oom = 1;
		return;
	}
	cap->ips = q;
	c = &cap->conns[cap->nconns];
	memset(c, 0, sizeof(*c));
	memset(&cap->ips[cap->nconns], 0, sizeof(*cap->ips));
	cap->nconns++;
	c->step = strdup(step);
	c->id[0] = strdup(client);
	c->id[1] = strdup(server);
	if (c->step == NULL || c->id[0] == NULL || c->id[1] == NULL)
		cap->oom = 1;
	c->local[0] = client_local;
	c->local[1] = server_local;
	c->port = port;
	c->t0 = now_us();
}

static void
add_seg(struct uctls_cap *cap, enum seg_kind kind, int dir, size_t off, size_t len)
{
	struct seg *s;

	if (grow(&cap->segs, &cap->asegs, cap->nsegs + 1, sizeof(*cap->segs)) < 0) {
		cap->oom = 1;
		return;
	}
	s = &cap->segs[cap->nsegs++];
	s->conn = cap->nconns - 1;
	s->kind = kind;
	s->dir = dir;
	s->us = now_us();
	s->off = off;
	s->len = len;
}

/* The endpoint SA as "HOST:PORT" into OUT, its IPv4 address (or DFL for
 * another family) into *IP and its port into *PORT. */
static void
endpoint(const struct sockaddr *sa, char out[64], uint32_t *ip, uint16_t *port, uint32_t dfl)
{
	char host[INET6_ADDRSTRLEN] = "?";

	*ip = htonl(dfl);
	*port = 0;
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		*ip = in->sin_addr.s_addr;
		*port = ntohs(in->sin_port);
		snprintf(out, 64, "%s:%u", host, *port);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		*port = ntohs(in6->sin6_port);
		snprintf(out, 64, "[%s]:%u", host, *port);
	} else {
		snprintf(out, 64, "?");
	}
}

void
uctls_cap_connected(struct uctls_cap *cap, const struct sockaddr *client,
                    const struct sockaddr *server)
{
	struct uctls_cap_conn *c = cur(cap);
	struct conn_ip *ci;
	uint16_t sport;

	if (c == NULL || c->connected)
		return;
	ci = &cap->ips[cap->nconns - 1];
	endpoint(client, c->addr[0], &ci->ip[0], &ci->port[0], 0x7f000001);
	endpoint(server, c->addr[1], &ci->ip[1], &sport, 0x7f000002);
	ci->port[1] = (uint16_t)c->port;
	c->connected = 1;
	c->t0 = now_us(); /* the ladder's times count from here */
	add_seg(cap, SEG_SYN, 0, 0, 0);
	uctls_cap_note(cap, UCTLS_CAP_CONNECT, 0, 0, "TCP connect");
}

void
uctls_cap_bytes(struct uctls_cap *cap, int from_server, const void *buf, size_t n)
{
	struct uctls_cap_conn *c = cur(cap);

	if (c == NULL || !c->connected || c->closed || n == 0)
		return;
	if (cap->ndata + n > UCTLS_CAP_MAX_BYTES) {
		c->truncated = 1;
		return;
	}
	if (grow(&cap->data, &cap->adata, cap->ndata + n, 1) < 0) {
		cap->oom = 1;
		return;
	}
	memcpy(cap->data + cap->ndata, buf, n);
	/* Consecutive writes in one direction stay separate segments: each
	 * is what one write(2) put on the wire. */
	add_seg(cap, SEG_DATA, from_server != 0, cap->ndata, n);
	cap->ndata += n;
}

void
uctls_cap_end(struct uctls_cap *cap)
{
	struct uctls_cap_conn *c = cur(cap);

	if (c == NULL || !c->connected || c->closed)
		return;
	add_seg(cap, SEG_FIN, 0, 0, 0);
	c->closed = 1;
}

void
uctls_cap_secret(struct uctls_cap *cap, const char *line)
{
	size_t i;
	char *s;

	if (cap == NULL)
		return;
	for (i = 0; i < cap->nsecrets; i++)
		if (strcmp(cap->secrets[i], line) == 0)
			return;
	if ((s = strdup(line)) == NULL ||
	    grow(&cap->secrets, &cap->asecrets, cap->nsecrets + 1, sizeof(*cap->secrets)) < 0) {
		free(s);
		cap->oom = 1;
		return;
	}
	cap->secrets[cap->nsecrets++] = s;
}

void
uctls_cap_note(struct uctls_cap *cap, enum uctls_cap_kind kind, int side, int received,
               const char *fmt, ...)
{
	struct uctls_cap_conn *c = cur(cap);
	struct uctls_cap_event *e;
	va_list ap;
	char *text = NULL;
	void *q;

	if (c == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	q = text != NULL ? realloc(c->ev, (c->nev + 1) * sizeof(*c->ev)) : NULL;
	if (q == NULL) {
		free(text);
		cap->oom = 1;
		return;
	}
	c->ev = q;
	e = &c->ev[c->nev++];
	e->kind = kind;
	e->side = side != 0;
	e->received = received;
	e->us = now_us();
	e->text = text;
}

int
uctls_cap_status(const struct uctls_cap *cap)
{
	return cap->oom ? -1 : 0;
}

size_t
uctls_cap_nconns(const struct uctls_cap *cap)
{
	return cap != NULL ? cap->nconns : 0;
}

const struct uctls_cap_conn *
uctls_cap_conn_at(const struct uctls_cap *cap, size_t i)
{
	return cap != NULL && i < cap->nconns ? &cap->conns[i] : NULL;
}

void
uctls_cap_print_conns(FILE *out, const struct uctls_cap *cap, const char *prefix)
{
	size_t i;

	for (i = 0; i < uctls_cap_nconns(cap); i++) {
		const struct uctls_cap_conn *c = &cap->conns[i];

		if (!c->connected) {
			fprintf(out, "%sconnection %zu (%s): %s -> %s: not established\n", prefix,
			        i + 1, c->step, c->id[0], c->id[1]);
			continue;
		}
		fprintf(out, "%sconnection %zu (%s): %s %s -> %s %s, in the capture as server "
		        "port %u%s\n", prefix, i + 1, c->step, c->id[0], c->addr[0], c->id[1],
		        c->addr[1], c->port, c->truncated ? " (data truncated)" : "");
	}
}

/* --- pcapng -------------------------------------------------------------- */

/* pcapng (draft-ietf-opsawg-pcapng): block types and option codes. */
#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BT_DSB 0x0000000Au
#define DSB_TLSK 0x544c534bu /* TLS key log (NSS format) */
#define OPT_COMMENT 1
#define LINKTYPE_ETHERNET 1
#define MSS 16384 /* payload bytes per frame */

struct buf {
	unsigned char *p;
	size_t n, a;
	int oom;
};

static void
put(struct buf *b, const void *d, size_t n)
{
	if (b->oom || grow(&b->p, &b->a, b->n + n, 1) < 0) {
		b->oom = 1;
		return;
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void
put32(struct buf *b, uint32_t v)
{
	put(b, &v, 4); /* host order: the section's byte-order magic says which */
}

static void
put16(struct buf *b, uint16_t v)
{
	put(b, &v, 2);
}

static void
pad4(struct buf *b)
{
	static const unsigned char zero[4];

	put(b, zero, (4 - b->n % 4) % 4);
}

/* Patches the block that began at START: its total length, both ends. */
static void
end_block(struct buf *b, size_t start)
{
	uint32_t len = (uint32_t)(b->n - start + 4);

	put32(b, len);
	if (!b->oom)
		memcpy(b->p + start + 4, &len, 4);
}

static void
put_comment(struct buf *b, const char *text)
{
	size_t n = strlen(text);

	if (n > 60000)
		n = 60000;
	put16(b, OPT_COMMENT);
	put16(b, (uint16_t)n);
	put(b, text, n);
	pad4(b);
	put32(b, 0); /* opt_endofopt */
}

static uint32_t
csum_add(uint32_t sum, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

struct tcpst {
	const struct conn_ip *ci;
	uint32_t next[2]; /* the next sequence number of each direction */
	uint16_t ipid;
};

/* One Enhanced Packet Block: an Ethernet/IPv4/TCP frame from DIR with
 * FLAGS and LEN bytes of DATA, at US, with an optional COMMENT. */
static void
put_frame(struct buf *b, struct tcpst *st, int dir, unsigned flags, const unsigned char *data,
          size_t len, uint64_t us, const char *comment)
{
	unsigned char h[54];
	uint32_t seq = st->next[dir], ack = st->next[!dir], sum;
	size_t start = b->n, tot = 20 + 20 + len;
	const uint32_t *ip = st->ci->ip;

	memset(h, 0, sizeof(h));
	/* Ethernet: locally administered addresses, 02:..:01 client, :02 server. */
	h[0] = h[6] = 0x02;
	h[5] = (unsigned char)(dir ? 1 : 2);
	h[11] = (unsigned char)(dir ? 2 : 1);
	h[12] = 0x08; /* IPv4 */
	h[14] = 0x45;
	h[16] = (unsigned char)(tot >> 8);
	h[17] = (unsigned char)tot;
	h[18] = (unsigned char)(st->ipid >> 8);
	h[19] = (unsigned char)st->ipid;
	st->ipid++;
	h[20] = 0x40; /* DF */
	h[22] = 64;
	h[23] = 6; /* TCP */
	memcpy(h + 26, &ip[dir], 4);
	memcpy(h + 30, &ip[!dir], 4);
	sum = csum_fold(csum_add(0, h + 14, 20));
	h[24] = (unsigned char)(sum >> 8);
	h[25] = (unsigned char)sum;
	h[34] = (unsigned char)(st->ci->port[dir] >> 8);
	h[35] = (unsigned char)st->ci->port[dir];
	h[36] = (unsigned char)(st->ci->port[!dir] >> 8);
	h[37] = (unsigned char)st->ci->port[!dir];
	h[38] = (unsigned char)(seq >> 24), h[39] = (unsigned char)(seq >> 16);
	h[40] = (unsigned char)(seq >> 8), h[41] = (unsigned char)seq;
	if (flags & 0x10) {
		h[42] = (unsigned char)(ack >> 24), h[43] = (unsigned char)(ack >> 16);
		h[44] = (unsigned char)(ack >> 8), h[45] = (unsigned char)ack;
	}
	h[46] = 0x50; /* 20-byte header */
	h[47] = (unsigned char)flags;
	h[48] = h[49] = 0xff; /* window */
	/* TCP checksum over the pseudo-header (RFC 793 3.1), header, data. */
	sum = csum_add(0, h + 26, 8) + 6 + (uint32_t)(20 + len);
	sum = csum_fold(csum_add(csum_add(sum, h + 34, 20), data, len));
	h[50] = (unsigned char)(sum >> 8);
	h[51] = (unsigned char)sum;

	put32(b, BT_EPB);
	put32(b, 0);
	put32(b, 0); /* interface 0 */
	put32(b, (uint32_t)(us >> 32));
	put32(b, (uint32_t)us);
	put32(b, (uint32_t)(54 + len));
	put32(b, (uint32_t)(54 + len));
	put(b, h, 54);
	put(b, data, len);
	pad4(b);
	if (comment != NULL)
		put_comment(b, comment);
	end_block(b, start);
	st->next[dir] += (uint32_t)len + ((flags & 0x03) ? 1 : 0); /* SYN, FIN count one */
}

#define F_FIN 0x01
#define F_SYN 0x02
#define F_PSH 0x08
#define F_ACK 0x10

static void
put_segment(struct buf *b, const struct uctls_cap *cap, const struct seg *s, struct tcpst *st,
            const char *scenario)
{
	const struct uctls_cap_conn *c = &cap->conns[s->conn];
	size_t off, k;
	char *note = NULL;

	switch (s->kind) {
	case SEG_SYN:
		if (asprintf(&note, "uctls: %s, connection %zu (%s): %s %s -> %s %s (server port "
		             "written as %u)%s", scenario, s->conn + 1, c->step, c->id[0], c->addr[0],
		             c->id[1], c->addr[1], c->port,
		             c->truncated ? "; data truncated" : "") < 0)
			note = NULL;
		put_frame(b, st, 0, F_SYN, NULL, 0, s->us, note);
		put_frame(b, st, 1, F_SYN | F_ACK, NULL, 0, s->us, NULL);
		put_frame(b, st, 0, F_ACK, NULL, 0, s->us, NULL);
		free(note);
		break;
	case SEG_DATA:
		for (off = 0; off < s->len; off += k) {
			k = s->len - off < MSS ? s->len - off : MSS;
			put_frame(b, st, s->dir, F_PSH | F_ACK, cap->data + s->off + off, k, s->us,
			          NULL);
		}
		break;
	case SEG_FIN:
		put_frame(b, st, 0, F_FIN | F_ACK, NULL, 0, s->us, NULL);
		put_frame(b, st, 1, F_FIN | F_ACK, NULL, 0, s->us, NULL);
		put_frame(b, st, 0, F_ACK, NULL, 0, s->us, NULL);
		break;
	}
}

static void
put_secrets(struct buf *b, const struct uctls_cap *cap)
{
	size_t start = b->n, len = 0, i;

	if (cap->nsecrets == 0)
		return;
	for (i = 0; i < cap->nsecrets; i++)
		len += strlen(cap->secrets[i]) + 1;
	put32(b, BT_DSB);
	put32(b, 0);
	put32(b, DSB_TLSK);
	put32(b, (uint32_t)len);
	for (i = 0; i < cap->nsecrets; i++) {
		put(b, cap->secrets[i], strlen(cap->secrets[i]));
		put(b, "\n", 1);
	}
	pad4(b);
	end_block(b, start);
}

struct uctls_pcap {
	struct buf *slots;
	size_t nslots;
};

struct uctls_pcap *
uctls_pcap_new(size_t nslots)
{
	struct uctls_pcap *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->slots = calloc(nslots ? nslots : 1, sizeof(*p->slots));
	if (p->slots == NULL) {
		free(p);
		return NULL;
	}
	p->nslots = nslots;
	return p;
}

void
uctls_pcap_free(struct uctls_pcap *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nslots; i++)
		free(p->slots[i].p);
	free(p->slots);
	free(p);
}

int
uctls_pcap_set(struct uctls_pcap *p, size_t slot, const char *scenario,
               const struct uctls_cap *cap)
{
	struct tcpst st[64], *sp;
	struct buf b = { NULL, 0, 0, 0 };
	size_t i;

	if (slot >= p->nslots || cap == NULL)
		return -1;
	/* The secrets first: a reader applies them to the packets after. */
	put_secrets(&b, cap);
	for (i = 0; i < cap->nsegs; i++) {
		const struct seg *s = &cap->segs[i];

		if (s->conn >= sizeof(st) / sizeof(st[0]))
			continue; /* a family has a handful of connections */
		sp = &st[s->conn];
		if (s->kind == SEG_SYN) {
			/* Initial sequence numbers distinct for every connection of
			 * the file (an odd multiplier is a bijection mod 2^32): a
			 * client port the kernel reuses in a later scenario is then
			 * a new connection to Wireshark, not a retransmission. */
			uint32_t isn = (uint32_t)(slot * 64 + s->conn + 1) * 2654435761u;

			sp->ci = &cap->ips[s->conn];
			sp->next[0] = isn;
			sp->next[1] = isn ^ 0x80000000u;
			sp->ipid = 1;
		}
		put_segment(&b, cap, s, sp, scenario);
	}
	if (b.oom || cap->oom) {
		free(b.p);
		return -1;
	}
	free(p->slots[slot].p);
	p->slots[slot] = b;
	return 0;
}

int
uctls_pcap_write(const struct uctls_pcap *p, const char *path, struct uctls_err *err)
{
	struct buf b = { NULL, 0, 0, 0 };
	size_t i, start;
	int rv;

	/* Section Header Block: byte-order magic, version 1.0, length unknown. */
	put32(&b, BT_SHB);
	put32(&b, 0);
	put32(&b, 0x1A2B3C4Du);
	put16(&b, 1);
	put16(&b, 0);
	put32(&b, 0xffffffffu);
	put32(&b, 0xffffffffu);
	put_comment(&b, "uctls run --pcap: synthesised Ethernet/IPv4/TCP framing around the bytes "
	                "each side wrote; TLS secrets in the Decryption Secrets Blocks");
	end_block(&b, 0);
	/* Interface Description Block: Ethernet, no snap length limit. */
	start = b.n;
	put32(&b, BT_IDB);
	put32(&b, 0);
	put16(&b, LINKTYPE_ETHERNET);
	put16(&b, 0);
	put32(&b, 0);
	end_block(&b, start);
	for (i = 0; i < p->nslots; i++)
		put(&b, p->slots[i].p, p->slots[i].n);
	if (b.oom) {
		free(b.p);
		return uctls_err_set(err, "%s: out of memory", path);
	}
	rv = uctls_file_write(path, b.p, b.n, 0644, err);
	free(b.p);
	return rv;
}
