/* explain — word weights from the n-gram part (exact) and the encoder
 * (occlusion); see explain.h. */
#include "classify/explain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/batch.h"
#include "util/errmsg.h"
#include "util/xalloc.h"

#define XP_SORT_WINDOW 256
#define XP_SEQS_PER_RUN 8 /* token budget of one encoder run, in max_len sequences (more measured no faster) */

/* A word of the text being explained: its span and its sequence. */
typedef struct xp_unit {
    int32_t start, end;
    int seq; /* its occluded sequence, -1 when it is the whole text's (word past max_len) */
} xp_unit;

struct explainer {
    const classifier *c;
    const cls_model *m;
    const ngram_model *ng;
    tokenizer *tok;
    batcher *b;
    int max_len;
    /* the units of every text of a call: text i's are unit_off[i] .. unit_off[i+1] */
    xp_unit *units;
    int n_units, cap_units;
    int *unit_off, *word_off, *full_seq; /* per text: first unit, first word, sequence of the whole text */
    int cap_texts;
    /* tok_words' words of every text -> their units */
    int *word_unit;
    int n_words, cap_words;
    int cur_text; /* the text gather is at */
    /* token ids of every sequence, back to back */
    int32_t *ids;
    size_t n_ids, cap_ids;
    size_t *seq_off;
    int *seq_len;
    int n_seq, cap_seq;
    float *logits;
    size_t cap_logits;
    char *vbuf; /* a text with one word deleted */
    size_t vcap;
    ngram_vec nv;
    float *counts; /* n-gram occurrences per bucket of nv */
    int cap_counts;
};

explainer *xp_new(const classifier *c) {
    explainer *x = xcalloc(1, sizeof *x);
    x->c = c;
    x->m = cls_get_model(c);
    x->ng = cls_get_ngram(c);
    x->max_len = cls_max_len(c);
    x->tok = tok_new(cls_get_vocab(c), x->m->do_lower_case);
    x->b = batch_new(x->m, x->max_len * XP_SEQS_PER_RUN, x->max_len, XP_SORT_WINDOW);
    x->nv.track = 1;
    return x;
}

void xp_free(explainer *x) {
    if (!x) return;
    tok_free(x->tok);
    batch_free(x->b);
    free(x->units);
    free(x->unit_off);
    free(x->word_off);
    free(x->full_seq);
    free(x->word_unit);
    free(x->ids);
    free(x->seq_off);
    free(x->seq_len);
    free(x->logits);
    free(x->vbuf);
    ngram_vec_free(&x->nv);
    free(x->counts);
    free(x);
}

void xp_result_free(xp_result *r) {
    if (!r) return;
    free(r->words);
    memset(r, 0, sizeof *r);
}

static int cmp_pick(const void *a, const void *b, void *w) {
    const xp_word *words = w;
    int32_t x = words[*(const int *)a].start, y = words[*(const int *)b].start;
    return (x > y) - (x < y);
}

size_t xp_delete_words(const char *text, size_t len, const xp_word *w, const int *pick, int n_pick, char **buf,
                       size_t *cap) {
    int order[64], *ord = n_pick <= 64 ? order : xmalloc(sizeof *ord * (size_t)n_pick);
    memcpy(ord, pick, sizeof *ord * (size_t)n_pick);
    qsort_r(ord, (size_t)n_pick, sizeof *ord, cmp_pick, (void *)w);
    if (len + 1 > *cap) {
        *cap = 2 * len + 64;
        *buf = xrealloc(*buf, *cap);
    }
    size_t o = 0, from = 0;
    for (int k = 0; k < n_pick; k++) {
        const xp_word *d = &w[ord[k]];
        memcpy(*buf + o, text + from, (size_t)d->start - from);
        o += (size_t)d->start - from;
        (*buf)[o++] = ' ';
        from = (size_t)d->end;
    }
    memcpy(*buf + o, text + from, len - from);
    o += len - from;
    (*buf)[o] = '\0';
    if (ord != order) free(ord);
    return o;
}

/* ---- gathering the units and sequences of a call ---- */

static void span_to_unit(const char *w, size_t n, size_t start, size_t end, void *arg) {
    (void)w;
    (void)n;
    explainer *x = arg;
    if (x->n_words == x->cap_words) {
        x->cap_words = x->cap_words ? 2 * x->cap_words : 64;
        x->word_unit = xrealloc(x->word_unit, sizeof *x->word_unit * (size_t)x->cap_words);
    }
    /* the text's first word always starts a unit (units of texts before it may end alike) */
    xp_unit *last = x->n_units ? &x->units[x->n_units - 1] : NULL;
    int first = x->n_units == x->unit_off[x->cur_text];
    int same = !first && last->start == (int32_t)start && last->end == (int32_t)end;
    if (!same) {
        if (x->n_units == x->cap_units) {
            x->cap_units = x->cap_units ? 2 * x->cap_units : 64;
            x->units = xrealloc(x->units, sizeof *x->units * (size_t)x->cap_units);
        }
        x->units[x->n_units++] = (xp_unit){(int32_t)start, (int32_t)end, -1};
    }
    x->word_unit[x->n_words++] = x->n_units - 1;
}

