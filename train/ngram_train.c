/* ngram_train — the n-gram stage of `finsent train`: features, IDF, the
 * per-head (C, mix) search on dev, writing; see ngram_train.h. */
#include "train/ngram_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify/classifier.h"
#include "classify/ngram.h"
#include "classify/safetensors.h"
#include "train/eval_metrics.h"
#include "train/ngram_lr.h"
#include "train/train_data.h"
#include "util/errmsg.h"
#include "util/log.h"
#include "util/xalloc.h"

#define NT_MIX_STEP 0.1

typedef struct ntext {
    char *text;
    int head, label, dev, domain;
} ntext;

typedef struct corpus {
    ntext *v;
    size_t n, cap;
    double dev_fraction;
    int domain; /* of the data file being read */
} corpus;

static void corpus_add(const char *text, int head, int label, void *arg) {
    corpus *c = arg;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 4096;
        c->v = xrealloc(c->v, sizeof *c->v * c->cap);
    }
    size_t len = strlen(text);
    c->v[c->n++] = (ntext){xstrdup(text), head, label, train_is_dev(text, len, c->dev_fraction), c->domain};
}

static float f16_round(float x) { return st_f16_to_f32(st_f32_to_f16(x)); }

/* The features of every text: CSR over buckets. */
typedef struct feats {
    int *rowptr;
    int32_t *col;
    float *val;
} feats;

/* Counts every text's n-grams, learns the IDF on the training texts into
 * m->idf (rounded when f16; 0 for the buckets no training text has when
 * drop_unseen, so that n-grams unseen in training, in dev or later, neither
 * count nor shrink the others by the L2 norm, as a vocabulary-based
 * TF-IDF ignores unknown terms) and weighs every row. */
static void featurize(const corpus *cp, tokenizer *tok, ngram_model *m, int f16, int drop_unseen, feats *F) {
    ngram_vec v = {0};
    size_t cap = 1 << 20, nnz = 0;
    F->rowptr = xmalloc(sizeof(int) * (cp->n + 1));
    F->col = xmalloc(sizeof(int32_t) * cap);
    F->val = xmalloc(sizeof(float) * cap);
    long *df = xcalloc((size_t)m->s.buckets, sizeof *df), docs = 0;
    for (size_t i = 0; i < cp->n; i++) {
        F->rowptr[i] = (int)nnz;
        ngram_count(tok, &m->s, cp->v[i].text, strlen(cp->v[i].text), &v);
        if (nnz + (size_t)v.n > cap) {
            while (nnz + (size_t)v.n > cap) cap *= 2;
            F->col = xrealloc(F->col, sizeof(int32_t) * cap);
            F->val = xrealloc(F->val, sizeof(float) * cap);
        }
        memcpy(F->col + nnz, v.idx, sizeof(int32_t) * (size_t)v.n);
        memcpy(F->val + nnz, v.val, sizeof(float) * (size_t)v.n);
        nnz += (size_t)v.n;
        if (!cp->v[i].dev) {
            docs++;
            for (int j = 0; j < v.n; j++) df[v.idx[j]]++;
        }
    }
    F->rowptr[cp->n] = (int)nnz;
    for (int b = 0; b < m->s.buckets; b++) {
        m->idf[b] = drop_unseen && df[b] == 0 ? 0.0f : ngram_idf(df[b], docs);
        if (f16) m->idf[b] = f16_round(m->idf[b]);
    }
    for (size_t i = 0; i < cp->n; i++) {
        ngram_vec row = {.n = F->rowptr[i + 1] - F->rowptr[i], .idx = F->col + F->rowptr[i],
                         .val = F->val + F->rowptr[i]};
        ngram_weigh(&row, m->idf);
    }
    log_info("train", "ngram: %zu texts, %zu features, IDF from %ld training texts", cp->n, nnz, docs);
    free(df);
    ngram_vec_free(&v);
}

