/* encoder — the packed fast path of the BERT forward; see encoder.h. The
 * plain-loop reference lives in encoder_ref.c, the SIMD inner loops in
 * kernels*.c.
 *
 * A forward is cut into work for the thread pool in one of two ways:
 *  - by sequence groups, when the batch has at least two sequences per
 *    worker: a task is a run of whole sequences (about T / tasks tokens)
 *    taken through embeddings and every layer. Tasks never wait for each
 *    other, so a worker the kernel preempts delays only its own task.
 *  - by phases, for a few (long) sequences: each layer is two parallel
 *    loops, attention over (sequence, head) pairs, then the row-wise rest
 *    (attention output, LayerNorm, feed-forward, LayerNorm, and the next
 *    layer's q, k, v) over chunks of token rows.
 * Either way a row's dense products and the element-wise passes on their
 * output run in the same task, back to back, while the rows are in cache.
 * The pooler and the heads (a few rows) run on the calling thread. */
#include "classify/encoder.h"

#include <cblas.h>
#undef I /* <complex.h>, pulled in by OpenBLAS, defines I */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/kernels.h"
#include "classify/wpack.h"
#include "util/threadpool.h"
#include "util/xalloc.h"

#define ROWS_PER_CHUNK 32 /* smallest row chunk worth a task in the phase form */
#define GROUP_ROWS 256    /* rows a sequence group aims at */
#define MAX_GROUPS 256

struct enc_ws {
    int max_tokens, max_len;
    const kern_ops *k;
    float *x;       /* (T, C) residual stream */
    float *qkv;     /* (T, 3C) */
    float *att;     /* (T, C) attention output */
    float *tmp;     /* (T, C) */
    float *h;       /* (T, I) */
    int *pos;       /* (T) position of each token in its sequence */
    int *off;       /* (max_tokens + 1) first row of each sequence */
    int n_scratch;  /* workers with attention scratch */
    float **scratch;
    uint8_t *q8;    /* (T, q8_kp) quantised activations; NULL until int8 runs */
    int q8_kp;      /* max(C, I) rounded up to 8: row r's codes start at r * q8_kp, whatever the layer */
    float *q8_scale;
    int32_t *q8_zp;
    float *cls;     /* (T, C) [CLS] rows, pooled */
    float *hl;      /* (T, max head labels) */
    uint64_t rows;  /* token rows the dense layers ran on, over every forward */
};

static tpool *pool;

void enc_set_threads(int n) {
    n = n < 1 ? 1 : n;
    openblas_set_num_threads(1);
    if (pool && tp_size(pool) == n) return;
    tp_free(pool);
    pool = tp_new(n);
}

int enc_threads(void) { return pool ? tp_size(pool) : 1; }

/* tp_run on the pool; on the calling thread alone before enc_set_threads. */
static void run(tp_fn fn, void *ctx, int n_tasks) {
    if (pool) tp_run(pool, fn, ctx, n_tasks);
    else
        for (int t = 0; t < n_tasks; t++) fn(ctx, t, 0);
}

void enc_softmax(float *x, int n) {
    float mx = x[0], sum = 0;
    for (int i = 1; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - mx);
        sum += x[i];
    }
    for (int i = 0; i < n; i++) x[i] /= sum;
}

void enc_prepare(cls_model *m, enc_precision p) {
    const model_config *c = &m->cfg;
    int C = c->hidden_size, I = c->intermediate_size;
    if (!m->dense) m->dense = xcalloc(4 * (size_t)c->num_layers, sizeof *m->dense);
    for (int l = 0; l < c->num_layers; l++) {
        const enc_layer_w *L = &m->layers[l];
        const float *w[4] = {L->qkv_w, L->ao_w, L->i_w, L->o_w};
        int n[4] = {3 * C, C, I, C}, k[4] = {C, C, C, I};
        for (int i = 0; i < 4; i++) {
            wp_dense *d = &m->dense[4 * l + i];
            wp_f32_free(&d->f32);
            wp_q8_free(&d->q8);
            if (p == ENC_INT8) wp_pack_q8(&d->q8, w[i], n[i], k[i]);
            else wp_pack_f32(&d->f32, w[i], n[i], k[i]);
        }
    }
}

