#include "config.h"

#include "engine-int.h"

/* --- XMPP server-to-server (RFC 6120, RFC 7590, XEP-0178, XEP-0220) ------ */

/* The initiating server I is the TLS client, the receiving server R the TLS
 * server.  Before TLS the stream is plaintext on the socket; after
 * <proceed/> the same socket carries TLS, and after TLS and after SASL
 * success both sides restart the stream (RFC 6120 5.4.3.3, 6.4.6). */

const char *
eng_x_domain(const struct uctls_peerdef *pd)
{
	return uctls_peer_domain(pd);
}

/* Whether side S may use dialback: its profile's, unless dialback="no". */
int
eng_x_dialback(const struct side *s)
{
	return s->profile->dialback && s->def->dialback != UCTLS_OFF;
}

/* Prosody's s2s_secure_auth on side S (modules/mod_s2s.lua,
 * check_auth_policy): 1 on, 0 off, -1 the profile has no such switch and
 * keeps its own rules (abort TLS, or dialback). */
static int
x_secure_auth(const struct side *s)
{
	if (s->def->secure_auth != UCTLS_DEFAULT)
		return s->def->secure_auth == UCTLS_ON;
	return s->profile->secure_auth_switch ? 0 : -1;
}

int
eng_x_verify_later(const struct side *s)
{
	return eng_x_dialback(s) || x_secure_auth(s) >= 0;
}

/* The domain I opens its stream to: to=, else R's domain. */
static const char *
x_to(const struct run *r)
{
	return r->client->to != NULL ? r->client->to : eng_x_domain(r->server);
}

/* Appends TEXT (owned by the caller) to what SIDE sends next. */
static int
x_queue(struct side *s, const char *text)
{
	size_t n;
	char *p;

	if (text == NULL)
		return -1;
	n = strlen(text);
	p = realloc(s->out, s->outlen + n + 1);
	if (p == NULL)
		return -1;
	memcpy(p + s->outlen, text, n + 1);
	s->out = p;
	s->outlen += n;
	return 0;
}

/* For the ladder: the first element of TEXT (one that x_send queues) as
 * "<name from='..' to='..'>", plus its children's names for
 * <stream:features> and <stream:error>. */
static void
x_label(const char *text, char *buf, size_t n)
{
	static const char *const keep[] = { "from", "to", "type", "mechanism" };
	const char *p = text, *end, *q, *v;
	size_t l = 0, i, k;
	int depth;

	while ((p = strchr(p, '<')) != NULL && p[1] == '?')
		p++;
	if (p == NULL || n < 2 || (end = strchr(p, '>')) == NULL) {
		snprintf(buf, n, "(%zu bytes)", strlen(text));
		return;
	}
	if (p[1] == '/') { /* </stream:stream> */
		snprintf(buf, n, "%.*s", (int)(end + 1 - p), p);
		return;
	}
	k = strcspn(p + 1, " \t\r\n/>");
	l = (size_t)snprintf(buf, n, "<%.*s", (int)k, p + 1);
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]) && l < n; i++) {
		size_t kl = strlen(keep[i]);

		for (q = p; (q = strstr(q, keep[i])) != NULL && q < end; q += kl)
			if (q[-1] == ' ' && q[kl] == '=' && (q[kl + 1] == '\'' || q[kl + 1] == '"')) {
				v = q + kl + 2;
				l += (size_t)snprintf(buf + l, n - l, " %s='%.*s'", keep[i],
				                      (int)strcspn(v, "'\""), v);
				break;
			}
	}
	if (l < n)
		l += (size_t)snprintf(buf + l, n - l, "%s", end[-1] == '/' ? "/>" : ">");
	if (strncmp(p, "<stream:features", 16) != 0 && strncmp(p, "<stream:error", 13) != 0)
		return;
	/* Its children (depth 0 here), not their descendants. */
	for (q = end, k = 0, depth = 0; (q = strchr(q, '<')) != NULL && l < n; q++) {
		if (q[1] == '/') {
			depth--;
			continue;
		}
		i = strcspn(q + 1, " \t\r\n/>");
		if (depth == 0)
			l += (size_t)snprintf(buf + l, n - l, "%s%.*s", k++ ? ", " : " ", (int)i, q + 1);
		if ((v = strchr(q, '>')) != NULL && v[-1] != '/')
			depth++;
	}
}

static int
x_send(struct side *s, char *owned)
{
	int rv;

	if (s->cap != NULL && owned != NULL) {
		char label[160];

		x_label(owned, label, sizeof(label));
		uctls_cap_note(s->cap, UCTLS_CAP_APP, s->is_server, 0, "%s", label);
	}
	rv = x_queue(s, owned);

	free(owned);
	return rv;
}

/* Writes what is queued: plaintext before TLS, records after.  Returns 0
 * when all is written, 1 when it would block (s->want set), -1 on local
 * error; a failed write fails the side (s->state). */