/* Encoder logits (n_out per row) of the dev texts, in corpus order. */
static float *dev_logits(classifier *cl, const corpus *cp, size_t *ndev, char *err, size_t errlen) {
    int K = cls_get_model(cl)->n_out;
    const char **texts = xmalloc(sizeof *texts * (cp->n ? cp->n : 1));
    size_t n = 0;
    for (size_t i = 0; i < cp->n; i++)
        if (cp->v[i].dev) texts[n++] = cp->v[i].text;
    float *out = xmalloc(sizeof(float) * (n ? n : 1) * (size_t)K);
    for (size_t i = 0; i < n; i += 256) {
        int m = n - i < 256 ? (int)(n - i) : 256;
        cls_output o;
        if (cls_classify(cl, texts + i, NULL, m, 0, &o, err, errlen)) {
            cls_output_free(&o);
            free(out);
            free(texts);
            return NULL;
        }
        memcpy(out + i * (size_t)K, o.logits, sizeof(float) * (size_t)m * (size_t)K);
        cls_output_free(&o);
    }
    free(texts);
    *ndev = n;
    return out;
}

/* Macro-F1 of pred against gold; the accuracy into *acc when acc. */
static double macro_f1(const int *gold, const int *pred, size_t n, int k, double *acc) {
    char err[128];
    evm_report *r = evm_compute(gold, pred, n, k, NULL, err, sizeof err);
    double f = r ? r->macro_f1 : 0;
    if (acc) *acc = r ? r->accuracy : 0;
    evm_free(r);
    return f;
}

/* A head's dev rows grouped by domain: rows dstart[d] .. dstart[d+1]-1 are
 * domain d's, and wd[d] is the domain's weight in the dev criterion
 * (train_dev_weights), 0 where the head has no dev rows. */
typedef struct dev_domains {
    int nd;
    const size_t *dstart;
    const double *wd;
    const char *const *names;
} dev_domains;

/* The head's share of the dev criterion, normalised to a mean: the sum over
 * domains of wd * macro-F1 of the domain's rows, divided by the sum of wd;
 * the same mean of the accuracies into *acc. per (2 nd) gets each domain's
 * macro-F1 and accuracy. */
static double dev_score(const dev_domains *D, const int *gold, const int *pred, int k, double *acc, double *per) {
    double f = 0, a = 0, wsum = 0;
    for (int d = 0; d < D->nd; d++) {
        size_t n = D->dstart[d + 1] - D->dstart[d];
        per[2 * d] = per[2 * d + 1] = 0;
        if (!n || D->wd[d] <= 0) continue;
        double ad, fd = macro_f1(gold + D->dstart[d], pred + D->dstart[d], n, k, &ad);
        per[2 * d] = fd;
        per[2 * d + 1] = ad;
        f += D->wd[d] * fd;
        a += D->wd[d] * ad;
        wsum += D->wd[d];
    }
    *acc = wsum > 0 ? a / wsum : 0;
    return wsum > 0 ? f / wsum : 0;
}

/* A head's rows for the logistic regression: columns compacted to the
 * buckets the rows use (bucket_of maps back). */
typedef struct lr_rows {
    size_t n, nnz;
    int dim;
    int *rowptr, *y, *bucket_of, *colmap; /* colmap: bucket -> column, -1 unused */
    int32_t *col;
    float *val, *cw;                       /* cw: class weights, NULL unless balanced */
} lr_rows;

/* The rows of head h: its training examples, and its dev examples too when
 * with_dev. */
