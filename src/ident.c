#include "config.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "ident.h"

/*
 * Identity matching per RFC 6125 section 6 and RFC 9525 section 6.
 *
 * Reference identifiers are what the verifying side was configured with (a
 * DNS name, or an IP address literal); presented identifiers come from the
 * peer's certificate.  DNS names are compared as ASCII: internationalised
 * names must already be A-labels ("xn--..."), as RFC 5280 4.2.1.6 requires
 * of dNSName and RFC 6125 6.4.2 of the comparison; a name holding non-ASCII
 * bytes (a U-label) never matches.
 */

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Length of NAME without one trailing dot: "example.com." and
 * "example.com" are the same absolute name (RFC 6125 6.4.1). */
static size_t
dns_len(const char *name)
{
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	return n;
}

/* 1 when the first N bytes of S form a DNS name we are willing to compare:
 * non-empty, ASCII only, no empty label, no `*'. */
static int
dns_plain(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 || c == '*' || c <= ' ')
			return 0;
		if (c == '.' && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

static int
dns_eq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/*
 * Wildcards (RFC 6125 6.4.3, RFC 9525 6.3): only a `*' that is the entire
 * left-most label is honoured, and it stands for exactly one label:
 * `*.example.com' matches `www.example.com' but neither `example.com' nor
 * `a.b.example.com'.  Partial-label wildcards (`f*.example.com',
 * `*oo.example.com', `xn--*.example.com') are refused: RFC 9525 6.3 lets a
 * client not match them, and RFC 6125 6.4.3 says a wildcard inside an
 * A-label must not be matched.  The part after `*.' must have at least two
 * labels, so `*.com' never matches (the same rule RFC 6125 7.2 recommends
 * against public-suffix wildcards; a full public-suffix list is out of
 * scope, so `*.co.uk' is accepted).
 */
int
uctls_ident_dns_match(const char *pattern, const char *name, int wildcard)
{
	size_t pn, nn, rn;
	const char *rest, *dot;

	if (pattern == NULL || name == NULL)
		return 0;
	pn = dns_len(pattern);
	nn = dns_len(name);
	if (!dns_plain(name, nn))
		return 0;
	if (dns_plain(pattern, pn))
		return pn == nn && dns_eq(pattern, name, nn);
	if (!wildcard || pn < 2 || pattern[0] != '*' || pattern[1] != '.')
		return 0;
	rest = pattern + 2;
	rn = pn - 2;
	if (!dns_plain(rest, rn) || memchr(rest, '.', rn) == NULL)
		return 0;
	/* NAME must be exactly one non-empty label followed by REST. */
	dot = memchr(name, '.', nn);
	if (dot == NULL || dot == name)
		return 0;
	return (size_t)(name + nn - (dot + 1)) == rn && dns_eq(dot + 1, rest, rn);
}

/* An IP address in binary form, for comparison independent of spelling
 * ("::1" == "0:0::1").  IPv6 literals may be bracketed as in URIs. */
struct ipaddr {
	int af;
	unsigned char a[16];
};

static int
ip_parse(const char *s, struct ipaddr *ip)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n;

	memset(ip, 0, sizeof(*ip));
	if (s == NULL)
		return 0;
	if (inet_pton(AF_INET, s, ip->a) == 1) {
		ip->af = AF_INET;
		return 1;
	}
	n = strlen(s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
		s = buf;
	}
	if (inet_pton(AF_INET6, s, ip->a) == 1) {
		ip->af = AF_INET6;
		return 1;
	}
	return 0;
}

/* An IPv4 address and its IPv4-mapped IPv6 form are different iPAddress
 * octet strings (4 vs 16 octets, RFC 5280 4.2.1.6), so they differ here. */
static int
ip_eq(const struct ipaddr *a, const struct ipaddr *b)
{
	return a->af == b->af &&
	       memcmp(a->a, b->a, a->af == AF_INET ? 4 : 16) == 0;
}

static void
set_matched(const char **matched, const char *value)
{
	if (matched != NULL)
		*matched = value;
}

