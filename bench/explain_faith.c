/* explain_faith — comprehensiveness of the word explanations on dev
 * texts; see explain_faith.h. */
#include "bench/explain_faith.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/bench.h"
#include "classify/explain.h"
#include "train/train_config.h"
#include "train/train_data.h"
#include "util/rng.h"
#include "util/errmsg.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define XF_CHUNK 256 /* texts classified per call */
#define XF_BATCH 32  /* texts explained per call */
#define XF_SHARED "../shared/data/"

void xf_texts_free(xf_texts *t) {
    for (int i = 0; i < t->n; i++) free(t->v[i]);
    free(t->v);
    memset(t, 0, sizeof *t);
}

typedef struct dev_ctx {
    xf_texts *out;
    double fraction;
} dev_ctx;

static void take_dev(const char *text, int head, int label, void *arg) {
    (void)head;
    (void)label;
    dev_ctx *d = arg;
    if (!train_is_dev(text, strlen(text), d->fraction)) return;
    xf_texts *t = d->out;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 512;
        t->v = xrealloc(t->v, sizeof *t->v * (size_t)t->cap);
    }
    t->v[t->n++] = xstrdup(text);
}

int xf_dev_texts(const char *cfg_path, const char *data_dir, xf_texts *out, char *err, size_t errlen) {
    train_cfg c;
    memset(out, 0, sizeof *out);
    if (cfg_load_file(cfg_path, &train_cfg_schema, &c, err, errlen)) return -1;
    int head = -1, rc = 0;
    for (size_t h = 0; h < c.heads.n; h++)
        if (strcmp(c.heads.v[h].name, "sentiment") == 0) head = (int)h;
    if (head < 0) rc = -1, err_set(err, errlen, "%s: heads: no head named sentiment", cfg_path);
    dev_ctx d = {out, c.dev_fraction};
    for (size_t i = 0; rc == 0 && i < c.data.n; i++) {
        train_data_cfg dc = c.data.v[i];
        if (strcmp(dc.head, "sentiment") != 0) continue;
        char *path = data_dir && strncmp(dc.path, XF_SHARED, strlen(XF_SHARED)) == 0
                         ? xasprintf("%s/%s", data_dir, dc.path + strlen(XF_SHARED))
                         : xstrdup(dc.path);
        struct stat st;
        if (stat(path, &st) != 0) {
            err_set(err, errlen, "%s: %s", path, strerror(errno));
            rc = 1;
        } else {
            dc.path = path;
            rc = train_read_labelled(&c, &dc, head, take_dev, &d, err, errlen);
        }
        free(path);
    }
    cfg_obj_free(&train_cfg_schema, &c);
    if (rc) xf_texts_free(out);
    return rc;
}

/* p(negative) of texts[0..n) into p. */
static int p_negative(classifier *c, const char *const *texts, const size_t *lens, int n, int head, int neg,
                      float *p, char *err, size_t errlen) {
    for (int i = 0; i < n; i += XF_CHUNK) {
        int k = n - i < XF_CHUNK ? n - i : XF_CHUNK;
        cls_output out;
        int rc = cls_classify(c, texts + i, lens ? lens + i : NULL, k, 0, &out, err, errlen);
        for (int j = 0; rc == 0 && j < k; j++) p[i + j] = cls_output_probs(&out, c, j, head)[neg];
        cls_output_free(&out);
        if (rc) return -1;
    }
    return 0;
}

/* Deletion texts of one explained text: the top words, then XF_DRAWS
 * random draws; appended to *v (strings owned by the caller). */
static void deletions(const char *text, const xp_result *x, rng_pcg *rng, char **v, size_t *lens) {
    int top[XF_TOP], perm[512];
    char *buf = NULL;
    size_t cap = 0;
    for (int k = 0; k < XF_TOP; k++) top[k] = k;
    lens[0] = xp_delete_words(text, strlen(text), x->words, top, XF_TOP, &buf, &cap);
    v[0] = xstrndup(buf, lens[0]);
    int n = x->n < 512 ? x->n : 512;
    for (int d = 1; d <= XF_DRAWS; d++) {
        for (int k = 0; k < n; k++) perm[k] = k;
        for (int k = 0; k < XF_TOP; k++) { /* partial Fisher-Yates */
            int j = k + (int)rng_below(rng, (uint32_t)(n - k)), t = perm[k];
            perm[k] = perm[j];
            perm[j] = t;
        }
        lens[d] = xp_delete_words(text, strlen(text), x->words, perm, XF_TOP, &buf, &cap);
        v[d] = xstrndup(buf, lens[d]);
    }
    free(buf);
}

