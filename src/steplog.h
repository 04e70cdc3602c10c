/* uctls — the step log (uctls_log_*): what each side observed, step by step.
 *
 * The engine appends one record per (step, side) as the step ends; the
 * report writers (report.h) only read it.  Steps and reasons are the stable
 * identifiers of docs/steps.md.
 *
 * Ownership: the log owns every string it holds (copied on append).
 */
#ifndef UCTLS_STEPLOG_H
#define UCTLS_STEPLOG_H

#include <stddef.h>

enum uctls_status {
	UCTLS_PASS = 0,
	UCTLS_FAIL,
	UCTLS_NOT_REACHED, /* an earlier step failed */
	UCTLS_UNOBSERVED   /* the other side is a real peer: not seen from here */
};

struct uctls_step {
	char *step;   /* "tcp-connect", "tls-handshake", ... */
	char *side;   /* peer id */
	enum uctls_status status;
	char *reason; /* NULL when passed; else a reason identifier */
	char *detail; /* NULL or one or more sentences naming what was wrong */
	char *hint;   /* NULL or one line: what to change */
	char **also;  /* other problems on the same path, not the cause */
	size_t nalso;
	double ms;    /* wall time the side spent in the step */
};

/* A certificate as it crossed the wire: DER, owned; data NULL when not
 * kept.  The reports decode it only when they print it (certinfo.h), so a
 * run whose report prints no certificate pays for a copy, not a parse. */
struct uctls_der {
	unsigned char *data;
	size_t len;
};

/* What a side presented and negotiated, for the reports. */
struct uctls_side_info {
	char *id;
	char *role;     /* "client" / "server" */
	char *profile;
	int remote;      /* a real peer (--remote/--listen): its steps are unobserved */
	char **sent_fpr; /* SHA-256 fingerprints of the certificates sent, in order */
	char **sent_ids; /* their scenario ids (or "?" when not from the scenario) */
	struct uctls_der *sent_der; /* their DER, parallel to sent_fpr: kept for a
	                               real peer's side (what the other side received
	                               from it), else entries with data NULL */
	size_t nsent;
	char **peer_fpr; /* fingerprints of what the other side presented */
	char **peer_ids; /* the scenario <pki> id each one is, or NULL */
	struct uctls_der *peer_der; /* their DER, parallel to peer_fpr */
	size_t npeer;
	/* A real server (remote): whether it asked the client for a
	 * certificate, and the acceptable CAs it named (none: any). */
	int asked_cert;
	char **asked_cas;
	size_t nasked_cas;
	/* A scenario's own profile (profile.h): copies of what the device
	 * shows ("symptom", "symptoms"), which the report cannot find by
	 * name; NULL for a profile of the process, looked up by name. */
	char *symptom;
	char **symptoms;
	size_t nsymptoms;
};

/* A candidate fix, applied to the scenario and re-run (fix.h). */
struct uctls_fixnote {
	char *what;   /* the change, in words */
	int passes;   /* 1: every step passes with it */
	char *result; /* "every step passes", "moves the failure to STEP on SIDE:
	                 REASON", ... */
};

struct uctls_log {
	char *scenario;  /* name */
	char *file;
	char *family;
	struct uctls_step *steps;
	size_t nsteps;
	struct uctls_side_info sides[3]; /* e.g. C, E and the MRA Jabber client */
	size_t nsides;
	char *version;  /* negotiated TLS version ("TLS1.3") or NULL */
	char *cipher;   /* negotiated cipher suite or NULL */
	double total_ms;
	struct uctls_fixnote *fixes; /* verified fixes, best first (fix.h) */
	size_t nfixes;
	char *fixes_note;            /* why no fix was verified, or NULL */
};

struct uctls_log *uctls_log_new(const char *scenario, const char *file,
                                const char *family);
void uctls_log_free(struct uctls_log *log); /* accepts NULL */

/* Appends a record and returns it (owned by the log; valid until the next
 * append), or NULL when out of memory.  REASON, DETAIL, HINT may be NULL. */
struct uctls_step *uctls_log_add(struct uctls_log *log, const char *step,
                                 const char *side, enum uctls_status status,
                                 const char *reason, const char *detail,
                                 const char *hint, double ms);
int uctls_log_add_also(struct uctls_step *st, const char *text);
/* Appends a verified fix (strings copied).  Returns 0, or -1 when out of
 * memory. */
int uctls_log_add_fix(struct uctls_log *log, const char *what, int passes,
                      const char *result);

/* Registers a side (at most three); returns it or NULL. */
struct uctls_side_info *uctls_log_side(struct uctls_log *log, const char *id,
                                       const char *role, const char *profile);
int uctls_side_add_sent(struct uctls_side_info *si, const char *id,
                        const char *fpr);
/* Copies SYMPTOM and the NULL-terminated SYMPTOMS (either may be NULL)
 * into SI; 0, or -1 out of memory. */
int uctls_side_set_symptoms(struct uctls_side_info *si, const char *symptom,
                            const char *const *symptoms);
int uctls_side_add_peer(struct uctls_side_info *si, const char *fpr);
/* The same with the certificate's scenario ID (NULL: none) and its DER (LEN
 * bytes at DER, copied; NULL: not kept). */
int uctls_side_add_sent_der(struct uctls_side_info *si, const char *id, const char *fpr,
                            const void *der, size_t len);
int uctls_side_add_peer_der(struct uctls_side_info *si, const char *id, const char *fpr,
                            const void *der, size_t len);

/* The primary failure, or NULL when every step passed: the first FAIL
 * record whose reason is not an "alert:..." (the side that diagnosed the
 * cause, not the one that only received its alert); when every FAIL record
 * is an alert, the first FAIL record. */
const struct uctls_step *uctls_log_failure(const struct uctls_log *log);
/* The first failing record of SIDE at STEP, or NULL. */
const struct uctls_step *uctls_log_find(const struct uctls_log *log,
                                        const char *step, const char *side);

#endif