/*
 * An IP reference identifier matches an iPAddress SAN only (RFC 6125 1.7.2
 * leaves IP out of its scope; RFC 9525 6.2 / RFC 5280 4.2.1.6 compare the
 * octets of iPAddress).  A dNSName or CN spelling the address is never a
 * match.  When the address appears only in a CN, the result is CN_ONLY so the
 * report can say where the address is and why it does not count (many older
 * stacks did accept it there).
 */
static enum uctls_ident_result
match_ip(const struct ipaddr *ref, const struct uctls_ident_names *names,
         const char **matched)
{
	struct ipaddr p;
	size_t i;

	for (i = 0; i < names->nsans; i++) {
		const struct uctls_san *san = &names->sans[i];

		if (san->type == UCTLS_SAN_IP && ip_parse(san->value, &p) &&
		    ip_eq(ref, &p)) {
			set_matched(matched, san->value);
			return UCTLS_IDENT_MATCH;
		}
	}
	for (i = 0; i < names->ncns; i++) {
		if (ip_parse(names->cns[i], &p) && ip_eq(ref, &p)) {
			set_matched(matched, names->cns[i]);
			return UCTLS_IDENT_CN_ONLY;
		}
	}
	return UCTLS_IDENT_MISMATCH;
}

/* Looks for REF among the dNSName SANs of NAMES, or among its CNs when
 * USE_CNS.  An exact match anywhere is preferred to a wildcard match.
 * Returns 1 on a match allowed by WILDCARD, 2 when only a wildcard matches
 * and WILDCARD is 0, else 0; *HIT receives the presented name that matched. */
