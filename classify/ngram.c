/* ngram — hashed n-gram TF-IDF features and the linear logits of the
 * wide part; see ngram.h. Loading and saving are in ngram_io.c. */
#include "classify/ngram.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/fnv.h"
#include "util/xalloc.h"

void ngram_vec_free(ngram_vec *v) {
    if (!v) return;
    free(v->idx);
    free(v->val);
    free(v->wb);
    free(v->woff);
    free(v->cpos);
    free(v->pad);
    free(v->occ);
    memset(v, 0, sizeof *v);
}

/* tok_words callback: appends a word to the vector's word buffer. */
static void add_word(const char *w, size_t n, void *arg) {
    ngram_vec *v = arg;
    if (v->wb_len + n > v->wb_cap) {
        v->wb_cap = 2 * (v->wb_len + n) + 64;
        v->wb = xrealloc(v->wb, v->wb_cap);
    }
    memcpy(v->wb + v->wb_len, w, n);
    v->wb_len += n;
    if (v->nw + 2 > v->woff_cap) {
        v->woff_cap = 2 * v->nw + 64;
        v->woff = xrealloc(v->woff, sizeof *v->woff * (size_t)v->woff_cap);
    }
    v->woff[++v->nw] = v->wb_len;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Appends one bucket, made of words first .. first + n_words - 1, to
 * v->idx (and to v->occ when tracking), growing them. */
static void push_bucket(ngram_vec *v, int *n, uint64_t h, int buckets, int first, int n_words) {
    if (*n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 256;
        v->idx = xrealloc(v->idx, sizeof *v->idx * (size_t)v->cap);
        v->val = xrealloc(v->val, sizeof *v->val * (size_t)v->cap);
    }
    int32_t b = (int32_t)(h % (uint64_t)buckets);
    v->idx[(*n)++] = b;
    if (!v->track) return;
    if (v->n_occ == v->occ_cap) {
        v->occ_cap = v->occ_cap ? 2 * v->occ_cap : 256;
        v->occ = xrealloc(v->occ, sizeof *v->occ * (size_t)v->occ_cap);
    }
    v->occ[v->n_occ++] = (ngram_occ){b, first, n_words};
}

/* The character n-grams of word number wi, w[0..len), padded as " w ",
 * into v. Code points are cut at UTF-8 lead bytes (tok_words gives valid
 * UTF-8). */
static void count_chars(const ngram_settings *s, int wi, const char *w, size_t len, ngram_vec *v, int *n) {
    if (len + 2 > v->pad_cap) {
        v->pad_cap = 2 * len + 64;
        v->pad = xrealloc(v->pad, v->pad_cap);
    }
    v->pad[0] = ' ';
    memcpy(v->pad + 1, w, len);
    v->pad[len + 1] = ' ';
    size_t plen = len + 2;
    if ((int)plen + 1 > v->cpos_cap) {
        v->cpos_cap = 2 * (int)plen + 64;
        v->cpos = xrealloc(v->cpos, sizeof *v->cpos * (size_t)v->cpos_cap);
    }
    int nc = 0; /* code points; cpos[nc] = plen ends the last */
    for (size_t i = 0; i < plen; i++)
        if (((unsigned char)v->pad[i] & 0xC0) != 0x80) v->cpos[nc++] = i;
    v->cpos[nc] = plen;
    for (int k = 0; k < s->n_char_orders; k++) {
        int o = s->char_orders[k];
        for (int i = 0; i + o <= nc; i++) {
            uint64_t h = fnv1a64_more(FNV1A64_OFFSET, NGRAM_CHAR_MARK, 1);
            h = fnv1a64_more(h, v->pad + v->cpos[i], v->cpos[i + o] - v->cpos[i]);
            push_bucket(v, n, h, s->buckets, wi, 1);
        }
    }
}

void ngram_count(tokenizer *t, const ngram_settings *s, const char *text, size_t len, ngram_vec *v) {
    v->wb_len = 0;
    v->nw = 0;
    if (!v->woff) {
        v->woff_cap = 64;
        v->woff = xmalloc(sizeof *v->woff * (size_t)v->woff_cap);
    }
    v->woff[0] = 0;
    v->n_occ = 0;
    tok_words(t, text, len, add_word, v);
    int n = 0;
    for (int k = 0; k < s->n_orders; k++)
        for (int i = 0; i + s->orders[k] <= v->nw; i++) {
            uint64_t h = FNV1A64_OFFSET;
            for (int j = i; j < i + s->orders[k]; j++) {
                if (j > i) h = fnv1a64_more(h, " ", 1);
                h = fnv1a64_more(h, v->wb + v->woff[j], v->woff[j + 1] - v->woff[j]);
            }
            push_bucket(v, &n, h, s->buckets, i, s->orders[k]);
        }
    if (s->n_char_orders)
        for (int i = 0; i < v->nw; i++) count_chars(s, i, v->wb + v->woff[i], v->woff[i + 1] - v->woff[i], v, &n);
    if (n == 0) {
        v->n = 0;
        return;
    }
    qsort(v->idx, (size_t)n, sizeof *v->idx, cmp_i32);
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (m && v->idx[m - 1] == v->idx[i]) {
            v->val[m - 1] += 1.0f;
            continue;
        }
        v->idx[m] = v->idx[i];
        v->val[m++] = 1.0f;
    }
    v->n = m;
}

