/* fuzz_time — libFuzzer target for time_parse (RFC 3339 and epoch ms).
 * An accepted integer must be the value written (no silent clamping);
 * every parsed time must survive time_format -> time_parse unchanged
 * (years 0000-0999 included, and times beyond RFC 3339's years, which
 * time_format writes as epoch ms). */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"
#include "util/xalloc.h"

/* True when s is an optional '-' and digits only. */
static bool is_integer(const char *s) {
    if (*s == '-') s++;
    if (!*s) return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

/* True when ms printed in decimal is the integer s without leading zeros. */
static bool integer_is(const char *s, int64_t ms) {
    bool neg = *s == '-';
    if (neg) s++;
    while (s[0] == '0' && s[1]) s++;
    char want[32], got[32];
    snprintf(want, sizeof want, "%s%s", neg && strcmp(s, "0") != 0 ? "-" : "", s);
    snprintf(got, sizeof got, "%" PRId64, ms);
    return strcmp(want, got) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = xmalloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t ms, again;
    if (time_parse(s, &ms) == 0 && is_integer(s) && !integer_is(s, ms)) abort();
    if (time_parse(s, &ms) == 0) {
        char buf[64];
        time_format(ms, buf, sizeof buf);
        if (time_parse(buf, &again) || again != ms) abort();
    }
    free(s);
    return 0;
}