static int
find_dns(const char *ref, const struct uctls_ident_names *names, int use_cns,
         int wildcard, const char **hit)
{
	size_t i, n = use_cns ? names->ncns : names->nsans;
	const char *v;
	int pass;

	/* Pass 0: exact names; pass 1: wildcards, also when they are refused,
	 * so that the diagnosis can say a wildcard was there. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			if (use_cns) {
				v = names->cns[i];
			} else {
				if (names->sans[i].type != UCTLS_SAN_DNS)
					continue;
				v = names->sans[i].value;
			}
			if (uctls_ident_dns_match(v, ref, pass)) {
				*hit = v;
				return pass == 0 || wildcard ? 1 : 2;
			}
		}
	}
	return 0;
}

/* The result of a find_dns() hit (1: a match, 2: a refused wildcard). */
static enum uctls_ident_result
dns_hit(int r, const char *hit, const char **matched)
{
	set_matched(matched, hit);
	return r == 1 ? UCTLS_IDENT_MATCH : UCTLS_IDENT_WILDCARD_REFUSED;
}

/*
 * DNS reference identifiers (RFC 6125 6.4, RFC 9525 6.3):
 * 1. the DNS-IDs (dNSName SANs) are searched; URI SANs such as
 *    `sip:example.com' or XmppAddr are application-specific identifiers and
 *    are left to the SIP / XMPP profiles (RFC 5922 7.1, RFC 7590), so they
 *    are not DNS-IDs here;
 * 2. the CN-ID is consulted only when the rules allow the fallback and the
 *    certificate has neither a DNS-ID nor an iPAddress SAN (RFC 6125 6.4.4;
 *    RFC 9525 drops CN-ID entirely, which is cn_fallback = 0);
 * 3. a CN that would have matched but was not consulted gives CN_ONLY, the
 *    diagnosis "the name is only in the CN".
 * An exact match is preferred to a wildcard match, and a refused wildcard in
 * the SANs is reported before a CN that is not consulted: the SANs are what
 * the peer actually examined.
 */
static enum uctls_ident_result
match_dns(const char *ref, const struct uctls_ident_names *names,
          const struct uctls_ident_rules *rules, const char **matched)
{
	const char *hit = NULL;
	int has_san_id = 0, r;
	size_t i;

	/* A reference identifier never contains a wildcard (RFC 6125 6.2.1). */
	if (!dns_plain(ref, dns_len(ref)))
		return UCTLS_IDENT_MISMATCH;
	for (i = 0; i < names->nsans; i++)
		if (names->sans[i].type == UCTLS_SAN_DNS ||
		    names->sans[i].type == UCTLS_SAN_IP ||
		    (rules->xmpp_server && (names->sans[i].type == UCTLS_SAN_SRV ||
		                            names->sans[i].type == UCTLS_SAN_XMPP)))
			has_san_id = 1;
	/* SIP domain certificates (RFC 5922 7.1): when the certificate has
	 * URI SANs of the sip scheme, they are the identities and dNSName is
	 * not examined; the domain is the host part (7.2: no user part, and
	 * parameters or a port do not count).  Any URI SAN is a SAN
	 * identifier, so it also stops the CN fallback. */
	if (rules->sip_uri) {
		int sip_uris = 0;

		for (i = 0; i < names->nsans; i++) {
			const struct uctls_san *san = &names->sans[i];
			char host[256];
			size_t hl;

			if (san->type != UCTLS_SAN_URI)
				continue;
			has_san_id = 1;
			if (strncasecmp(san->value, "sip:", 4) != 0)
				continue;
			sip_uris = 1;
			if (strchr(san->value, '@') != NULL)
				continue;
			hl = strcspn(san->value + 4, ";:?>");
			if (hl == 0 || hl >= sizeof(host))
				continue;
			memcpy(host, san->value + 4, hl);
			host[hl] = '\0';
			if (uctls_ident_dns_match(host, ref, 0)) {
				set_matched(matched, san->value);
				return UCTLS_IDENT_MATCH;
			}
		}
		if (sip_uris) {
			/* Say so when the name is only in the CN (a DNS SAN
			 * with it is not examined, which the report says). */
			if (find_dns(ref, names, 0, 1, &hit) == 0 &&
			    find_dns(ref, names, 1, 1, &hit) == 1) {
				set_matched(matched, hit);
				return UCTLS_IDENT_CN_ONLY;
			}
			return UCTLS_IDENT_MISMATCH;
		}
	}
	/* XMPP server identities (RFC 7590 / RFC 6120 13.7.1.2): an SRV-ID
	 * for the xmpp-server service, or an XmppAddr that is the domain;
	 * both exact (RFC 6125 6.5.1: no wildcard in the service part). */
	for (i = 0; rules->xmpp_server && i < names->nsans; i++) {
		const struct uctls_san *san = &names->sans[i];
		static const char svc[] = "_xmpp-server.";

		if ((san->type == UCTLS_SAN_SRV && strncasecmp(san->value, svc, sizeof(svc) - 1) == 0 &&
		     uctls_ident_dns_match(san->value + sizeof(svc) - 1, ref, 0)) ||
		    (san->type == UCTLS_SAN_XMPP && uctls_ident_dns_match(san->value, ref, 0))) {
			set_matched(matched, san->value);
			return UCTLS_IDENT_MATCH;
		}
	}

	r = find_dns(ref, names, 0, rules->wildcard, &hit);
	if (r != 0)
		return dns_hit(r, hit, matched);

	if ((rules->cn_fallback && !has_san_id) || rules->cn_fallback == 2) {
		r = find_dns(ref, names, 1, rules->wildcard, &hit);
		if (r != 0)
			return dns_hit(r, hit, matched);
		return UCTLS_IDENT_MISMATCH;
	}

	/* Not consulted: would it have matched?  A wildcard CN counts here
	 * whatever rules->wildcard says: the first thing to fix is that the
	 * name is not in a SAN at all. */
	if (find_dns(ref, names, 1, 1, &hit) == 1) {
		set_matched(matched, hit);
		return UCTLS_IDENT_CN_ONLY;
	}
	return UCTLS_IDENT_MISMATCH;
}

enum uctls_ident_result
uctls_ident_match(const char *ref, const struct uctls_ident_names *names,
                  const struct uctls_ident_rules *rules, const char **matched)
{
	static const struct uctls_ident_names none = { NULL, 0, NULL, 0 };
	static const struct uctls_ident_rules strict = { 0, 0, 0, 0 };
	struct ipaddr ip;

	set_matched(matched, NULL);
	if (ref == NULL)
		return UCTLS_IDENT_MISMATCH;
	if (names == NULL)
		names = &none;
	if (rules == NULL)
		rules = &strict;
	if (ip_parse(ref, &ip))
		return match_ip(&ip, names, matched);
	return match_dns(ref, names, rules, matched);
}