static int
x_flush(struct run *r, struct side *s)
{
	ssize_t w;
	size_t n;
	int tr;

	while (s->outdone < s->outlen) {
		if (s->tls != NULL && s->state != S_PRE) {
			tr = uctls_tls_send(s->tls, s->out + s->outdone, s->outlen - s->outdone, &n);
			if (tr == UCTLS_TLS_WANT_READ || tr == UCTLS_TLS_WANT_WRITE) {
				s->want = tr == UCTLS_TLS_WANT_READ ? POLLIN : POLLOUT;
				return 1;
			}
			if (tr != UCTLS_TLS_OK)
				return eng_tls_result(r, s, tr) < 0 ? -1 : 1;
			s->outdone += n;
			continue;
		}
		w = write(s->fd, s->out + s->outdone, s->outlen - s->outdone);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			s->want = POLLOUT;
			return 1;
		}
		if (w > 0 && s->cap != NULL)
			uctls_cap_bytes(s->cap, s->is_server, s->out + s->outdone, (size_t)w);
		if (w < 0)
			return eng_side_fail_msg(r, s, "connection-closed", NULL, "writing to %s: %s",
			                     s->other->def->id, strerror(errno)) < 0 ? -1 : 1;
		s->outdone += (size_t)w;
	}
	free(s->out);
	s->out = NULL;
	s->outlen = s->outdone = 0;
	return 0;
}

/* Reads what has arrived into the XMPP parser.  Returns 0 when bytes were
 * fed, 1 when none are available (s->want set) or the side failed, -1 on
 * local error. */
static int
x_read(struct run *r, struct side *s)
{
	struct uctls_err e;
	char buf[8192];
	ssize_t got;
	size_t n;
	int tr;

	if (s->tls != NULL && s->state != S_PRE) {
		tr = uctls_tls_recv(s->tls, buf, sizeof(buf), &n);
		if (tr == UCTLS_TLS_WANT_READ || tr == UCTLS_TLS_WANT_WRITE) {
			s->want = tr == UCTLS_TLS_WANT_READ ? POLLIN : POLLOUT;
			return 1;
		}
		if (tr != UCTLS_TLS_OK)
			return eng_tls_result(r, s, tr) < 0 ? -1 : 1;
	} else {
		/* Plaintext: read only up to what the parser needs is not
		 * possible with a stream, but nothing follows <proceed/> or
		 * <starttls/> until the TLS handshake starts. */
		got = read(s->fd, buf, sizeof(buf));
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			s->want = POLLIN;
			return 1;
		}
		if (got < 0)
			return eng_side_fail_msg(r, s, "connection-closed", NULL, "reading from %s: %s",
			                     s->other->def->id, strerror(errno)) < 0 ? -1 : 1;
		n = (size_t)got;
		if (s->cap != NULL && !s->other->local)
			uctls_cap_bytes(s->cap, !s->is_server, buf, n);
	}
	eng_rx(s, buf, n, s->tls == NULL || s->state == S_PRE);
	if (n == 0)
		return eng_side_fail_msg(r, s, "connection-closed", NULL,
		                     "%s closed the connection without closing the XMPP stream",
		                     s->other->def->id) < 0 ? -1 : 1;
	uctls_err_clear(&e);
	if (uctls_xmpp_parser_feed(s->xp, buf, n, &e) < 0)
		return eng_side_fail_msg(r, s, "xmpp-malformed",
		                     "check what answers on the peer's XMPP server port",
		                     "%s sent something that is not an XMPP stream: %s",
		                     s->other->def->id, e.msg) < 0 ? -1 : 1;
	return 0;
}

static int
x_set_note(struct side *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
x_set_note(struct side *s, const char *fmt, ...)
{
	va_list ap;
	char *n = NULL;

	va_start(ap, fmt);
	if (vasprintf(&n, fmt, ap) < 0)
		n = NULL;
	va_end(ap);
	free(s->note);
	s->note = n;
	return n != NULL ? 0 : -1;
}

/* Does R host DOMAIN (its domain or one of its subdomains=)? */
static int
x_hosts(const struct uctls_peerdef *pd, const char *domain)
{
	size_t i;

	if (domain[0] == '\0')
		return 0;
	if (strcasecmp(eng_x_domain(pd), domain) == 0)
		return 1;
	for (i = 0; i < pd->nsubdomains; i++)
		if (strcasecmp(pd->subdomains[i], domain) == 0)
			return 1;
	return 0;
}

/* Step failure with a stream error sent to the other side first (RFC 6120
 * 4.9: the entity that detects the error sends it and closes). */
static int
x_fail_stream(struct run *r, struct side *s, const char *condition, const char *reason,
              const char *hint, const char *detail)
{
	int rv;

	if (x_send(s, uctls_xmpp_stream_error(condition, NULL)) < 0)
		return -1;
	rv = x_flush(r, s);
	if (rv < 0)
		return -1;
	if (s->state == S_FAILED)
		return 0;
	return eng_side_fail_msg(r, s, reason, hint, "%s", detail);
}

/* How Prosody 0.12 completes "Your server's certificate ..." for the
 * verdict D (mod_s2s.lua, friendly_cert_error): the chain's errors at
 * depth 0 first, the identity only when the chain is valid.  OpenSSL 3.0
 * spells X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT "self-signed certificate",
 * which 0.12's test for "self signed certificate" does not match. */
static const char *
x_prosody_words(const struct uctls_diag *d)
{
	static const char *const names[] = { "name-mismatch", "cn-only-no-san",
		                             "wildcard-missing", "wildcard-not-allowed", NULL };
	size_t i;

	if (d == NULL || d->reason == NULL)
		return "could not be validated";
	if (strcmp(d->reason, "expired") == 0)
		return "has expired";
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(d->reason, names[i]) == 0)
			return "is not valid for this name";
	return "is not trusted";
}