static void rows_build(const train_cfg *c, const corpus *cp, const feats *F, int h, int k, int B, int with_dev,
                       lr_rows *R) {
    memset(R, 0, sizeof *R);
    R->colmap = xmalloc(sizeof(int) * (size_t)B);
    for (int b = 0; b < B; b++) R->colmap[b] = -1;
    for (size_t i = 0; i < cp->n; i++)
        if (cp->v[i].head == h && (with_dev || !cp->v[i].dev))
            R->n++, R->nnz += (size_t)(F->rowptr[i + 1] - F->rowptr[i]);
    R->rowptr = xmalloc(sizeof(int) * (R->n + 1));
    R->y = xmalloc(sizeof(int) * (R->n ? R->n : 1));
    R->col = xmalloc(sizeof(int32_t) * (R->nnz ? R->nnz : 1));
    R->val = xmalloc(sizeof(float) * (R->nnz ? R->nnz : 1));
    R->bucket_of = xmalloc(sizeof(int) * (R->nnz ? R->nnz : 1));
    long *count = xcalloc((size_t)k, sizeof *count);
    size_t r = 0, e = 0;
    for (size_t i = 0; i < cp->n; i++) {
        if (cp->v[i].head != h || (cp->v[i].dev && !with_dev)) continue;
        R->rowptr[r] = (int)e;
        R->y[r++] = cp->v[i].label;
        count[cp->v[i].label]++;
        for (int j = F->rowptr[i]; j < F->rowptr[i + 1]; j++) {
            if (R->colmap[F->col[j]] < 0) R->bucket_of[R->dim] = F->col[j], R->colmap[F->col[j]] = R->dim++;
            R->col[e] = R->colmap[F->col[j]];
            R->val[e++] = F->val[j];
        }
    }
    R->rowptr[r] = (int)e;
    if (c->ngram_balanced) {
        R->cw = xmalloc(sizeof(float) * (size_t)k);
        for (int j = 0; j < k; j++)
            R->cw[j] = count[j] ? (float)((double)R->n / ((double)k * (double)count[j])) : 1.0f;
    }
    free(count);
}

/* The regression problem of R with inverse L2 strength C (lambda = 1 / (C n)). */
static ngram_lr_data rows_problem(const lr_rows *R, int k, double C) {
    return (ngram_lr_data){.n = (int)R->n, .dim = R->dim, .k = k, .rowptr = R->rowptr, .col = R->col, .val = R->val,
                           .y = R->y, .cw = R->cw, .lambda = 1.0 / (C * (double)(R->n ? R->n : 1))};
}

static void rows_free(lr_rows *R) {
    free(R->rowptr), free(R->y), free(R->bucket_of), free(R->colmap), free(R->col), free(R->val), free(R->cw);
}

/* Stores theta (fitted on R) into hd, rounded when f16. */
static void store_head(const train_cfg *c, const lr_rows *R, const float *theta, int B, ngram_head *hd) {
    int k = hd->n_labels, dim = R->dim;
    for (int j = 0; j < k; j++) {
        float bj = theta[(long)k * dim + j];
        hd->b[j] = c->f16 ? f16_round(bj) : bj;
        for (int q = 0; q < dim; q++) {
            float w = theta[(long)j * dim + q];
            hd->w[(size_t)j * (size_t)B + (size_t)R->bucket_of[q]] = c->f16 ? f16_round(w) : w;
        }
    }
}

/* One head's search. enc: the dev rows' encoder logits for this head
 * (stride K), dev: their corpus indices, grouped by domain as D says.
 * Fills hd's weights and mix. */
