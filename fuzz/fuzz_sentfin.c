/* fuzz_sentfin — libFuzzer target for the SEntFiN Decisions parser
 * (sf_parse_decisions, sf_headline_label), which reads the Python-style
 * dict column of the training and evaluation CSV. The input (up to its
 * first NUL) is the dict text. Checked: the count is -1 or 0..max; each
 * entity's name lies inside the text, after an opening quote and before
 * a closing one, names come in order without overlapping; each label is
 * one of the three static labels; the headline label is the common label
 * or NULL; a smaller max gives -1 exactly when there are more entities. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "train/sentfin.h"
#include "util/xalloc.h"

static int is_label(const char *l) {
    return l && (strcmp(l, "positive") == 0 || strcmp(l, "neutral") == 0 || strcmp(l, "negative") == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = xmalloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    size_t len = strlen(s);
    sf_entity e[SF_MAX_ENTITIES];
    int n = sf_parse_decisions(s, e, SF_MAX_ENTITIES);
    if (n < -1 || n > SF_MAX_ENTITIES) abort();
    const char *prev_end = s;
    for (int i = 0; i < n; i++) {
        const char *name = e[i].name;
        if (name <= prev_end || name + e[i].name_len > s + len) abort();
        char open = name[-1], close = name[e[i].name_len];
        if ((open != '\'' && open != '"') || (close != '\'' && close != '"')) abort();
        if (!is_label(e[i].label)) abort();
        prev_end = name + e[i].name_len;
    }
    const char *h = sf_headline_label(e, n);
    if (n <= 0 && h) abort();
    if (n > 0) {
        int same = 1;
        for (int i = 1; i < n; i++) same &= strcmp(e[i].label, e[0].label) == 0;
        if (same ? h != e[0].label : h != NULL) abort();
    }
    if (n > 0) {
        sf_entity fewer[SF_MAX_ENTITIES];
        if (sf_parse_decisions(s, fewer, n - 1) != -1 || sf_parse_decisions(s, fewer, n) != n) abort();
    }
    free(s);
    return 0;
}
