/* jsonl — see jsonl.h. */
#include "util/jsonl.h"

#include <string.h>

int jsonl_blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return 0;
    return 1;
}

size_t jsonl_drop_nul_escapes(char *line, size_t len) {
    size_t w = 0;
    for (size_t r = 0; r < len;) {
        if (line[r] == '\\' && r + 5 < len && line[r + 1] == 'u' && memcmp(line + r + 2, "0000", 4) == 0) {
            r += 6;
            continue;
        }
        size_t n = (line[r] == '\\' && r + 1 < len) ? 2 : 1;
        memmove(line + w, line + r, n);
        w += n;
        r += n;
    }
    return w;
}