/* s2s_secure_auth on: once the stream is restarted over TLS, a certificate
 * of the other server that did not verify, or none, is refused with
 * <not-authorized/> and a text, never in the TLS handshake (LuaSec's
 * lsec_continue; mod_s2s.lua check_auth_policy, run when the other side's
 * stream header arrives).  Returns 1 when S refused (and failed), 0 to go
 * on, -1 on error. */
static int
x_secure_refuse(struct run *r, struct side *s)
{
	const struct uctls_diag *d = NULL;
	struct uctls_diag f;
	char text[96], *detail = NULL;
	int verdict, rv;

	if (x_secure_auth(s) != 1 || s->tls == NULL ||
	    (verdict = uctls_tls_peer_verdict(s->tls, &d)) == 0)
		return 0;
	if (verdict < 0)
		d = NULL;
	snprintf(text, sizeof(text), "Your server's certificate %s", x_prosody_words(d));
	if (eng_enter_step(r, s, eng_step_s2s_auth) < 0 ||
	    x_send(s, uctls_xmpp_stream_error("not-authorized", text)) < 0 || x_flush(r, s) < 0)
		return -1;
	if (s->state == S_FAILED)
		return 1;
	if (asprintf(&detail, "%s%ss2s_secure_auth: sent <not-authorized/> \"%s\" after the "
	             "stream restart",
	             d != NULL && d->detail != NULL ? d->detail : "", d != NULL ? "; " : "",
	             text) < 0)
		return -1;
	f = d != NULL ? *d : (struct uctls_diag){ 0 };
	f.reason = d != NULL ? d->reason : s->is_server ? "no-client-cert" : "no-server-cert";
	f.detail = detail;
	if (d == NULL)
		f.hint = "configure a certificate on the other server, or turn secure-auth off";
	rv = eng_side_fail(r, s, &f);
	free(detail);
	return rv < 0 ? -1 : 1;
}

static int
x_start_tls(struct run *r, struct side *s, struct uctls_err *err)
{
	if (uctls_xmpp_parser_reset(s->xp) < 0)
		return uctls_err_set(err, "out of memory");
	s->xheader = 0;
	if (eng_start_tls(r, s, err) < 0)
		return -1;
	return 0;
}

/* The subdomain step: is R's certificate, already verified for R's domain,
 * also valid for each hosted service name?  IM and Presence: group chat
 * between federated partners needs `*.example.com' on the cup-xmpp-s2s
 * certificate, because conference.example.com is a subdomain (Cisco,
 * "Configuration and Administration of the IM and Presence Service",
 * chapter "Configure Certificates", section "Enable Wildcards in XMPP
 * Federation Security Certificates", https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/cucm/im_presence/configAdminGuide/12_5_1_su4/cup0_b_config-and-admin-guide-1251su4/cup0_b_config-and-admin-guide-1251su3_chapter_01010.html). */
int
eng_x_subdomains(struct run *r, struct side *s)
{
	const char *name;
	char covers[512];
	size_t i;
	int rv;

	if (r->server->nsubdomains == 0)
		return eng_side_done(r, s);
	if (eng_enter_step(r, s, eng_step_subdomain) < 0)
		return -1;
	for (i = 0; i < r->server->nsubdomains; i++) {
		struct uctls_diag d;

		name = r->server->subdomains[i];
		uctls_diag_init(&d);
		rv = uctls_tls_check_name(s->tls, name, &d);
		if (rv < 0) {
			uctls_diag_clear(&d);
			return -1;
		}
		if (rv == 1) {
			/* A name under R's domain that only the parent covers: the
			 * certificate needs the wildcard. */
			const char *dot = strchr(name, '.');

			if (strcmp(d.reason, "name-mismatch") == 0 && dot != NULL &&
			    strcasecmp(dot + 1, eng_x_domain(r->server)) == 0) {
				char *detail = NULL;

				if (asprintf(&detail,
				             "%s serves `%s' over the same federation, but %s's "
				             "certificate does not cover it: it needs `*.%s' (IM and "
				             "Presence: group chat between federated partners needs a "
				             "wildcard cup-xmpp-s2s certificate); %s",
				             r->server->id, name, r->server->id, dot + 1, d.detail) < 0)
					detail = NULL;
				free(d.reason);
				free(d.detail);
				free(d.hint);
				d.reason = strdup("wildcard-missing");
				d.detail = detail;
				d.hint = NULL;
				if (asprintf(&d.hint, "re-issue %s's certificate with DNS:*.%s", r->server->id,
				             dot + 1) < 0)
					d.hint = NULL;
			}
			rv = eng_side_fail(r, s, &d);
			uctls_diag_clear(&d);
			return rv;
		}
		uctls_diag_clear(&d);
	}
	covers[0] = '\0';
	for (i = 0; i < r->server->nsubdomains; i++)
		snprintf(covers + strlen(covers), sizeof(covers) - strlen(covers), "%s%s",
		         i > 0 ? ", " : "", r->server->subdomains[i]);
	if (x_set_note(s, "%s's certificate also covers %s", r->server->id, covers) < 0)
		return -1;
	return eng_side_done(r, s);
}

