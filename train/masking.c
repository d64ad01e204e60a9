/* masking — masked-LM corruption by token or by whole word; see masking.h. */
#include "train/masking.h"

#include <stdlib.h>

#include "util/xalloc.h"

uint8_t *mask_continuations(const tok_vocab *v) {
    int n = tok_vocab_size(v);
    uint8_t *c = xcalloc((size_t)n, 1);
    for (int i = 0; i < n; i++) {
        const char *t = tok_vocab_token(v, i);
        c[i] = t && t[0] == '#' && t[1] == '#' && t[2];
    }
    return c;
}

/* Replaces chosen token t: its label keeps the original id. */
static void replace(int32_t *ids, int32_t *labels, int t, const mask_spec *s, rng_pcg *r) {
    labels[t] = ids[t];
    float u = rng_uniform(r);
    if (u < 0.8f) ids[t] = s->mask_id;
    else if (u < 0.9f) ids[t] = 5 + (int32_t)(rng_u32(r) % (uint32_t)(s->vocab - 5));
}

void mask_apply(int32_t *ids, int32_t *labels, int n, const mask_spec *s, rng_pcg *r) {
    for (int t = 0; t < n; t++) labels[t] = -1;
    for (int t = 0; t < n; t++) {
        if (ids[t] < 5) continue;
        int end = t + 1; /* the word is t .. end-1 */
        if (s->cont)
            while (end < n && ids[end] >= 5 && s->cont[ids[end]]) end++;
        if (rng_uniform(r) < s->p)
            for (int k = t; k < end; k++) replace(ids, labels, k, s, r);
        t = end - 1;
    }
}
