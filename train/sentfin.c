/* sentfin — SEntFiN Decisions parsing, headline labels, split (the split itself is train_is_dev); see sentfin.h. */
#include "train/sentfin.h"

#include <string.h>


static const char *const sf_labels[] = {"positive", "neutral", "negative"};

static int is_quote(char c) { return c == '\'' || c == '"'; }

static const char *skip_space(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    return p;
}

/* When p (a quote) closes a key — it is followed by ": '<label>'" and then
 * "," or "}" — returns the label and sets *end after the label's closing
 * quote; else NULL. */
static const char *key_end(const char *p, const char **end) {
    const char *q = skip_space(p + 1);
    if (*q != ':') return NULL;
    q = skip_space(q + 1);
    if (!is_quote(*q)) return NULL;
    q++;
    for (size_t i = 0; i < sizeof sf_labels / sizeof sf_labels[0]; i++) {
        size_t n = strlen(sf_labels[i]);
        if (strncmp(q, sf_labels[i], n) || !is_quote(q[n])) continue;
        const char *after = skip_space(q + n + 1);
        if (*after != ',' && *after != '}') return NULL;
        *end = q + n + 1;
        return sf_labels[i];
    }
    return NULL;
}

int sf_parse_decisions(const char *s, sf_entity *out, int max) {
    const char *p = skip_space(s);
    if (*p++ != '{') return -1;
    int n = 0;
    p = skip_space(p);
    if (*p == '}') return *skip_space(p + 1) ? -1 : 0;
    for (;;) {
        if (!is_quote(*p)) return -1;
        const char *name = p + 1, *q = name, *end = NULL, *label = NULL;
        for (; *q; q++)
            if (is_quote(*q) && (label = key_end(q, &end))) break;
        if (!label || n == max) return -1;
        out[n].name = name;
        out[n].name_len = (size_t)(q - name);
        out[n++].label = label;
        p = skip_space(end);
        if (*p == '}') return *skip_space(p + 1) ? -1 : n;
        p = skip_space(p + 1); /* past ',' */
    }
}

const char *sf_headline_label(const sf_entity *e, int n) {
    if (n <= 0) return NULL;
    for (int i = 1; i < n; i++)
        if (e[i].label != e[0].label) return NULL;
    return e[0].label;
}