/* I's stanza over the authenticated stream.  Server-to-server streams are
 * unidirectional (RFC 6120 4.1): R answers over a stream of its own to I's
 * domain, which uctls does not accept here; so I sends the ping, closes its
 * stream, and counts the stanza as routed when R closes its side in order
 * (RFC 6120 4.4) or, facing a real server, stays silent (no stream error). */
static int
x_ping(struct run *r, struct side *s, const char *me, const char *to)
{
	if (x_set_note(s, "sent a ping (XEP-0199) from %s to %s over the authenticated stream "
	               "and closed it; %s accepted it (its answer travels over its own stream, "
	               "RFC 6120 4.1)",
	               me, to, s->other->def->id) < 0 ||
	    x_send(s, uctls_xmpp_ping(me, to, "uctls-ping-1")) < 0 ||
	    x_send(s, uctls_xmpp_stream_close()) < 0)
		return -1;
	(void)r;
	s->xclosing = 1;
	s->quiet_ok = 1;
	return 0;
}

/* A <stream:error/> from the other side ends the step with its condition. */
static int
x_stream_error(struct run *r, struct side *s, const struct uctls_xmpp_elem *e, const char *cond)
{
	char reason[96];
	const struct uctls_xmpp_elem *t = uctls_xmpp_child(e, UCTLS_NS_STREAM_ERRORS, "text");

	snprintf(reason, sizeof(reason), "stream-error:%s", cond);
	return eng_side_fail_msg(r, s, reason, NULL, "%s sent the stream error <%s/>%s%s%s",
	                     s->other->def->id, cond, t ? " (" : "", t ? t->text : "",
	                     t ? ")" : "");
}

/* I sends its dialback key (XEP-0220 2.1) after NOTE. */
static int
x_i_dialback(struct run *r, struct side *s, const char *note)
{
	const char *me = eng_x_domain(s->def), *to = x_to(r);

	s->xauth = 2;
	if (note != NULL && x_set_note(s, "%s", note) < 0)
		return -1;
	return x_send(s, uctls_xmpp_db_result(me, to, "uctls-dialback-key"));
}

/* I, the stream features after TLS: SASL EXTERNAL, dialback, or nothing
 * left (XEP-0178, XEP-0220; Prosody's s2s_secure_auth). */
static int
x_i_auth_features(struct run *r, struct side *s, const struct uctls_xmpp_elem *e)
{
	const struct uctls_xmpp_elem *mechs = uctls_xmpp_child(e, UCTLS_NS_SASL, "mechanisms");
	int offered_db = uctls_xmpp_child(e, UCTLS_NS_DIALBACK_FEATURE, "dialback") != NULL;
	int external = 0, dialback = offered_db && eng_x_dialback(s);
	char note[512];
	size_t i;

	for (i = 0; mechs != NULL && i < mechs->nchildren; i++)
		external |= strcmp(mechs->children[i]->name, "mechanism") == 0 &&
		            strcmp(mechs->children[i]->text, "EXTERNAL") == 0;
	if (eng_enter_step(r, s, eng_step_s2s_auth) < 0)
		return -1;
	s->xdialback_ok = dialback;
	if (s->tls != NULL && x_secure_auth(s) != 0) {
		const struct uctls_diag *d;

		if (uctls_tls_peer_verdict(s->tls, &d) > 0) {
			/* s2s_secure_auth off: R's certificate did not verify, so
			 * only dialback can authenticate R. */
			if (!dialback)
				return eng_side_fail(r, s, d);
			snprintf(note, sizeof(note), "authenticated with dialback (XEP-0220): %s's "
			         "certificate did not verify (%s: %s), and this profile falls back "
			         "to dialback", s->other->def->id, d->reason, d->detail ? d->detail : "");
			return x_i_dialback(r, s, note);
		}
	}
	if (external && s->def->nsends > 0) {
		s->xauth = 1;
		return x_send(s, uctls_xmpp_sasl_external(NULL));
	}
	if (dialback) {
		snprintf(note, sizeof(note), "authenticated with dialback (XEP-0220): %s",
		         external ? "no certificate to offer for SASL EXTERNAL"
		                  : "the receiving server did not offer SASL EXTERNAL (XEP-0178), "
		                    "so it does not accept this server's certificate");
		return x_i_dialback(r, s, note);
	}
	return eng_side_fail_msg(r, s, "no-auth-mechanism",
	                     "see the receiving server's side: it did not accept the "
	                     "certificate for SASL EXTERNAL and dialback is off",
	                     "%s offered %s; no way to authenticate remains", s->other->def->id,
	                     external ? "SASL EXTERNAL but this server has no certificate"
	                     : offered_db ? "only dialback, which this server's profile does not use"
	                                  : "neither SASL EXTERNAL nor dialback");
}