static void fit_head(const train_cfg *c, const corpus *cp, const feats *F, int h, const int *dev, size_t ndev,
                     const dev_domains *D, const float *enc, int K, ngram_model *m, ngram_head *hd) {
    int B = m->s.buckets, k = hd->n_labels;
    lr_rows R;
    rows_build(c, cp, F, h, k, B, 0, &R);
    int dim = R.dim;
    ngram_lr_data d = rows_problem(&R, k, c->ngram_c_min);
    long np = ngram_lr_size(&d);
    float *theta = xcalloc((size_t)np, sizeof(float)), *best = xcalloc((size_t)np, sizeof(float));
    int *gold = xmalloc(sizeof(int) * (ndev ? ndev : 1)), *pred = xmalloc(sizeof(int) * (ndev ? ndev : 1));
    float *ng = xmalloc(sizeof(float) * (ndev ? ndev : 1) * (size_t)k);
    for (size_t i = 0; i < ndev; i++) gold[i] = cp->v[dev[i]].label;
    for (size_t i = 0; i < ndev; i++) {
        const float *z = enc + i * (size_t)K;
        int bj = 0;
        for (int j = 1; j < k; j++) bj = z[j] > z[bj] ? j : bj;
        pred[i] = bj;
    }
    double *enc_per = xmalloc(sizeof(double) * 6 * (size_t)D->nd), *best_per = enc_per + 2 * D->nd,
           *per = best_per + 2 * D->nd;
    double enc_acc, enc_f1 = dev_score(D, gold, pred, k, &enc_acc, enc_per), best_f1 = -1, best_acc = 0, best_c = 0,
                    best_mix = 0;
    for (double C = c->ngram_c_min; C <= c->ngram_c_max * (1 + 1e-9); C *= 2) {
        d.lambda = rows_problem(&R, k, C).lambda;
        double t0 = (double)clock() / CLOCKS_PER_SEC;
        int iters = ngram_lr_fit(&d, theta, c->ngram_iters, 1e-7);
        /* the dev rows' n-gram logits with the weights as they will be stored */
        for (size_t i = 0; i < ndev; i++) {
            int row = dev[i];
            for (int j = 0; j < k; j++) {
                float bj = theta[(long)k * dim + j];
                double z = c->f16 ? f16_round(bj) : bj;
                for (int q = F->rowptr[row]; q < F->rowptr[row + 1]; q++) {
                    int cc = R.colmap[F->col[q]];
                    if (cc < 0) continue;
                    float w = theta[(long)j * dim + cc];
                    z += (double)(c->f16 ? f16_round(w) : w) * F->val[q];
                }
                ng[i * (size_t)k + j] = (float)z;
            }
        }
        double lr_f1 = -1, lr_acc = 0, here_f1 = -1, here_acc = 0, here_mix = 0;
        double *here_per = xmalloc(sizeof(double) * 2 * (size_t)D->nd);
        for (int s = 0; s <= (int)(c->ngram_mix_max / NT_MIX_STEP + 1e-9) + 1; s++) {
            /* s past the grid scores the n-gram logits alone */
            int alone = s > (int)(c->ngram_mix_max / NT_MIX_STEP + 1e-9);
            double mix = s * NT_MIX_STEP;
            for (size_t i = 0; i < ndev; i++) {
                const float *z = enc + i * (size_t)K, *g = ng + i * (size_t)k;
                int bj = 0;
                double bz = -INFINITY;
                for (int j = 0; j < k; j++) {
                    float v = alone ? g[j] : z[j] + (float)mix * g[j]; /* as ngram_add_logits sums */
                    if (v > bz) bz = v, bj = j;
                }
                pred[i] = bj;
            }
            double acc, f1 = dev_score(D, gold, pred, k, &acc, per);
            if (alone) {
                lr_f1 = f1, lr_acc = acc;
            } else if (f1 > here_f1) {
                here_f1 = f1, here_acc = acc, here_mix = mix;
                memcpy(here_per, per, sizeof(double) * 2 * (size_t)D->nd);
            }
        }
        log_info("train", "ngram %s: C %g (%d L-BFGS iterations, %.1fs): dev macro-F1 / accuracy: n-grams alone "
                 "%.4f / %.4f, encoder alone %.4f / %.4f, sum with mix %.1f %.4f / %.4f", hd->name, C, iters,
                 (double)clock() / CLOCKS_PER_SEC - t0, lr_f1, lr_acc, enc_f1, enc_acc, here_mix, here_f1, here_acc);
        if (here_f1 > best_f1) {
            best_f1 = here_f1, best_acc = here_acc, best_c = C, best_mix = here_mix;
            memcpy(best, theta, sizeof(float) * (size_t)np);
            memcpy(best_per, here_per, sizeof(double) * 2 * (size_t)D->nd);
        }
        free(here_per);
    }
    log_info("train", "ngram %s: chose C %g, mix %.1f: dev macro-F1 %.4f, accuracy %.4f (encoder alone %.4f, %.4f)",
             hd->name, best_c, best_mix, best_f1, best_acc, enc_f1, enc_acc);
    for (int d = 0; D->nd > 1 && d < D->nd; d++)
        if (D->dstart[d + 1] > D->dstart[d])
            log_info("train", "ngram %s: dev %s (%zu examples): macro-F1 / accuracy: sum %.4f / %.4f, encoder alone "
                     "%.4f / %.4f", hd->name, D->names[d], D->dstart[d + 1] - D->dstart[d], best_per[2 * d],
                     best_per[2 * d + 1], enc_per[2 * d], enc_per[2 * d + 1]);
    if (c->ngram_refit) {
        /* the chosen C and mix, fitted again on train + dev: dev no longer
         * measures the stored weights (the line above does, for the
         * train-only fit) */
        lr_rows A;
        rows_build(c, cp, F, h, k, B, 1, &A);
        ngram_lr_data da = rows_problem(&A, k, best_c);
        float *all = xcalloc((size_t)ngram_lr_size(&da), sizeof(float));
        double t0 = (double)clock() / CLOCKS_PER_SEC;
        int iters = ngram_lr_fit(&da, all, c->ngram_iters, 1e-7);
        log_info("train", "ngram %s: refitted C %g on %zu train + dev examples (%d L-BFGS iterations, %.1fs)",
                 hd->name, best_c, A.n, iters, (double)clock() / CLOCKS_PER_SEC - t0);
        store_head(c, &A, all, B, hd);
        free(all);
        rows_free(&A);
    } else {
        store_head(c, &R, best, B, hd);
    }
    hd->mix = (float)best_mix;
    rows_free(&R);
    free(theta), free(best), free(gold), free(pred), free(ng), free(enc_per);
}

