/* libFuzzer target: the scenario loader (scenario.h) over a DOM read from
 * the input (xml.h part 1), as `uctls run/validate' read a scenario file.
 * The loader must refuse bad input with an error, never crash or leak. */
#include <config.h>

#include <stdint.h>
#include <stddef.h>

#include "fuzz-util.h"
#include "scenario.h"
#include "xml.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A directory that does not exist: relative file= paths resolve
	 * under it, so no input reads a file of the machine by accident
	 * (absolute paths still can: that is the loader's business). */
	static const char name[] = "/nonexistent-uctls-fuzz/fuzz.xml";
	struct uctls_xml_node *root = NULL;
	struct uctls_scenario *sc = NULL;
	struct uctls_err err;

	uctls_err_clear(&err);
	if (uctls_xml_load_buffer(name, (const char *)data, size, &root, &err) < 0)
		return 0;
	uctls_err_clear(&err);
	if (uctls_scenario_load_dom(name, root, &sc, &err) == 0) {
		/* touch the lookups the engine uses */
		if (sc->ncerts > 0)
			(void)uctls_scenario_cert(sc, sc->certs[0].id);
		if (sc->npeers > 0)
			(void)uctls_peer_domain(&sc->peers[0]);
		uctls_scenario_free(sc);
	}
	uctls_xml_free(root);
	return 0;
}