/* I, <stream:features/> at each stage: STARTTLS, authentication,
 * established. */
static int
x_i_features(struct run *r, struct side *s, const struct uctls_xmpp_elem *e)
{
	if (s->xstage == 0) {
		if (eng_enter_step(r, s, eng_step_starttls) < 0)
			return -1;
		if (uctls_xmpp_child(e, UCTLS_NS_TLS, "starttls") == NULL) {
			/* RFC 7590 3.1: TLS is mandatory between servers. */
			return x_fail_stream(r, s, "policy-violation", "starttls-not-offered",
			                     "enable TLS for server-to-server on the receiving server",
			                     "the receiving server offered no STARTTLS in its stream "
			                     "features, and server-to-server TLS is required (RFC 7590 "
			                     "3.1)");
		}
		return x_send(s, uctls_xmpp_starttls());
	}
	if (s->xstage == 1)
		return x_i_auth_features(r, s, e);
	/* After SASL success: the stream is authenticated. */
	if (eng_enter_step(r, s, eng_step_established) < 0)
		return -1;
	return x_ping(r, s, eng_x_domain(s->def), x_to(r));
}

/* I, <success/>: restart the stream (RFC 6120 6.4.6). */
static int
x_i_sasl_success(struct run *r, struct side *s, struct uctls_err *err)
{
	const char *me = eng_x_domain(s->def);
	const struct uctls_diag *d = NULL;
	int ignored = x_secure_auth(s) == 0 && s->tls != NULL &&
	              uctls_tls_peer_verdict(s->tls, &d) > 0;

	if (x_set_note(s, "authenticated with SASL EXTERNAL (XEP-0178): the receiving "
	                  "server accepted this server's certificate for %s%s%s%s", me,
	               ignored ? "; its own certificate did not verify (" : "",
	               ignored ? d->reason : "",
	               ignored ? "), ignored: secure-auth is off (s2s_secure_auth = "
	                         "false)" : "") < 0)
		return -1;
	s->xstage = 2;
	s->xheader = 0;
	if (uctls_xmpp_parser_reset(s->xp) < 0)
		return uctls_err_set(err, "out of memory");
	return x_send(s, uctls_xmpp_stream_header(me, x_to(r), NULL));
}

/* I, <failure/> to SASL EXTERNAL: dialback if allowed, else the end. */
static int
x_i_sasl_failure(struct run *r, struct side *s, const char *cond)
{
	char reason[96], note[256];

	if (s->xdialback_ok) {
		snprintf(note, sizeof(note), "authenticated with dialback (XEP-0220) after %s "
		         "refused SASL EXTERNAL with <%s/>", s->other->def->id, cond);
		return x_i_dialback(r, s, note);
	}
	snprintf(reason, sizeof(reason), "sasl-failure:%s", cond);
	return eng_side_fail_msg(r, s, reason, "see the receiving server's side for why",
	                     "%s refused SASL EXTERNAL with <%s/>", s->other->def->id, cond);
}

/* I, R's answer to the dialback key. */
static int
x_i_db_result(struct run *r, struct side *s, const struct uctls_xmpp_elem *e)
{
	const char *type = uctls_xmpp_attr(e, "type");

	if (type != NULL && strcmp(type, "valid") == 0) {
		if (eng_enter_step(r, s, eng_step_established) < 0)
			return -1;
		return x_ping(r, s, eng_x_domain(s->def), x_to(r));
	}
	return eng_side_fail_msg(r, s, "dialback-invalid", NULL,
	                     "%s answered the dialback key with type=`%s'",
	                     s->other->def->id, type ? type : "");
}

