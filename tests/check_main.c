#include "config.h"

#include <stdlib.h>

#include "check_suites.h"

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(make_scenario_suite());
	srunner_add_suite(sr, make_pki_suite());
	srunner_add_suite(sr, make_ident_suite());
	srunner_add_suite(sr, make_verify_suite());
	srunner_add_suite(sr, make_report_suite());
	srunner_add_suite(sr, make_engine_suite());
	srunner_add_suite(sr, make_sip_suite());
	srunner_add_suite(sr, make_http_suite());
	srunner_add_suite(sr, make_xmpp_suite());
	srunner_add_suite(sr, make_install_suite());
	srunner_add_suite(sr, make_nc_suite());
	srunner_add_suite(sr, make_revoke_suite());
	srunner_add_suite(sr, make_runq_suite());
	srunner_add_suite(sr, make_store_suite());
	srunner_add_suite(sr, make_shadow_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