/* Tokenizes text[0..len) as one more sequence; returns its index, or -1
 * when its ids equal those of sequence same (>= 0), which is then reused. */
static int add_seq(explainer *x, const char *text, size_t len, int same) {
    if (x->n_ids + (size_t)x->max_len > x->cap_ids) {
        x->cap_ids = 2 * (x->n_ids + (size_t)x->max_len);
        x->ids = xrealloc(x->ids, sizeof *x->ids * x->cap_ids);
    }
    if (x->n_seq == x->cap_seq) {
        x->cap_seq = x->cap_seq ? 2 * x->cap_seq : 64;
        x->seq_off = xrealloc(x->seq_off, sizeof *x->seq_off * (size_t)x->cap_seq);
        x->seq_len = xrealloc(x->seq_len, sizeof *x->seq_len * (size_t)x->cap_seq);
    }
    int32_t *ids = x->ids + x->n_ids;
    int n = tok_encode(x->tok, text, len, x->max_len, ids, NULL);
    if (same >= 0 && n == x->seq_len[same] && memcmp(ids, x->ids + x->seq_off[same], sizeof *ids * (size_t)n) == 0)
        return -1;
    x->seq_off[x->n_seq] = x->n_ids;
    x->seq_len[x->n_seq] = n;
    x->n_ids += (size_t)n;
    return x->n_seq++;
}

/* The units of text i and a sequence for the whole text and for each unit. */
static void gather(explainer *x, int i, const char *text, size_t len) {
    x->unit_off[i] = x->n_units;
    x->word_off[i] = x->n_words;
    x->cur_text = i;
    tok_word_spans(x->tok, text, len, span_to_unit, x);
    x->full_seq[i] = add_seq(x, text, len, -1);
    for (int u = x->unit_off[i]; u < x->n_units; u++) {
        xp_word w = {.start = x->units[u].start, .end = x->units[u].end};
        int pick = 0;
        size_t vlen = xp_delete_words(text, len, &w, &pick, 1, &x->vbuf, &x->vcap);
        x->units[u].seq = add_seq(x, x->vbuf, vlen, x->full_seq[i]);
    }
}

/* Runs every gathered sequence through the encoder into x->logits. */
static int encode_all(explainer *x, char *err, size_t errlen) {
    size_t K = (size_t)x->m->n_out, need = (size_t)x->n_seq * K;
    if (need > x->cap_logits) {
        x->cap_logits = need;
        x->logits = xrealloc(x->logits, sizeof *x->logits * need);
    }
    const int32_t **seq = xmalloc(sizeof *seq * (size_t)(x->n_seq ? x->n_seq : 1));
    for (int s = 0; s < x->n_seq; s++) seq[s] = x->ids + x->seq_off[s];
    int rc = batch_run(x->b, seq, x->seq_len, x->n_seq, x->logits, NULL, err, errlen);
    free(seq);
    return rc;
}

/* ---- weights ---- */

/* z[y] minus the mean of z[0..nl). */
static float centred(const float *z, int nl, int y) {
    double s = 0;
    for (int j = 0; j < nl; j++) s += z[j];
    return (float)(z[y] - s / nl);
}

static void ensure_words(xp_result *r, int n) {
    if (n > r->cap) {
        r->cap = n;
        r->words = xrealloc(r->words, sizeof *r->words * (size_t)n);
    }
}

/* The encoder part of head h, label y for text i's units into r. */
static void encoder_part(const explainer *x, int i, int h, int y, xp_result *r) {
    size_t K = (size_t)x->m->n_out;
    int off = x->m->head_off[h], nl = x->m->cfg.heads[h].n_labels;
    float full = centred(x->logits + (size_t)x->full_seq[i] * K + off, nl, y);
    r->enc_logit = full;
    for (int u = x->unit_off[i], k = 0; u < x->unit_off[i + 1]; u++, k++) {
        const xp_unit *un = &x->units[u];
        float part = un->seq < 0 ? 0.0f : full - centred(x->logits + (size_t)un->seq * K + off, nl, y);
        r->words[k] = (xp_word){un->start, un->end, part, part, 0.0f};
    }
}

/* The n-gram features of text[0..len) into x->nv, occurrences listed, and
 * each bucket's occurrence count into x->counts. */
