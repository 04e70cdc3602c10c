/* uctls — recording a scenario's connections (uctls_cap_*) and writing
 * them as pcapng (uctls_pcap_*), for `uctls run --pcap FILE' and --ladder.
 *
 * A capture (struct uctls_cap) belongs to one run of one scenario.  The
 * engine and the TLS module feed it, only when the caller asked for one
 * (uctls_run_opts.cap; NULL costs a pointer test): the bytes each side
 * uctls plays wrote on its socket (and, facing a real peer, what it read
 * from it), the NSS key log lines of every session, and the events the
 * ladder draws (TCP connect, each TLS handshake message, alerts, each SIP
 * message or XMPP element, the failure).  Nothing is decoded here.
 *
 * The pcapng writer (struct uctls_pcap) turns the captures of a run into
 * one file: per scenario a Decryption Secrets Block (pcapng block type
 * 0x0000000A, secrets type 0x544c534b "TLSK", the key log lines: what
 * `editcap --inject-secrets tls,FILE' writes) followed by the connections
 * as Ethernet/IPv4/TCP frames with SYN, SYN/ACK, ACK, the data as written
 * and FIN, sequence and acknowledgement numbers consistent, so that
 * Wireshark reassembles each stream and decrypts it with no key log file.
 *
 * Ports: the client's real port is kept; the server's is written as the
 * family's well-known port so the dissector recognises the protocol on
 * loopback's ephemeral ports: 5061 (SIP over TLS, RFC 3261 26.2.2 /
 * Wireshark's tls.port table) for a SIP connection, 5222 for XMPP (the only
 * port Wireshark's XMPP dissector registers; s2s's 5269 is not decoded
 * without `-d tcp.port==5269,xmpp'), 443 for a TLS-only connection (the
 * MRA SSH tunnel and edge checks).  The real endpoints are in a comment
 * option on each connection's SYN and in uctls_cap_print_conns().
 *
 * Ownership: every string passed in is copied.  A capture is used by one
 * thread; uctls_pcap_set() on distinct slots may run in parallel threads.
 */
#ifndef UCTLS_PCAP_H
#define UCTLS_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

struct sockaddr;

/* Bytes of socket data one scenario's capture keeps at most; beyond, the
 * data is dropped and the connection's comment says so. */
#define UCTLS_CAP_MAX_BYTES ((size_t)16 << 20)

enum uctls_cap_kind {
	UCTLS_CAP_CONNECT, /* the TCP connection was established */
	UCTLS_CAP_TLS,     /* a TLS handshake message ("ClientHello") */
	UCTLS_CAP_ALERT,   /* a TLS alert ("fatal unknown-ca") */
	UCTLS_CAP_APP,     /* a SIP message's first line, an XMPP element */
	UCTLS_CAP_FAIL     /* the side failed: "STEP: REASON" */
};

struct uctls_cap_event {
	enum uctls_cap_kind kind;
	int side;      /* who sent it: 0 client, 1 server (FAIL: who failed) */
	int received;  /* noted by the receiving side, not the sender */
	uint64_t us;   /* wall-clock time, microseconds */
	char *text;    /* owned */
};

struct uctls_cap_conn {
	char *step;        /* the first step the connection serves, owned */
	char *id[2];       /* client and server peer ids, owned */
	int local[2];      /* 1: uctls plays that side */
	unsigned port;     /* the server port written in the frames */
	char addr[2][64];  /* real endpoints "HOST:PORT", "" before connect */
	uint64_t t0;       /* when it was established, else began (us) */
	struct uctls_cap_event *ev;
	size_t nev;
	int connected, closed;
	int truncated;     /* data dropped: UCTLS_CAP_MAX_BYTES reached */
};

struct uctls_cap;

struct uctls_cap *uctls_cap_new(void); /* NULL when out of memory */
void uctls_cap_free(struct uctls_cap *cap); /* accepts NULL */

/* A new connection (a phase of the family): its first step, the client
 * and server ids, whether uctls plays each, the server port to write. */
void uctls_cap_begin(struct uctls_cap *cap, const char *step, const char *client,
                     const char *server, int client_local, int server_local, unsigned port);
/* The current connection is established between CLIENT and SERVER (real
 * addresses); the first call counts, later ones are ignored. */
void uctls_cap_connected(struct uctls_cap *cap, const struct sockaddr *client,
                         const struct sockaddr *server);
/* N bytes sent by the server (FROM_SERVER) or the client. */
void uctls_cap_bytes(struct uctls_cap *cap, int from_server, const void *buf, size_t n);
/* The current connection ends (FIN both ways); once. */
void uctls_cap_end(struct uctls_cap *cap);
/* One NSS key log line, without its newline; duplicates are dropped (both
 * simulated sides log the same secrets). */
void uctls_cap_secret(struct uctls_cap *cap, const char *line);
/* A ladder event on the current connection. */
void uctls_cap_note(struct uctls_cap *cap, enum uctls_cap_kind kind, int side, int received,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* What was recorded; 0 when a recording ran out of memory (-1 then). */
int uctls_cap_status(const struct uctls_cap *cap);
size_t uctls_cap_nconns(const struct uctls_cap *cap);
const struct uctls_cap_conn *uctls_cap_conn_at(const struct uctls_cap *cap, size_t i);

/* "connection 1 (tcp-connect): C 127.0.0.1:40512 -> E 127.0.0.1:40511,
 * in the capture as server port 5061", one line per connection, each
 * after PREFIX. */
void uctls_cap_print_conns(FILE *out, const struct uctls_cap *cap, const char *prefix);

struct uctls_pcap;

/* A file of NSLOTS scenarios, in slot order. NULL when out of memory. */
struct uctls_pcap *uctls_pcap_new(size_t nslots);
void uctls_pcap_free(struct uctls_pcap *p); /* accepts NULL */
/* Serialises the capture of SCENARIO into slot SLOT (replacing what was
 * there).  0, or -1 when out of memory. */
int uctls_pcap_set(struct uctls_pcap *p, size_t slot, const char *scenario,
                   const struct uctls_cap *cap);
/* Writes the file to PATH safely (fileio.h); 0, or -1 with ERR set. */
int uctls_pcap_write(const struct uctls_pcap *p, const char *path, struct uctls_err *err);

#endif