/* Scores texts t[0..n) (all negative, p0 their p(negative)) into r. */
static int score_batch(classifier *c, explainer *ex, const char *const *t, const float *p0, int n, int head, int neg,
                       rng_pcg *rng, xf_result *r, char *err, size_t errlen) {
    int H = cls_n_heads(c), V = 1 + XF_DRAWS;
    int *labels = xmalloc(sizeof *labels * (size_t)(n * H));
    for (int i = 0; i < n * H; i++) labels[i] = i % H == head ? neg : -1;
    xp_result *xr = xcalloc((size_t)(n * H), sizeof *xr);
    double t0 = bench_now();
    int64_t c0 = time_thread_cpu_ns();
    int rc = xp_explain(ex, t, NULL, n, labels, xr, err, errlen);
    r->explain_seconds += bench_now() - t0;
    r->explain_cpu += (double)(time_thread_cpu_ns() - c0) * 1e-9;
    char **v = xcalloc((size_t)(n * V), sizeof *v);
    size_t *lens = xcalloc((size_t)(n * V), sizeof *lens);
    float *p = xmalloc(sizeof *p * (size_t)(n * V));
    int m = 0; /* texts long enough */
    int *which = xmalloc(sizeof *which * (size_t)n);
    for (int i = 0; rc == 0 && i < n; i++) {
        const xp_result *x = &xr[(size_t)i * H + head];
        if (x->n < XF_MIN_WORDS) {
            r->short_texts++;
            continue;
        }
        deletions(t[i], x, rng, v + (size_t)m * V, lens + (size_t)m * V);
        r->words_per_text += x->n;
        which[m++] = i;
    }
    if (rc == 0) rc = p_negative(c, (const char *const *)v, lens, m * V, head, neg, p, err, errlen);
    for (int k = 0; rc == 0 && k < m; k++) {
        float base = p0[which[k]], top = base - p[(size_t)k * V], rnd = 0;
        for (int d = 1; d < V; d++) rnd += base - p[(size_t)k * V + d];
        rnd /= (float)XF_DRAWS;
        r->texts++;
        r->wins += top > rnd;
        r->mean_drop_top += top;
        r->mean_drop_random += rnd;
    }
    for (int i = 0; i < m * V; i++) free(v[i]);
    for (int i = 0; i < n * H; i++) xp_result_free(&xr[i]);
    free(v);
    free(lens);
    free(p);
    free(which);
    free(xr);
    free(labels);
    return rc;
}

int xf_measure(classifier *c, const char *const *texts, int n, int max_texts, uint64_t seed, xf_result *r, char *err,
               size_t errlen) {
    memset(r, 0, sizeof *r);
    int head, neg = cls_negative_label(c, &head);
    if (neg < 0) return err_set(err, errlen, "explain: the model has no negative sentiment label"), -1;
    /* the negatives: texts whose sentiment argmax is the negative label */
    const char **nt = xmalloc(sizeof *nt * (size_t)(n ? n : 1));
    float *np0 = xmalloc(sizeof *np0 * (size_t)(n ? n : 1));
    int nn = 0, rc = 0;
    /* with a cap, twice as many negatives as it needs are enough (short ones are left out) */
    for (int i = 0; rc == 0 && i < n && (max_texts <= 0 || nn < 2 * max_texts); i += XF_CHUNK) {
        int k = n - i < XF_CHUNK ? n - i : XF_CHUNK;
        cls_output out;
        rc = cls_classify(c, texts + i, NULL, k, 0, &out, err, errlen);
        for (int j = 0; rc == 0 && j < k; j++)
            if (out.index[(size_t)j * out.n_heads + head] == neg) {
                nt[nn] = texts[i + j];
                np0[nn++] = cls_output_probs(&out, c, j, head)[neg];
            }
        cls_output_free(&out);
    }
    r->negative = nn;
    explainer *ex = xp_new(c);
    rng_pcg rng;
    rng_seed(&rng, seed, 1);
    for (int i = 0; rc == 0 && i < nn && (max_texts <= 0 || r->texts < max_texts); i += XF_BATCH) {
        int k = nn - i < XF_BATCH ? nn - i : XF_BATCH;
        if (max_texts > 0 && k > max_texts - r->texts) k = max_texts - r->texts;
        rc = score_batch(c, ex, nt + i, np0 + i, k, head, neg, &rng, r, err, errlen);
    }
    if (r->texts) {
        r->words_per_text /= r->texts;
        r->mean_drop_top /= r->texts;
        r->mean_drop_random /= r->texts;
        r->share = (double)r->wins / r->texts;
    }
    xp_free(ex);
    free(nt);
    free(np0);
    return rc;
}