enc_ws *enc_ws_new(const cls_model *m, int max_tokens, int max_len) {
    size_t T = (size_t)max_tokens, C = (size_t)m->cfg.hidden_size, I = (size_t)m->cfg.intermediate_size;
    int maxl = 1;
    for (int h = 0; h < m->cfg.n_heads; h++)
        if (m->cfg.heads[h].n_labels > maxl) maxl = m->cfg.heads[h].n_labels;
    if (!m->dense) {
        fprintf(stderr, "enc_ws_new: the model was not packed (enc_prepare)\n");
        abort();
    }
    enc_ws *ws = xcalloc(1, sizeof *ws);
    ws->max_tokens = max_tokens;
    ws->max_len = max_len;
    ws->k = kern_get();
    ws->x = xmalloc(sizeof(float) * T * C);
    ws->qkv = xmalloc(sizeof(float) * T * 3 * C);
    ws->att = xmalloc(sizeof(float) * T * C);
    ws->tmp = xmalloc(sizeof(float) * T * C);
    ws->h = xmalloc(sizeof(float) * T * I);
    ws->pos = xmalloc(sizeof(int) * T);
    ws->off = xmalloc(sizeof(int) * (T + 1));
    ws->cls = xmalloc(sizeof(float) * T * C);
    ws->hl = xmalloc(sizeof(float) * T * (size_t)maxl);
    return ws;
}

void enc_ws_free(enc_ws *ws) {
    if (!ws) return;
    free(ws->x);
    free(ws->qkv);
    free(ws->att);
    free(ws->tmp);
    free(ws->h);
    free(ws->pos);
    free(ws->off);
    for (int i = 0; i < ws->n_scratch; i++) free(ws->scratch[i]);
    free(ws->scratch);
    free(ws->q8);
    free(ws->q8_scale);
    free(ws->q8_zp);
    free(ws->cls);
    free(ws->hl);
    free(ws);
}

uint64_t enc_ws_rows(const enc_ws *ws) { return ws->rows; }

int enc_ws_max_tokens(const enc_ws *ws) { return ws->max_tokens; }

void enc_ws_use_kernels(enc_ws *ws, const kern_ops *k) { ws->k = k; }

/* One forward's shared state, read by every task. */
typedef struct fwd {
    const cls_model *m;
    enc_ws *ws;
    const kern_ops *k;
    const int32_t *ids;
    const int *lens;
    int n_seq, T, C, I, NH, HS, layer;
    int chunk;       /* phase form: rows per task */
    int *group;      /* sequence-group form: first sequence of each group, n_groups + 1 */
} fwd;

/* rows [r0, r1) of out (T, OUT) = inp (T, IN) W^T + bias, GELU'd when
 * gelu; W is layer f->layer's dense layer number `which` (0 qkv, 1 ao,
 * 2 i, 3 o). */
static void dense_rows(const fwd *f, float *out, const float *inp, int which, const float *bias, int IN, int OUT,
                       int r0, int r1, int gelu) {
    const wp_dense *d = &f->m->dense[4 * f->layer + which];
    int n = r1 - r0;
    float *o = out + (size_t)r0 * OUT;
    const float *a = inp + (size_t)r0 * IN;
    if (d->q8.w) {
        enc_ws *ws = f->ws;
        /* rows r0.. start at r0 * q8_kp, so that tasks of other rows never
         * overlap them, even on a layer with other inputs */
        uint8_t *q = ws->q8 + (size_t)r0 * (size_t)ws->q8_kp;
        f->k->q8_rows(q, ws->q8_scale + r0, ws->q8_zp + r0, a, n, IN, d->q8.kp);
        f->k->q8_gemm(o, OUT, q, ws->q8_scale + r0, ws->q8_zp + r0, n, &d->q8, bias, gelu);
    } else {
        f->k->f32_gemm(o, OUT, a, IN, n, &d->f32, bias, gelu);
    }
}

/* x rows [r0, r1) = LayerNorm(word + position + type-0 embeddings). */
static void embed_rows(const fwd *f, int r0, int r1) {
    const cls_model *m = f->m;
    int C = f->C;
    for (int t = r0; t < r1; t++) {
        const float *w = m->word_emb + (size_t)f->ids[t] * C, *pe = m->pos_emb + (size_t)f->ws->pos[t] * C;
        float *o = f->ws->x + (size_t)t * C;
        for (int c = 0; c < C; c++) o[c] = w[c] + pe[c] + m->type_emb[c];
    }
    f->k->res_ln(f->ws->x + (size_t)r0 * C, NULL, m->emb_ln_w, m->emb_ln_b, r1 - r0, C, m->cfg.layer_norm_eps);
}

/* qkv rows [r0, r1) of layer f->layer. */
static void qkv_rows(const fwd *f, int r0, int r1) {
    const enc_layer_w *L = &f->m->layers[f->layer];
    dense_rows(f, f->ws->qkv, f->ws->x, 0, L->qkv_b, f->C, 3 * f->C, r0, r1, 0);
}

