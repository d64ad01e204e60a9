/* http_get — a GET on the loopback; see http_get.h. */
#include "tests/support/http_get.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "util/xalloc.h"

static size_t sink(char *p, size_t sz, size_t n, void *arg) {
    char **buf = arg;
    size_t old = *buf ? strlen(*buf) : 0;
    *buf = xrealloc(*buf, old + sz * n + 1);
    memcpy(*buf + old, p, sz * n);
    (*buf)[old + sz * n] = '\0';
    return sz * n;
}

long http_get(int port, const char *path, char **body) {
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    long code = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return code;
}
