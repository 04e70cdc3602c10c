#include "config.h"

#include "engine-int.h"

/* --- SIP requests (RFC 3261) ------------------------------------------ */

/* The request the client sends: request= (sip-trunk), else OPTIONS. */
static enum uctls_sip_method
sip_method(const struct run *r)
{
	return r->client != NULL ? r->client->request : UCTLS_SIP_OPTIONS;
}

int
eng_sip_start(struct run *r, struct side *s)
{
	struct uctls_sip_req_params *rp = &s->req;
	char *ruri = s->req_buf[0], *from = s->req_buf[1], *to = s->req_buf[2];
	char *callid = s->req_buf[3], *branch = s->req_buf[4], *tag = s->req_buf[5];
	const char *peer = s->def->nnames > 0 ? s->def->names[0] : s->other->def->id;
	const char *method = uctls_sip_method_name(sip_method(r));
	char *req;

	s->sip = uctls_sip_parser_new();
	if (s->sip == NULL)
		return -1;
	if (s->is_server)
		return 0;
	r->seq++;
	if (sip_method(r) == UCTLS_SIP_REGISTER) {
		/* RFC 3261 10.2: the Request-URI names the registrar's domain;
		 * From and To the address of record. */
		snprintf(ruri, 300, "sip:%s;transport=tls", peer);
		snprintf(from, 300, "sip:%s@%s", s->def->id, peer);
		snprintf(to, 300, "sip:%s@%s", s->def->id, peer);
	} else {
		snprintf(ruri, 300, "sip:%s;transport=tls", peer);
		snprintf(from, 300, "sip:%s", s->def->id);
		snprintf(to, 300, "sip:%s", peer);
	}
	snprintf(callid, 300, "uctls-%lx-%u@%s", (unsigned long)getpid(), r->seq, s->def->id);
	snprintf(branch, 300, "z9hG4bK-uctls-%lx-%u", (unsigned long)getpid(), r->seq);
	snprintf(tag, 300, "uctls%u", r->seq);
	memset(rp, 0, sizeof(*rp));
	rp->method = method;
	rp->request_uri = ruri;
	rp->from_uri = from;
	rp->to_uri = to;
	rp->via_host = "127.0.0.1";
	rp->call_id = callid;
	rp->branch = branch;
	rp->from_tag = tag;
	rp->cseq = 1;
	req = uctls_sip_build_request(rp);
	if (req == NULL)
		return -1;
	/* A CRLF keep-alive ping first (RFC 5626 3.5.1): a peer that
	 * supports it answers with a CRLF pong, any other ignores the empty
	 * lines before a start line (RFC 3261 7.5). */
	if (asprintf(&s->out, "\r\n\r\n%s", req) < 0)
		s->out = NULL;
	free(req);
	if (s->out == NULL)
		return -1;
	s->outlen = strlen(s->out);
	return 0;
}

