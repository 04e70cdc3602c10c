/* libFuzzer target: the certificate-file reading of `uctls check'
 * (devcheck.h uctls_check_files): the certificate or bundle (PEM blocks or
 * one DER certificate), the private key and a trust file, read from files
 * as the command reads them, then the install and handshake checks.
 *
 * Input (fuzz-util.h): SELECTOR CERT [ "\n%%\n" KEY [ "\n%%\n" TRUST ] ].
 * The selector picks the profile (low 6 bits, modulo the number of
 * profiles), the role (bit 6: client) and a CSR that asked for
 * DNS:example.com (bit 7).  The parts are written to files in a temporary
 * directory of this process ($TMPDIR or /tmp), removed at exit. */
#include <config.h>

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devcheck.h"
#include "fuzz-util.h"
#include "profile.h"
#include "steplog.h"

static char dir[4096];
static char path[3][4200];
static unsigned nprofiles;

static void
cleanup(void)
{
	int i;

	for (i = 0; i < 3; i++)
		if (path[i][0] != '\0')
			unlink(path[i]);
	if (dir[0] != '\0')
		rmdir(dir);
}

static int
setup(void)
{
	static const char *const names[] = { "cert.pem", "key.pem", "trust.pem" };
	const char *tmp = getenv("TMPDIR");
	int i;

	if (dir[0] != '\0')
		return 0;
	snprintf(dir, sizeof(dir), "%s/uctls-fuzz-pem.XXXXXX",
	         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("fuzz_pem: mkdtemp");
		abort();
	}
	for (i = 0; i < 3; i++)
		snprintf(path[i], sizeof(path[i]), "%s/%s", dir, names[i]);
	atexit(cleanup);
	while (uctls_profile_at(nprofiles) != NULL)
		nprofiles++;
	if (nprofiles == 0) { /* a profile file this build cannot read */
		fprintf(stderr, "fuzz_pem: no device profiles: %s\n", uctls_profile_load_error());
		abort();
	}
	return 0;
}

static void
put(int i, const struct fuzz_part *part)
{
	FILE *f = fopen(path[i], "wb");

	if (f == NULL || (part->n > 0 && fwrite(part->p, 1, part->n, f) != part->n) ||
	    fclose(f) != 0) {
		perror("fuzz_pem: writing a temporary file");
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const csr[] = { "DNS:example.com", NULL };
	static const char *const names[] = { "example.com" };
	const char *trust_files[1];
	struct fuzz_part part[FUZZ_MAXPARTS];
	struct uctls_check_opts o;
	struct uctls_log *log = NULL;
	struct uctls_err err;
	uint8_t sel;

	if (size < 1)
		return 0;
	setup();
	sel = data[0];
	fuzz_split(data + 1, size - 1, part);

	memset(&o, 0, sizeof(o));
	o.profile = uctls_profile_at((sel & 63u) % nprofiles)->name;
	o.role_server = (sel & 64) == 0;
	o.names = names;
	o.nnames = 1;
	put(0, &part[0]);
	o.cert_file = path[0];
	if (part[1].present && part[1].n > 0) {
		put(1, &part[1]);
		o.key_file = path[1];
	}
	if (part[2].present) {
		put(2, &part[2]);
		trust_files[0] = path[2];
		o.trust_files = trust_files;
		o.ntrust = 1;
	}
	o.csr_sans = (sel & 128) ? csr : NULL;
	o.at = 1798761600; /* fixed (2027-01-01): runs are reproducible */

	uctls_err_clear(&err);
	if (uctls_check_files(&o, &log, &err) == 0)
		uctls_log_free(log);
	return 0;
}