void ngram_weigh(ngram_vec *v, const float *idf) {
    double ss = 0;
    for (int i = 0; i < v->n; i++) {
        v->val[i] = (1.0f + logf(v->val[i])) * idf[v->idx[i]];
        ss += (double)v->val[i] * v->val[i];
    }
    if (ss <= 0) return;
    float inv = (float)(1.0 / sqrt(ss));
    for (int i = 0; i < v->n; i++) v->val[i] *= inv;
}

void ngram_features(tokenizer *t, const ngram_settings *s, const float *idf, const char *text, size_t len,
                    ngram_vec *v) {
    ngram_count(t, s, text, len, v);
    ngram_weigh(v, idf);
}

float ngram_idf(long df, long docs) { return (float)(log((1.0 + (double)docs) / (1.0 + (double)df)) + 1.0); }

ngram_model *ngram_new(const ngram_settings *s, int n_heads, const char *const *names, const int *n_labels) {
    ngram_model *m = xcalloc(1, sizeof *m);
    m->s = *s;
    m->idf = xcalloc((size_t)s->buckets, sizeof *m->idf);
    m->n_heads = n_heads;
    m->heads = xcalloc((size_t)(n_heads ? n_heads : 1), sizeof *m->heads);
    for (int h = 0; h < n_heads; h++) {
        ngram_head *hd = &m->heads[h];
        hd->name = xstrdup(names[h]);
        hd->head = h;
        hd->n_labels = n_labels[h];
        hd->mix = 1.0f;
        hd->w = xcalloc((size_t)n_labels[h] * (size_t)s->buckets, sizeof *hd->w);
        hd->b = xcalloc((size_t)n_labels[h], sizeof *hd->b);
    }
    return m;
}

void ngram_free(ngram_model *m) {
    if (!m) return;
    for (int h = 0; h < m->n_heads; h++) {
        free(m->heads[h].name);
        free(m->heads[h].w);
        free(m->heads[h].b);
    }
    free(m->heads);
    free(m->idf);
    free(m);
}

void ngram_head_logits(const ngram_model *m, int h, const ngram_vec *x, float *out) {
    const ngram_head *hd = &m->heads[h];
    for (int j = 0; j < hd->n_labels; j++) {
        const float *w = hd->w + (size_t)j * (size_t)m->s.buckets;
        double z = hd->b[j];
        for (int i = 0; i < x->n; i++) z += (double)w[x->idx[i]] * x->val[i];
        out[j] = (float)z;
    }
}

void ngram_add_logits(const ngram_model *m, const ngram_vec *x, const int *off, float *row) {
    for (int h = 0; h < m->n_heads; h++) {
        const ngram_head *hd = &m->heads[h];
        if (hd->mix == 0.0f) continue;
        float z[4096];
        ngram_head_logits(m, h, x, z);
        for (int j = 0; j < hd->n_labels; j++) row[off[hd->head] + j] += hd->mix * z[j];
    }
}