/* Head h of sequence s: att rows of s, columns of h. */
static void attn_one(const fwd *f, int s, int h, int worker) {
    enc_ws *ws = f->ws;
    size_t o = (size_t)ws->off[s], C = (size_t)f->C;
    const float *q = ws->qkv + o * 3 * C + (size_t)h * f->HS;
    f->k->attn_head(ws->att + o * C + (size_t)h * f->HS, f->C, q, q + C, q + 2 * C, 3 * f->C, f->lens[s], f->HS,
                    ws->scratch[worker]);
}

/* The rest of layer f->layer on rows [r0, r1): x = LN(x + dense(att)) in
 * tmp, then x = LN(tmp + dense(gelu(dense(tmp)))). */
static void rest_rows(const fwd *f, int r0, int r1) {
    const enc_layer_w *L = &f->m->layers[f->layer];
    enc_ws *ws = f->ws;
    int C = f->C, I = f->I, n = r1 - r0;
    float eps = f->m->cfg.layer_norm_eps;
    size_t o = (size_t)r0 * C;
    dense_rows(f, ws->tmp, ws->att, 1, L->ao_b, C, C, r0, r1, 0);
    f->k->res_ln(ws->tmp + o, ws->x + o, L->ln1_w, L->ln1_b, n, C, eps);
    dense_rows(f, ws->h, ws->tmp, 2, L->i_b, C, I, r0, r1, 1);
    dense_rows(f, ws->x, ws->h, 3, L->o_b, I, C, r0, r1, 0);
    f->k->res_ln(ws->x + o, ws->tmp + o, L->ln2_w, L->ln2_b, n, C, eps);
}

/* Sequence-group task g: its sequences through embeddings and every layer. */
static void group_task(void *ctx, int g, int worker) {
    fwd f = *(const fwd *)ctx;
    int s0 = f.group[g], s1 = f.group[g + 1], r0 = f.ws->off[s0], r1 = f.ws->off[s1];
    embed_rows(&f, r0, r1);
    for (f.layer = 0; f.layer < f.m->cfg.num_layers; f.layer++) {
        qkv_rows(&f, r0, r1);
        for (int s = s0; s < s1; s++)
            for (int h = 0; h < f.NH; h++) attn_one(&f, s, h, worker);
        rest_rows(&f, r0, r1);
    }
}

/* Phase form, row task: finish layer f->layer - 1 (when there is one) and
 * start layer f->layer (when there is one), on one chunk of rows. */
static void rows_task(void *ctx, int task, int worker) {
    (void)worker;
    fwd f = *(const fwd *)ctx;
    int r0 = task * f.chunk, r1 = r0 + f.chunk < f.T ? r0 + f.chunk : f.T;
    if (f.layer == 0) embed_rows(&f, r0, r1);
    else {
        f.layer--;
        rest_rows(&f, r0, r1);
        f.layer++;
    }
    if (f.layer < f.m->cfg.num_layers) qkv_rows(&f, r0, r1);
}

/* Phase form, attention task: one (sequence, head). */
static void attn_task(void *ctx, int task, int worker) {
    const fwd *f = ctx;
    attn_one(f, task / f->NH, task % f->NH, worker);
}

/* Scratch for every worker of the pool, and the int8 buffers when the
 * model runs int8: grown here, on the first forward that needs them. */
static void ws_prepare(enc_ws *ws, const cls_model *m, int workers) {
    if (ws->n_scratch < workers) {
        ws->scratch = xrealloc(ws->scratch, sizeof *ws->scratch * (size_t)workers);
        size_t n = kern_attn_scratch(ws->max_len, m->cfg.hidden_size / m->cfg.num_heads);
        for (int i = ws->n_scratch; i < workers; i++) ws->scratch[i] = xmalloc(sizeof(float) * n);
        ws->n_scratch = workers;
    }
    if (m->dense[0].q8.w && !ws->q8) {
        int C = m->cfg.hidden_size, I = m->cfg.intermediate_size;
        ws->q8_kp = ((C > I ? C : I) + 7) & ~7;
        ws->q8 = xmalloc((size_t)ws->max_tokens * (size_t)ws->q8_kp);
        ws->q8_scale = xmalloc(sizeof(float) * (size_t)ws->max_tokens);
        ws->q8_zp = xmalloc(sizeof(int32_t) * (size_t)ws->max_tokens);
    }
}

/* Cuts sequences into about n groups of similar token counts; returns the
 * count, group[0..count] first sequences. */
