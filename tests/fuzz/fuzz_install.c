/* libFuzzer target: the install rules (install.h) over an uploaded
 * certificate file, key file and trust list, as the install step of a
 * scenario and `uctls check' run them.
 *
 * Input (fuzz-util.h): SELECTOR CERT [ "\n%%\n" KEY [ "\n%%\n" TRUST ] ].
 * The selector's bits turn the rules on: 1 pem_only, 2 ca_first,
 * 4 bundle_order, 8 bundle_newline, 16 cn_in_san, 32 UCCX key sizes and
 * critical extensions, 64 a CSR that asked for DNS:example.com; 128 no
 * key file even when one is given.  TRUST is PEM (at most 8 certificates;
 * one that does not import leaves the list empty). */
#include <config.h>

#include <stdint.h>
#include <stddef.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "fuzz-util.h"
#include "install.h"
#include "verify.h"

#define MAXTRUST 8

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned uccx_bits[] = { 1024, 2048, 0 };
	static const char *const uccx_crit[] = { "2.5.29.15", "2.5.29.19", NULL };
	static const char *const csr[] = { "DNS:example.com", NULL };
	struct uctls_install_rules rules;
	struct uctls_install_input in;
	struct fuzz_part part[FUZZ_MAXPARTS];
	gnutls_x509_crt_t trust[MAXTRUST];
	unsigned ntrust = 0, i;
	gnutls_datum_t t;
	struct uctls_diag d;
	struct uctls_err err;
	uint8_t sel;

	if (size < 1)
		return 0;
	sel = data[0];
	fuzz_split(data + 1, size - 1, part);

	memset(&rules, 0, sizeof(rules));
	rules.pem_only = (sel & 1) != 0;
	rules.ca_first = (sel & 2) != 0;
	rules.bundle_order = (sel & 4) != 0;
	rules.bundle_newline = (sel & 8) != 0;
	rules.cn_in_san = (sel & 16) != 0;
	if (sel & 32) {
		rules.key_bits = uccx_bits;
		rules.critical_ok = uccx_crit;
	}

	if (part[2].present && part[2].n > 0) {
		t.data = (unsigned char *)part[2].p;
		t.size = (unsigned)part[2].n;
		ntrust = MAXTRUST;
		if (gnutls_x509_crt_list_import(trust, &ntrust, &t, GNUTLS_X509_FMT_PEM, 0) < 0)
			ntrust = 0;
	}

	memset(&in, 0, sizeof(in));
	in.name = "fuzz.pem";
	in.cert = part[0].p;
	in.cert_len = part[0].n;
	if (part[1].present && !(sel & 128)) {
		in.key = part[1].p;
		in.key_len = part[1].n;
	}
	in.csr_sans = (sel & 64) ? csr : NULL;
	in.trust = trust;
	in.ntrust = ntrust;
	in.now = 1798761600; /* fixed (2027-01-01): runs are reproducible */

	uctls_diag_init(&d);
	uctls_err_clear(&err);
	(void)uctls_install_check(&rules, &in, &d, &err);
	uctls_diag_clear(&d);
	for (i = 0; i < ntrust; i++)
		gnutls_x509_crt_deinit(trust[i]);
	return 0;
}
