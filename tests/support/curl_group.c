/* curl_group — see curl_group.h. */
#include "tests/support/curl_group.h"

#include <curl/curl.h>

int curl_group_setup(void **state) {
    (void)state;
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int curl_group_teardown(void **state) {
    (void)state;
    curl_global_cleanup();
    return 0;
}