/* The initiating server, one parsed event at a time. */
static int
x_initiator(struct run *r, struct side *s, struct uctls_xmpp_event *ev, struct uctls_err *err)
{
	const struct uctls_xmpp_elem *e = ev->elem;
	const char *cond;

	if (ev->type == UCTLS_XMPP_STREAM_CLOSE) {
		if (s->xclosing)
			return eng_x_subdomains(r, s); /* R closed its side in order */
		return eng_side_fail_msg(r, s, "connection-closed", NULL,
		                     "%s closed the stream (</stream:stream>) during %s",
		                     s->other->def->id, s->step);
	}
	if (ev->type == UCTLS_XMPP_STREAM_OPEN) {
		s->xheader = 1;
		return s->xstage == 1 && x_secure_refuse(r, s) < 0 ? -1 : 0;
	}
	if ((cond = uctls_xmpp_stream_error_condition(e)) != NULL) {
		/* R answered the restart and then refused: no features to
		 * offer is an authentication failure. */
		if (s->xstage == 1 && s->xheader && s->step == eng_step_stream_restart &&
		    eng_enter_step(r, s, eng_step_s2s_auth) < 0)
			return -1;
		return x_stream_error(r, s, e, cond);
	}
	if (strcmp(e->ns, UCTLS_NS_STREAMS) == 0 && strcmp(e->name, "features") == 0)
		return x_i_features(r, s, e);
	if (strcmp(e->ns, UCTLS_NS_TLS) == 0 && strcmp(e->name, "proceed") == 0)
		return x_start_tls(r, s, err);
	if (strcmp(e->ns, UCTLS_NS_TLS) == 0 && strcmp(e->name, "failure") == 0)
		return eng_side_fail_msg(r, s, "starttls-failed", NULL,
		                     "%s answered <starttls/> with <failure/>", s->other->def->id);
	if (strcmp(e->ns, UCTLS_NS_SASL) == 0 && strcmp(e->name, "success") == 0)
		return x_i_sasl_success(r, s, err);
	if ((cond = uctls_xmpp_sasl_failure_condition(e)) != NULL)
		return x_i_sasl_failure(r, s, cond);
	if (strcmp(e->ns, UCTLS_NS_DIALBACK) == 0 && strcmp(e->name, "result") == 0)
		return x_i_db_result(r, s, e);
	return 0;
}

/* R, I's first stream header: a domain served here, then STARTTLS
 * offered (RFC 6120 4.9.3.6, 5.3.1). */
static int
x_r_open_first(struct run *r, struct side *s, const char *to, const char *from)
{
	const char *me = eng_x_domain(s->def);
	int mode;

	if (to == NULL || !x_hosts(s->def, to)) {
		char detail[512], serves[256];
		size_t i;

		snprintf(serves, sizeof(serves), "%s", me);
		for (i = 0; i < s->def->nsubdomains; i++)
			snprintf(serves + strlen(serves), sizeof(serves) - strlen(serves), ", %s",
			         s->def->subdomains[i]);
		snprintf(detail, sizeof(detail),
		         "%s opened a stream to `%s', which %s does not serve (it serves %s); sent "
		         "<host-unknown/>", s->other->def->id, to ? to : "(no to=)", s->def->id, serves);
		return x_fail_stream(r, s, "host-unknown", "stream-error:host-unknown",
		                     "dial a domain the receiving server hosts", detail);
	}
	free(s->xpeer);
	s->xpeer = strdup(from != NULL ? from : "");
	if (s->xpeer == NULL)
		return -1;
	/* R checks I's certificate for the domain I claims. */
	if (r->xdef[1].names == &r->xnames[1] && s->xpeer[0] != '\0') {
		free(r->xnames[1]);
		r->xnames[1] = strdup(s->xpeer);
		if (r->xnames[1] == NULL)
			return -1;
	}
	mode = s->def->starttls == UCTLS_STARTTLS_REQUIRED  ? 2
	       : s->def->starttls == UCTLS_STARTTLS_OFFERED ? 1
	                                                    : 0;
	if (eng_enter_step(r, s, eng_step_starttls) < 0)
		return -1;
	return x_send(s, uctls_xmpp_features(mode, 0, 0));
}

/* R, the stream header after TLS: offer SASL EXTERNAL for a certificate
 * valid for I's domain (XEP-0178 3), dialback if allowed. */
static int
x_r_offer_auth(struct run *r, struct side *s)
{
	const struct uctls_diag *d;
	int verdict = uctls_tls_peer_verdict(s->tls, &d);
	int dialback = eng_x_dialback(s), rv;

	if ((rv = x_secure_refuse(r, s)) != 0)
		return rv < 0 ? -1 : 0;
	s->xexternal = verdict == 0;
	if (eng_enter_step(r, s, eng_step_s2s_auth) < 0)
		return -1;
	if (x_send(s, uctls_xmpp_features(0, s->xexternal ||
	                                         (verdict > 0 && s->profile->sasl_offer_always),
	                                  dialback)) < 0)
		return -1;
	if (verdict > 0 && s->profile->sasl_offer_always)
		return 0; /* refused at <auth/> */
	if (!s->xexternal && !dialback) {
		/* Without dialback nothing is left. */
		if (verdict < 0)
			return eng_side_fail_msg(r, s, "no-client-cert",
			                     "configure a certificate on the initiating server, or "
			                     "allow dialback",
			                     "%s presented no certificate, so SASL EXTERNAL cannot be "
			                     "offered, and dialback is off", s->other->def->id);
		return eng_side_fail(r, s, d);
	}
	if (!s->xexternal && verdict > 0 &&
	    x_set_note(s, "SASL EXTERNAL not offered: %s: %s", d->reason,
	               d->detail ? d->detail : "") < 0)
		return -1;
	return 0;
}