static int make_groups(int *group, const int *off, int n_seq, int n) {
    int T = off[n_seq], g = 0;
    group[0] = 0;
    for (int s = 1; s < n_seq && g + 1 < n; s++)
        if ((long)off[s] * n >= (long)T * (g + 1)) group[++g] = s;
    group[++g] = n_seq;
    return g;
}

void enc_forward(const cls_model *m, enc_ws *ws, const int32_t *ids, const int *lens, int n_seq, float *logits) {
    const model_config *c = &m->cfg;
    int workers = enc_threads();
    fwd f = {.m = m, .ws = ws, .k = ws->k, .ids = ids, .lens = lens, .n_seq = n_seq, .C = c->hidden_size,
             .I = c->intermediate_size, .NH = c->num_heads, .HS = c->hidden_size / c->num_heads};
    ws->off[0] = 0;
    for (int s = 0; s < n_seq; s++) {
        for (int p = 0; p < lens[s]; p++) ws->pos[ws->off[s] + p] = p;
        ws->off[s + 1] = ws->off[s] + lens[s];
    }
    f.T = ws->off[n_seq];
    ws->rows += (uint64_t)f.T; /* every dense layer below runs on these T rows */
    ws_prepare(ws, m, workers);
    if (workers > 1 && openblas_get_num_threads() != 1) openblas_set_num_threads(1);

    if (workers == 1 || n_seq >= 2 * workers) {
        /* groups of GROUP_ROWS rows or more: a group streams every weight
         * matrix through the caches once per layer, so fewer, larger groups
         * read less; but up to 4 per worker, so that a worker the kernel
         * preempts holds up no more than a quarter of its share */
        int per = f.T / (GROUP_ROWS * workers), group[MAX_GROUPS + 1];
        int n = workers * (per < 1 ? 1 : per > 4 ? 4 : per);
        n = n < n_seq ? n : n_seq;
        n = n < MAX_GROUPS ? n : MAX_GROUPS;
        f.group = group;
        run(group_task, &f, make_groups(group, ws->off, n_seq, n));
    } else {
        int tasks = f.T / ROWS_PER_CHUNK < 2 * workers ? f.T / ROWS_PER_CHUNK : 2 * workers;
        tasks = tasks < 1 ? 1 : tasks;
        f.chunk = (f.T + tasks - 1) / tasks;
        tasks = (f.T + f.chunk - 1) / f.chunk;
        for (f.layer = 0; f.layer <= c->num_layers; f.layer++) {
            run(rows_task, &f, tasks);
            if (f.layer < c->num_layers) run(attn_task, &f, n_seq * f.NH);
        }
    }

    /* pooler: tanh(dense(x[CLS])) per sequence; cls (B,C) */
    int C = f.C;
    for (int s = 0; s < n_seq; s++)
        memcpy(ws->tmp + (size_t)s * C, ws->x + (size_t)ws->off[s] * C, sizeof(float) * (size_t)C);
    for (int s = 0; s < n_seq; s++) memcpy(ws->cls + (size_t)s * C, m->pool_b, sizeof(float) * (size_t)C);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n_seq, C, C, 1.0f, ws->tmp, C, m->pool_w, C, 1.0f, ws->cls,
                C);
    for (size_t i = 0; i < (size_t)n_seq * C; i++) ws->cls[i] = tanhf(ws->cls[i]);
    /* heads: logits (B,K), head h in columns head_off[h].. */
    for (int h = 0; h < c->n_heads; h++) {
        int n = c->heads[h].n_labels;
        for (int s = 0; s < n_seq; s++) memcpy(ws->hl + (size_t)s * n, m->heads[h].b, sizeof(float) * (size_t)n);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n_seq, n, C, 1.0f, ws->cls, C, m->heads[h].w, C, 1.0f,
                    ws->hl, n);
        for (int s = 0; s < n_seq; s++)
            memcpy(logits + (size_t)s * m->n_out + m->head_off[h], ws->hl + (size_t)s * n, sizeof(float) * (size_t)n);
    }
}

double enc_flops(const cls_model *m, const int *lens, int n_seq) {
    const model_config *c = &m->cfg;
    double C = c->hidden_size, I = c->intermediate_size, T = 0, att = 0;
    for (int s = 0; s < n_seq; s++) {
        T += lens[s];
        att += 2.0 * 2.0 * (double)lens[s] * lens[s] * C; /* QK^T and AV over all heads */
    }
    double dense = 2.0 * T * (3 * C * C + C * C + 2 * C * I);
    return c->num_layers * (dense + att) + 2.0 * n_seq * C * (C + m->n_out);
}
