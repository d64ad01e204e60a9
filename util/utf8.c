/* utf8 — UTF-8 helpers on utf8proc; see utf8.h. */
#include "util/utf8.h"

#include <string.h>
#include <utf8proc.h>

size_t utf8_next(const char *s, size_t n, int32_t *cp) {
    utf8proc_int32_t c;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &c);
    if (k < 1) return 0;
    *cp = c;
    return (size_t)k;
}

int utf8_valid(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) { /* ASCII fast path, a word at a time where it can */
            uint64_t w;
            while (i + 8 <= n && (memcpy(&w, p + i, 8), (w & 0x8080808080808080ULL) == 0)) i += 8;
            while (i < n && p[i] < 0x80) i++;
            continue;
        }
        int32_t cp;
        size_t k = utf8_next(s + i, n - i, &cp);
        if (k == 0) return 0;
        i += k;
    }
    return 1;
}

size_t utf8_cut(const char *s, size_t len, size_t max) {
    if (len <= max) return len;
    /* a sequence straddling max starts at most 3 bytes before it */
    for (size_t back = 1; back <= 3 && back <= max; back++) {
        unsigned char c = (unsigned char)s[max - back];
        if ((c & 0xC0) == 0x80) continue; /* a continuation byte: look further back */
        int32_t cp;
        size_t k = c < 0x80 ? 1 : utf8_next(s + max - back, len - (max - back), &cp);
        return k > back ? max - back : max;
    }
    return max;
}

size_t utf8_truncate(char *dst, const char *src, size_t len, size_t max, int ellipsis) {
    size_t n = utf8_cut(src, len, max);
    if (n) memcpy(dst, src, n);
    if (n < len && ellipsis) {
        memcpy(dst + n, UTF8_ELLIPSIS, 3);
        n += 3;
    }
    dst[n] = '\0';
    return n;
}