int ngram_train_run(const train_cfg *c, char *err, size_t errlen) {
    corpus cp = {.dev_fraction = c->dev_fraction};
    int rc = -1, nh = (int)c->heads.n;
    classifier *cl = NULL;
    tok_vocab *vocab = NULL;
    tokenizer *tok = NULL;
    ngram_model *m = NULL;
    feats F = {0};
    float *enc = NULL;
    int *dev = NULL, *of_data = xmalloc(sizeof(int) * c->data.n);
    const char **dnames = xmalloc(sizeof(char *) * c->data.n);
    int ndom = train_domains(c, of_data, dnames);
    size_t *dcount = xcalloc((size_t)ndom * (size_t)nh, sizeof *dcount), *dstart = xmalloc(sizeof(size_t) * (size_t)(ndom + 1));
    double *dw = xmalloc(sizeof(double) * (size_t)ndom * (size_t)nh), *wd = xmalloc(sizeof(double) * (size_t)ndom);
    long *encrow = NULL;
    for (size_t i = 0; i < c->data.n; i++) {
        int head = 0;
        while (strcmp(c->heads.v[head].name, c->data.v[i].head)) head++;
        cp.domain = of_data[i];
        if (train_read_labelled(c, &c->data.v[i], head, corpus_add, &cp, err, errlen)) goto out;
    }
    cls_options o = {.threads = 1, .part = CLS_PART_ENCODER};
    if (!(cl = cls_open(c->init_from, &o, err, errlen))) goto out;
    const char *names[TRAIN_MAX_HEADS];
    int nl[TRAIN_MAX_HEADS], at[TRAIN_MAX_HEADS];
    for (int h = 0; h < nh; h++) {
        const train_head_cfg *hc = &c->heads.v[h];
        at[h] = cls_find_head(cl, hc->name);
        int same = at[h] >= 0 && cls_head_n_labels(cl, at[h]) == (int)hc->labels.n;
        for (int j = 0; same && j < (int)hc->labels.n; j++) same = strcmp(cls_head_label(cl, at[h], j), hc->labels.v[j]) == 0;
        if (!same) {
            err_set(err, errlen, "%s: head %s: not in the model or with other labels than the config's",
                    c->init_from, hc->name);
            goto out;
        }
        names[h] = hc->name;
        nl[h] = (int)hc->labels.n;
    }
    char *vpath = xasprintf("%s/vocab.txt", c->init_from);
    vocab = tok_vocab_load(vpath, err, errlen);
    free(vpath);
    if (!vocab) goto out;
    tok = tok_new(vocab, cls_get_model(cl)->do_lower_case);
    ngram_settings s = {.buckets = c->ngram_buckets, .n_orders = c->ngram_max_order};
    for (int k = 0; k < s.n_orders; k++) s.orders[k] = k + 1;
    for (int o = c->ngram_char_min; o && o <= c->ngram_char_max; o++) s.char_orders[s.n_char_orders++] = o;
    m = ngram_new(&s, nh, names, nl);
    for (int h = 0; h < nh; h++) m->heads[h].head = at[h];
    featurize(&cp, tok, m, c->f16, c->ngram_drop_unseen, &F);
    size_t ndev = 0;
    if (!(enc = dev_logits(cl, &cp, &ndev, err, errlen))) goto out;
    int K = cls_get_model(cl)->n_out;
    dev = xmalloc(sizeof(int) * (cp.n ? cp.n : 1));
    encrow = xmalloc(sizeof(long) * (cp.n ? cp.n : 1));
    for (size_t i = 0, r = 0; i < cp.n; i++) {
        encrow[i] = cp.v[i].dev ? (long)r++ : -1;
        if (cp.v[i].dev) dcount[(size_t)cp.v[i].domain * (size_t)nh + (size_t)cp.v[i].head]++;
    }
    train_dev_weights(dcount, ndom, nh, dw);
    for (int h = 0; h < nh; h++) {
        /* the head's dev rows, grouped by domain, and their encoder logits */
        size_t nd = 0;
        float *he = xmalloc(sizeof(float) * (ndev ? ndev : 1) * (size_t)K);
        for (int d = 0; d < ndom; d++) {
            dstart[d] = nd;
            wd[d] = dw[d * nh + h];
            for (size_t i = 0; i < cp.n; i++) {
                if (!cp.v[i].dev || cp.v[i].head != h || cp.v[i].domain != d) continue;
                dev[nd] = (int)i;
                memcpy(he + nd * (size_t)K, enc + encrow[i] * K + cls_get_model(cl)->head_off[at[h]],
                       sizeof(float) * (size_t)nl[h]);
                nd++;
            }
        }
        dstart[ndom] = nd;
        if (!nd) {
            free(he);
            err_set(err, errlen, "head %s: no dev examples to choose C and mix on", names[h]);
            goto out;
        }
        dev_domains D = {.nd = ndom, .dstart = dstart, .wd = wd, .names = dnames};
        fit_head(c, &cp, &F, h, dev, nd, &D, he, K, m, &m->heads[h]);
        free(he);
    }
    if (ngram_save(m, c->init_from, c->out, err, errlen)) goto out;
    log_info("train", "saved %s", c->out);
    rc = 0;
out:
    for (size_t i = 0; i < cp.n; i++) free(cp.v[i].text);
    free(cp.v);
    free(F.rowptr), free(F.col), free(F.val);
    free(enc), free(dev), free(of_data), free(dnames), free(dcount), free(dstart), free(dw), free(wd), free(encrow);
    ngram_free(m);
    tok_free(tok);
    tok_vocab_free(vocab);
    cls_close(cl);
    return rc;
}
