/* One Check suite per module; tests/check_main.c runs them all.
 * CK_FORK=no runs them in-process for gdb and valgrind. */
#ifndef UCTLS_CHECK_SUITES_H
#define UCTLS_CHECK_SUITES_H

#include <check.h>

Suite *make_scenario_suite(void);
Suite *make_pki_suite(void);
Suite *make_ident_suite(void);
Suite *make_verify_suite(void);
Suite *make_report_suite(void);
Suite *make_engine_suite(void);
Suite *make_sip_suite(void);
Suite *make_http_suite(void);
Suite *make_xmpp_suite(void);
Suite *make_install_suite(void);
Suite *make_nc_suite(void);
Suite *make_revoke_suite(void);
Suite *make_runq_suite(void);
Suite *make_store_suite(void);
Suite *make_shadow_suite(void);

#endif
