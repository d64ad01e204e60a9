/* fuzz_units — libFuzzer target for cfgschema's value syntaxes: duration
 * and size parsing (with a parse -> format -> parse round trip that must
 * give the same value) and the "did you mean" matcher.
 *
 * Input: first byte selects the parser (0 duration, 1 size, 2 suggest);
 * the rest is the text. For suggest, the text is split at '\n': the first
 * line is the word, the others the candidates. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/cfgschema.h"
#include "util/xalloc.h"

static void fuzz_duration(const char *s) {
    int64_t ms, again;
    if (cfg_parse_duration(s, &ms)) return;
    if (ms < 0) abort();
    char buf[48];
    cfg_format_duration(ms, buf, sizeof buf);
    if (cfg_parse_duration(buf, &again) || again != ms) abort();
}

static void fuzz_size(const char *s) {
    uint64_t b, again;
    if (cfg_parse_size(s, &b)) return;
    char buf[48];
    cfg_format_size(b, buf, sizeof buf);
    if (cfg_parse_size(buf, &again) || again != b) abort();
}

/* The suggestion, when there is one, must be one of the candidates. */
static void fuzz_suggest(char *s) {
    const char *cands[16];
    size_t n = 0;
    char *word = s;
    for (char *p = strchr(s, '\n'); p && n < 16; p = strchr(p, '\n')) {
        *p++ = '\0';
        cands[n++] = p;
    }
    const char *near = cfg_suggest(word, cands, n);
    if (!near) return;
    for (size_t i = 0; i < n; i++)
        if (near == cands[i]) return;
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    char *s = xmalloc(size);
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    switch (data[0] % 3) {
    case 0: fuzz_duration(s); break;
    case 1: fuzz_size(s); break;
    default: fuzz_suggest(s); break;
    }
    free(s);
    return 0;
}