static void ngram_text(explainer *x, const char *text, size_t len) {
    ngram_count(x->tok, &x->ng->s, text, len, &x->nv);
    if (x->nv.n > x->cap_counts) {
        x->cap_counts = x->nv.n;
        x->counts = xrealloc(x->counts, sizeof *x->counts * (size_t)x->cap_counts);
    }
    if (x->nv.n) memcpy(x->counts, x->nv.val, sizeof *x->counts * (size_t)x->nv.n);
    ngram_weigh(&x->nv, x->ng->idf);
}

/* Position of bucket b in the sorted x->nv.idx (it is there). */
static int bucket_pos(const ngram_vec *v, int32_t b) {
    int lo = 0, hi = v->n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (v->idx[mid] < b) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Adds the n-gram part of n-gram head hd, label y to text i's words in r
 * (x->nv holds the text's features). */
static void ngram_part(const explainer *x, int i, const ngram_head *hd, int y, xp_result *r) {
    const ngram_vec *v = &x->nv;
    size_t B = (size_t)x->ng->s.buckets;
    int nl = hd->n_labels;
    float z[4096];
    ngram_head_logits(x->ng, (int)(hd - x->ng->heads), v, z);
    r->ngram_logit = hd->mix * centred(z, nl, y);
    r->ngram_bias = hd->mix * centred(hd->b, nl, y);
    int w0 = x->word_off[i], u0 = x->unit_off[i];
    if (v->nw != x->word_off[i + 1] - w0) return; /* cannot happen: both are tok_words' words */
    for (int k = 0; k < v->n_occ; k++) {
        const ngram_occ *o = &v->occ[k];
        int p = bucket_pos(v, o->bucket);
        double mean = 0;
        for (int j = 0; j < nl; j++) mean += hd->w[(size_t)j * B + (size_t)o->bucket];
        double wc = hd->w[(size_t)y * B + (size_t)o->bucket] - mean / nl;
        float share = (float)(hd->mix * v->val[p] * wc / x->counts[p] / o->n_words);
        for (int w = o->first; w < o->first + o->n_words; w++) {
            xp_word *xw = &r->words[x->word_unit[w0 + w] - u0];
            xw->ngram += share;
            xw->weight += share;
        }
    }
}

static int cmp_weight(const void *a, const void *b) {
    const xp_word *x = a, *y = b;
    if (x->weight != y->weight) return x->weight > y->weight ? -1 : 1;
    return (x->start > y->start) - (x->start < y->start);
}

int xp_explain(explainer *x, const char *const *texts, const size_t *lens, int n, const int *labels, xp_result *out,
               char *err, size_t errlen) {
    int H = x->m->cfg.n_heads;
    for (int i = 0; i < n * H; i++)
        if (labels[i] >= x->m->cfg.heads[i % H].n_labels)
            return err_set(err, errlen, "explain: head %s has no label %d", x->m->cfg.heads[i % H].name, labels[i]),
                   -1;
    if (n + 1 > x->cap_texts) {
        x->cap_texts = n + 1;
        x->unit_off = xrealloc(x->unit_off, sizeof *x->unit_off * (size_t)x->cap_texts);
        x->word_off = xrealloc(x->word_off, sizeof *x->word_off * (size_t)x->cap_texts);
        x->full_seq = xrealloc(x->full_seq, sizeof *x->full_seq * (size_t)x->cap_texts);
    }
    x->n_units = x->n_seq = x->n_words = 0;
    x->n_ids = 0;
    for (int i = 0; i < n; i++) gather(x, i, texts[i], lens ? lens[i] : strlen(texts[i]));
    x->unit_off[n] = x->n_units;
    x->word_off[n] = x->n_words;
    if (encode_all(x, err, errlen) < 0) return -1;
    for (int i = 0; i < n; i++) {
        size_t len = lens ? lens[i] : strlen(texts[i]);
        int nu = x->unit_off[i + 1] - x->unit_off[i], have_ng = 0;
        for (int h = 0; h < H; h++) {
            xp_result *r = &out[(size_t)i * H + h];
            int y = labels[(size_t)i * H + h];
            r->label = y;
            r->n = 0;
            r->enc_logit = r->ngram_logit = r->ngram_bias = 0;
            if (y < 0) continue;
            ensure_words(r, nu);
            r->n = nu;
            encoder_part(x, i, h, y, r);
            for (int g = 0; x->ng && g < x->ng->n_heads; g++) {
                const ngram_head *hd = &x->ng->heads[g];
                if (hd->head != h || hd->mix == 0.0f) continue;
                if (!have_ng) {
                    ngram_text(x, texts[i], len);
                    have_ng = 1;
                }
                ngram_part(x, i, hd, y, r);
            }
            if (r->n > 1) qsort(r->words, (size_t)r->n, sizeof *r->words, cmp_weight);
        }
    }
    return 0;
}
