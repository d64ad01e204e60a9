/* curl_group — libcurl's global state for a cmocka test program, set up
 * once as main.c does for finsent (alerts/webhook.h needs it):
 *   cmocka_run_group_tests_name("x", tests, curl_group_setup, curl_group_teardown) */
#ifndef FINSENT_TEST_CURL_GROUP_H
#define FINSENT_TEST_CURL_GROUP_H

/* curl_global_init(CURL_GLOBAL_DEFAULT); 0, or -1 when it fails. */
int curl_group_setup(void **state);
/* curl_global_cleanup(); returns 0. */
int curl_group_teardown(void **state);

#endif