/* What the server answers, from E's sip-response= (default 200). */
static int
sip_answer(struct run *r, struct side *s, const struct uctls_sip_msg *req)
{
	enum uctls_sip_answer ans = r->server != NULL ? r->server->sip_answer
	                                                : UCTLS_SIP_ANSWER_STATUS;
	int status = r->server != NULL ? r->server->sip_status : 200;
	char note[128];

	if (ans == UCTLS_SIP_ANSWER_NONE) {
		free(s->note);
		s->note = strdup("received OPTIONS and, as configured (sip-response=none), "
		                 "did not answer");
		return 1; /* done, nothing to send */
	}
	if (ans == UCTLS_SIP_ANSWER_GARBAGE) {
		s->out = strdup("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
		free(s->note);
		s->note = strdup("answered with a non-SIP line, as configured (sip-response=garbage)");
	} else {
		s->out = uctls_sip_build_response(req, status, uctls_sip_reason_phrase(status),
		                                  "uctls-e");
		/* Pong a CRLF ping that preceded the request (RFC 5626 3.5.1). */
		if (s->out != NULL && uctls_sip_parser_keepalives(s->sip) >= 2 && !s->ponged) {
			char *p = NULL;

			if (asprintf(&p, "\r\n%s", s->out) >= 0) {
				free(s->out);
				s->out = p;
				s->ponged = 1;
			}
		}
		snprintf(note, sizeof(note), "answered %s with %d %s", req->method, status,
		         uctls_sip_reason_phrase(status));
		/* RFC 3261 13.3.1.4 / 17.1.1.3: a 2xx to INVITE is acknowledged
		 * by an ACK in a transaction of its own. */
		s->sip_ack = strcmp(req->method, "INVITE") == 0 && status < 300;
		free(s->note);
		s->note = strdup(note);
	}
	if (s->out == NULL)
		return -1;
	s->outlen = strlen(s->out);
	return 0;
}

/* A profile whose TLS layer checks the chain only (Kamailio's tls module,
 * profile.h name_check_in_app): its routing script compares the client's
 * certificate with the configured names and refuses the request with
 * script-status (403 unless set).  Returns 1 when refused (the answer is
 * queued and s->refusal says why), 0 when a name matched, -1 on error. */
static int
script_check(struct side *s, const struct uctls_sip_msg *req)
{
	int status = s->def->script_status ? s->def->script_status : 403;
	struct uctls_diag d;
	size_t i;
	int rv = 0;

	if (!s->profile->name_check_in_app || s->def->nnames == 0)
		return 0;
	uctls_diag_init(&d);
	for (i = 0; i < s->def->nnames; i++) {
		uctls_diag_clear(&d);
		rv = uctls_tls_check_name(s->tls, s->def->names[i], &d);
		if (rv <= 0)
			break;
	}
	if (rv == 1) {
		snprintf(s->refusal, sizeof(s->refusal), "%s", d.reason ? d.reason : "name-mismatch");
		free(s->note);
		if (asprintf(&s->note, "its routing script refused %s with %d %s: %s",
		             req->method, status, uctls_sip_reason_phrase(status),
		             d.detail ? d.detail : "the certificate's names do not match") < 0)
			s->note = NULL;
		s->out = uctls_sip_build_response(req, status, uctls_sip_reason_phrase(status),
		                                  "uctls-e");
		if (s->out == NULL || s->note == NULL)
			rv = -1;
		else
			s->outlen = strlen(s->out);
	}
	uctls_diag_clear(&d);
	return rv;
}

/* For the ladder: a SIP message S begins to send (its start line), or M,
 * one that arrived (drawn when a real peer sent it). */
static void
sip_cap_sent(struct side *s)
{
	size_t crlf = strspn(s->out, "\r\n");
	const char *line = s->out + crlf;
	int len = (int)strcspn(line, "\r\n");

	/* "OPTIONS sip:b.example", "200 OK": the start line without the
	 * version, after the CRLF ping or pong that went first. */
	if (len > 8 && strncmp(line + len - 8, " SIP/2.0", 8) == 0)
		len -= 8;
	else if (strncmp(line, "SIP/2.0 ", 8) == 0)
		line += 8, len -= 8;
	uctls_cap_note(s->cap, UCTLS_CAP_APP, s->is_server, 0, "%s%.*s",
	               crlf >= 4 ? "CRLF ping, " : crlf >= 2 ? "CRLF pong, " : "", len, line);
}

static void
sip_cap_received(struct side *s, const struct uctls_sip_msg *m)
{
	if (m->is_request)
		uctls_cap_note(s->cap, UCTLS_CAP_APP, !s->is_server, 1, "%s %s", m->method, m->uri);
	else
		uctls_cap_note(s->cap, UCTLS_CAP_APP, !s->is_server, 1, "%d %s", m->status,
		               m->reason ? m->reason : "");
}

/* Reads what has arrived into the SIP parser; returns the next message, or
 * NULL with *ret set (0: need more, -1: local error, 1: side failed). */
static struct uctls_sip_msg *
sip_read(struct run *r, struct side *s, int *ret)
{
	struct uctls_sip_msg *m;
	struct uctls_err e;
	char buf[4096];
	size_t n;
	int tr;

	*ret = 0;
	for (;;) {
		m = uctls_sip_parser_next(s->sip);
		if (m != NULL) {
			if (s->cap != NULL)
				sip_cap_received(s, m);
			return m;
		}
		tr = uctls_tls_recv(s->tls, buf, sizeof(buf), &n);
		if (tr != UCTLS_TLS_OK) {
			*ret = eng_tls_result(r, s, tr) < 0 ? -1 : (s->state == S_FAILED);
			return NULL;
		}
		eng_rx(s, buf, n, 0);
		if (n == 0) {
			*ret = eng_side_fail_msg(r, s, "connection-closed", NULL,
			                     "%s closed the connection before a complete SIP "
			                     "message arrived",
			                     s->other->def->id) < 0
			               ? -1
			               : 1;
			return NULL;
		}
		if (s->tls_pending) {
			s->tls_pending = 0;
			if (eng_enter_step(r, s, r->phase->app_step) < 0) {
				*ret = -1;
				return NULL;
			}
		}
		uctls_err_clear(&e);
		if (uctls_sip_parser_feed(s->sip, buf, n, &e) < 0) {
			*ret = eng_side_fail_msg(r, s, "sip-malformed",
			                     "check what answers on the peer's SIP TLS port",
			                     "%s sent bytes that are not a SIP message: %s",
			                     s->other->def->id, e.msg) < 0
			               ? -1
			               : 1;
			return NULL;
		}
	}
}

static int
flush_out(struct run *r, struct side *s, int *pending)
{
	size_t n;
	int tr;

	*pending = 0;
	while (s->outdone < s->outlen) {
		size_t len = s->outlen - s->outdone, k;

		/* With a capture (--pcap), a leading CRLF ping or pong goes in a
		 * TLS record of its own: Wireshark's SIP dissector takes a record
		 * that begins with empty lines for no SIP at all.  The bytes are
		 * the same; a run without a capture sends one record. */
		if (s->cap != NULL && s->outdone == 0 && (k = strspn(s->out, "\r\n")) > 0 && k < len)
			len = k;
		tr = uctls_tls_send(s->tls, s->out + s->outdone, len, &n);
		if (tr != UCTLS_TLS_OK) {
			*pending = tr == UCTLS_TLS_WANT_READ || tr == UCTLS_TLS_WANT_WRITE;
			return eng_tls_result(r, s, tr);
		}
		if (s->cap != NULL && s->outdone == 0 && n > 0)
			sip_cap_sent(s);
		s->outdone += n;
	}
	return 0;
}

/* The server's part once a message M (owned, freed here) arrived: the
 * routing script's name check (script_check), then the configured answer,
 * queued and sent by eng_app_sip. */
static int
server_request(struct run *r, struct side *s, struct uctls_sip_msg *m)
{
	int ret;

	if (!m->is_request) {
		uctls_sip_msg_free(m);
		return eng_side_fail_msg(r, s, "sip-malformed", NULL,
		                     "%s sent a SIP response where a request was expected",
		                     s->other->def->id);
	}
	ret = script_check(s, m);
	if (ret == 0)
		ret = sip_answer(r, s, m);
	else if (ret == 1)
		ret = 0;
	uctls_sip_msg_free(m);
	if (ret < 0)
		return -1;
	if (ret == 1)
		return eng_side_done(r, s);
	return eng_app_sip(r, s);
}

int
eng_app_sip(struct run *r, struct side *s)
{
	struct uctls_sip_msg *m;
	int ret, pending;

	if (s->out != NULL) {
		if (flush_out(r, s, &pending) < 0)
			return -1;
		if (pending || s->state == S_FAILED)
			return 0;
		free(s->out);
		s->out = NULL;
		s->outlen = s->outdone = 0;
		if (s->is_server && s->refusal[0] != '\0')
			return eng_side_fail_msg(r, s, s->refusal,
			                     "issue the certificate for the trunk's name, or "
			                     "correct the name the routing script compares",
			                     "%s", s->note ? s->note : "refused");
		if ((s->is_server && !s->sip_ack) || (!s->is_server && s->sip_ack))
			return eng_side_done(r, s);
	}
	m = sip_read(r, s, &ret);
	if (m == NULL)
		return ret < 0 ? -1 : 0;
	if (s->is_server && s->sip_ack) {
		int ack = m->is_request && strcmp(m->method, "ACK") == 0;

		uctls_sip_msg_free(m);
		if (!ack)
			return eng_side_fail_msg(r, s, "sip-malformed", NULL,
			                     "%s sent something other than the ACK of the 2xx to "
			                     "its INVITE", s->other->def->id);
		if (s->note != NULL) {
			char *n = NULL;

			if (asprintf(&n, "%s; ACK received", s->note) >= 0) {
				free(s->note);
				s->note = n;
			}
		}
		return eng_side_done(r, s);
	}
	if (s->is_server)
		return server_request(r, s, m);
	if (m->is_request || m->status < 200) {
		/* Provisional responses (1xx) precede the final one. */
		int prov = !m->is_request;

		uctls_sip_msg_free(m);
		if (prov)
			return eng_app_sip(r, s);
		return eng_side_fail_msg(r, s, "sip-malformed", NULL,
		                     "%s sent a SIP request where the %s response was "
		                     "expected", s->other->def->id, s->req.method);
	}
	if (m->status >= 300) {
		char reason[32];

		snprintf(reason, sizeof(reason), "sip-status:%d", m->status);
		ret = eng_side_fail_msg(r, s, reason,
		                    "check the other side's configuration for this zone or trunk "
		                    "(its SIP domain, security profile, authentication) and its log",
		                    "%s answered %s with %d %s%s", s->other->def->id, s->req.method,
		                    m->status, m->reason ? m->reason : "",
		                    strcmp(s->req.method, "OPTIONS") == 0 ? ": the zone or trunk is "
		                                                            "not active"
		                                                          : "");
		uctls_sip_msg_free(m);
		return ret;
	}
	free(s->note);
	s->note = NULL;
	if (asprintf(&s->note, "%s answered %s with %d %s%s", s->other->def->id, s->req.method,
	             m->status, m->reason ? m->reason : "",
	             uctls_sip_parser_keepalives(s->sip) > 0
	                     ? "; it answered the CRLF keep-alive ping with a pong (RFC 5626 3.5.1)"
	                     : "") < 0)
		s->note = NULL;
	uctls_sip_msg_free(m);
	if (strcmp(s->req.method, "INVITE") == 0) {
		/* ACK the 2xx (RFC 3261 13.2.2.4): same Call-ID, CSeq number and
		 * tags, a new branch. */
		s->req.method = "ACK";
		snprintf(s->req_buf[4], 300, "z9hG4bK-uctls-%lx-%u-ack", (unsigned long)getpid(),
		         r->seq);
		s->out = uctls_sip_build_request(&s->req);
		if (s->out == NULL)
			return -1;
		s->outlen = strlen(s->out);
		s->outdone = 0;
		s->sip_ack = 1;
		return eng_app_sip(r, s);
	}
	return eng_side_done(r, s);
}

