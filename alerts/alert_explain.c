/* alert_explain — sample words, "why" sums and marking; see
 * alert_explain.h. */
#include "alerts/alert_explain.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/xalloc.h"

const alert *ax_attach(const alert *al, alerts_explain_fn fn, void *ud, alert *copy, alert_explain *x) {
    if (!fn || al->n_samples == 0) return al;
    memset(x, 0, sizeof *x);
    const char *texts[WIN_TOPK_MAX];
    for (int i = 0; i < al->n_samples; i++) texts[i] = al->samples[i].text;
    if (fn(texts, al->n_samples, x->words, x->n_words, ud) != 0) return al;
    ax_build_why(x, al->n_samples);
    *copy = *al;
    copy->explain = x;
    return copy;
}

static int cmp_why(const void *a, const void *b) {
    const ax_why *x = a, *y = b;
    if (x->weight != y->weight) return x->weight > y->weight ? -1 : 1;
    if (x->messages != y->messages) return y->messages - x->messages;
    return strcmp(x->word, y->word);
}

void ax_build_why(alert_explain *x, int n_samples) {
    ax_why all[WIN_TOPK_MAX * AX_WORDS_MAX];
    int n = 0;
    for (int s = 0; s < n_samples; s++)
        for (int k = 0; k < x->n_words[s]; k++) {
            const ax_word *w = &x->words[s][k];
            int j = 0;
            while (j < n && strcasecmp(all[j].word, w->word) != 0) j++;
            if (j == n) {
                memset(&all[n], 0, sizeof all[n]);
                memcpy(all[n].word, w->word, sizeof w->word);
                for (char *p = all[n].word; *p; p++)
                    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
                n++;
            }
            all[j].weight += w->weight;
            all[j].messages++;
        }
    qsort(all, (size_t)n, sizeof *all, cmp_why);
    x->n_why = n < AX_WHY_MAX ? n : AX_WHY_MAX;
    memcpy(x->why, all, sizeof *all * (size_t)x->n_why);
}

static int cmp_span(const void *a, const void *b) {
    const ax_span *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

char *ax_mark(const char *text, const ax_span *spans, int n, const char *open, const char *close) {
    size_t len = strlen(text), lo = strlen(open), lc = strlen(close);
    ax_span *s = xmalloc(sizeof *s * (size_t)(n ? n : 1));
    if (n) memcpy(s, spans, sizeof *s * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, cmp_span);
    char *out = xmalloc(len + (size_t)n * (lo + lc) + 1);
    size_t o = 0, from = 0;
    for (int i = 0; i < n; i++) {
        if (s[i].start < (int32_t)from || s[i].end <= s[i].start || (size_t)s[i].end > len) continue;
        memcpy(out + o, text + from, (size_t)s[i].start - from);
        o += (size_t)s[i].start - from;
        memcpy(out + o, open, lo);
        o += lo;
        memcpy(out + o, text + s[i].start, (size_t)(s[i].end - s[i].start));
        o += (size_t)(s[i].end - s[i].start);
        memcpy(out + o, close, lc);
        o += lc;
        from = (size_t)s[i].end;
    }
    memcpy(out + o, text + from, len - from);
    out[o + len - from] = '\0';
    free(s);
    return out;
}