/* R, a stream header from I at each stage. */
static int
x_r_stream_open(struct run *r, struct side *s, const struct uctls_xmpp_elem *e)
{
	const char *to = uctls_xmpp_attr(e, "to"), *from = uctls_xmpp_attr(e, "from");
	char id[64];

	s->xheader = 1;
	snprintf(id, sizeof(id), "uctls-%u-%d", ++r->seq, s->xstage);
	if (x_send(s, uctls_xmpp_stream_header(eng_x_domain(s->def), from, id)) < 0)
		return -1;
	if (s->xstage == 0)
		return x_r_open_first(r, s, to, from);
	if (s->xstage == 1)
		return x_r_offer_auth(r, s);
	/* After SASL success. */
	if (eng_enter_step(r, s, eng_step_established) < 0)
		return -1;
	return x_send(s, uctls_xmpp_features(0, 0, 0));
}

/* R, I's </stream:stream>. */
static int
x_r_stream_close(struct run *r, struct side *s)
{
	const struct uctls_diag *d;

	if (s->state == S_APP && s->step == eng_step_established && s->xpinged) {
		/* Close our side too (RFC 6120 4.4). */
		s->xechoed = 1;
		return x_send(s, uctls_xmpp_stream_close());
	}
	/* I gave up on authentication: what R found wrong with I's
	 * certificate is the cause, not the close. */
	if (s->tls != NULL && s->step == eng_step_s2s_auth && uctls_tls_peer_verdict(s->tls, &d) > 0)
		return eng_side_fail(r, s, d);
	return eng_side_fail_msg(r, s, "connection-closed", NULL,
	                     "%s closed the stream (</stream:stream>) during %s",
	                     s->other->def->id, s->step);
}

/* R, I's <auth mechanism="EXTERNAL"/>. */
static int
x_r_auth(struct run *r, struct side *s, struct uctls_err *err)
{
	const struct uctls_diag *d;

	if (!s->xexternal) {
		(void)uctls_tls_peer_verdict(s->tls, &d);
		if (x_send(s, uctls_xmpp_sasl_failure("not-authorized")) < 0)
			return -1;
		if (eng_x_dialback(s)) {
			/* The initiating server may still use dialback. */
			return x_set_note(s, "SASL EXTERNAL refused: %s: %s", d->reason ? d->reason : "?",
			                  d->detail ? d->detail : "") < 0 ? -1 : 0;
		}
		return d->reason != NULL ? eng_side_fail(r, s, d)
		                         : eng_side_fail_msg(r, s, "sasl-failure:not-authorized", NULL,
		                                         "%s tried SASL EXTERNAL, which was not "
		                                         "offered", s->other->def->id);
	}
	if (x_set_note(s, "SASL EXTERNAL (XEP-0178): %s's certificate is valid for %s",
	               s->other->def->id, s->xpeer) < 0 ||
	    x_send(s, uctls_xmpp_sasl_success()) < 0)
		return -1;
	s->xstage = 2;
	s->xheader = 0;
	if (x_flush(r, s) < 0)
		return -1;
	if (uctls_xmpp_parser_reset(s->xp) < 0)
		return uctls_err_set(err, "out of memory");
	return 0;
}

/* R, I's dialback key.  uctls does not call the authoritative server back
 * (XEP-0220 2.3): the key is accepted as the simulated peer's. */
static int
x_r_db_result(struct run *r, struct side *s)
{
	const char *why = s->note;
	char *n = NULL;

	if (asprintf(&n, "dialback (XEP-0220) accepted for %s%s%s", s->xpeer, why ? "; " : "",
	             why ? why : "") < 0)
		n = NULL;
	free(s->note);
	s->note = n;
	if (x_send(s, uctls_xmpp_db_answer(eng_x_domain(s->def), s->xpeer, 1)) < 0 ||
	    eng_enter_step(r, s, eng_step_established) < 0)
		return -1;
	return 0;
}

/* The receiving server. */
static int
x_receiver(struct run *r, struct side *s, struct uctls_xmpp_event *ev, struct uctls_err *err)
{
	const struct uctls_xmpp_elem *e = ev->elem;
	const char *cond;

	if (ev->type == UCTLS_XMPP_STREAM_CLOSE)
		return x_r_stream_close(r, s);
	if (ev->type == UCTLS_XMPP_STREAM_OPEN)
		return x_r_stream_open(r, s, e);
	if ((cond = uctls_xmpp_stream_error_condition(e)) != NULL)
		return x_stream_error(r, s, e, cond);
	if (strcmp(e->ns, UCTLS_NS_TLS) == 0 && strcmp(e->name, "starttls") == 0) {
		int rv;

		if (x_send(s, uctls_xmpp_proceed()) < 0)
			return -1;
		rv = x_flush(r, s);
		if (rv != 0)
			return rv < 0 ? -1 : 0; /* proceed is tiny: blocking here is a failure */
		return x_start_tls(r, s, err);
	}
	if (strcmp(e->ns, UCTLS_NS_SASL) == 0 && strcmp(e->name, "auth") == 0)
		return x_r_auth(r, s, err);
	if (strcmp(e->ns, UCTLS_NS_DIALBACK) == 0 && strcmp(e->name, "result") == 0)
		return x_r_db_result(r, s);
	if (strcmp(e->name, "iq") == 0 && uctls_xmpp_child(e, UCTLS_NS_PING, "ping") != NULL) {
		/* The stanza was routed here: established.  Its answer would go
		 * over this server's own stream to I's domain (RFC 6120 4.1),
		 * which uctls does not open; a real initiating server keeps its
		 * stream open while it waits, so a short silence ends the step. */
		s->xpinged = 1;
		s->quiet_ok = 1;
		return x_set_note(s, "received %s's ping (XEP-0199) over the authenticated stream: "
		                  "the stanza was routed here", s->other->def->id) < 0 ? -1 : 0;
	}
	return 0;
}

/* What side S waits for from the other, for a timeout's detail. */
const char *
eng_x_awaiting(const struct side *s)
{
	if (!s->xheader)
		return "the XMPP stream header";
	if (s->is_server) {
		if (s->xstage == 0)
			return "<starttls/> after the stream header";
		if (s->xstage == 1)
			return "the authentication (SASL <auth/> or a dialback key) after the "
			       "stream header";
		return s->xpinged ? "the stream close" : "a stanza after the stream header";
	}
	if (s->xclosing)
		return "the stream close";
	if (s->step == eng_step_starttls)
		return "<proceed/>";
	if (s->step == eng_step_s2s_auth)
		return "the authentication result";
	return "the stream features after the stream header";
}

/* For the ladder: an element that arrived (drawn when a real peer sent
 * it; else it says which one the side was handling). */
static void
x_cap_received(struct side *s, const struct uctls_xmpp_event *ev)
{
	const struct uctls_xmpp_elem *e = ev->elem;
	const char *pre, *from, *to;
	char kids[96] = "";
	size_t i, l = 0;

	if (ev->type == UCTLS_XMPP_STREAM_CLOSE || e == NULL) {
		uctls_cap_note(s->cap, UCTLS_CAP_APP, !s->is_server, 1, "</stream:stream>");
		return;
	}
	pre = strcmp(e->ns, UCTLS_NS_STREAMS) == 0 ? "stream:" : "";
	from = uctls_xmpp_attr(e, "from");
	to = uctls_xmpp_attr(e, "to");
	for (i = 0; pre[0] && i < e->nchildren && l < sizeof(kids); i++)
		l += (size_t)snprintf(kids + l, sizeof(kids) - l, "%s%s", i ? ", " : " ",
		                      e->children[i]->name);
	uctls_cap_note(s->cap, UCTLS_CAP_APP, !s->is_server, 1, "<%s%s%s%s%s%s%s%s>%s", pre,
	               e->name, from ? " from='" : "", from ? from : "", from ? "'" : "",
	               to ? " to='" : "", to ? to : "", to ? "'" : "", kids);
}

/* Runs the XMPP exchange of one side as far as it can go without
 * blocking. */
int
eng_app_xmpp(struct run *r, struct side *s, struct uctls_err *err)
{
	struct uctls_xmpp_event *ev;
	int rv;

	for (;;) {
		if (s->out != NULL) {
			rv = x_flush(r, s);
			if (rv != 0)
				return rv < 0 ? -1 : 0;
		}
		if (s->state == S_FAILED || s->state == S_DONE || s->state == S_HANDSHAKE ||
		    s->state == S_MISBEHAVE)
			return 0;
		if (s->is_server && s->xechoed)
			return eng_side_done(r, s);
		if (s->xclosing && !s->is_server)
			return eng_x_subdomains(r, s);
		ev = uctls_xmpp_parser_next(s->xp);
		if (ev == NULL) {
			rv = x_read(r, s);
			if (rv != 0)
				return rv < 0 ? -1 : 0;
			continue;
		}
		if (s->cap != NULL)
			x_cap_received(s, ev);
		rv = s->is_server ? x_receiver(r, s, ev, err) : x_initiator(r, s, ev, err);
		uctls_xmpp_event_free(ev);
		if (rv < 0)
			return -1;
	}
}

/* After TCP: I opens the stream; R waits for it. */
int
eng_x_begin(struct run *r, struct side *s, struct uctls_err *err)
{
	s->xp = uctls_xmpp_parser_new();
	if (s->xp == NULL)
		return uctls_err_set(err, "out of memory");
	s->state = S_PRE;
	s->want = POLLIN;
	if (eng_enter_step(r, s, eng_step_stream_open) < 0)
		return -1;
	if (s->is_server)
		return 0;
	return x_send(s, uctls_xmpp_stream_header(eng_x_domain(s->def), x_to(r), NULL));
}

/* After the TLS handshake: I restarts the stream. */
int
eng_x_after_tls(struct run *r, struct side *s)
{
	s->xstage = 1;
	if (eng_enter_step(r, s, eng_step_stream_restart) < 0)
		return -1;
	if (s->is_server)
		return 0;
	return x_send(s, uctls_xmpp_stream_header(eng_x_domain(s->def), x_to(r), NULL));
}

