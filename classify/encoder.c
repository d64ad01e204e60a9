/* encoder — the packed, OpenBLAS fast path of the BERT forward; see
 * encoder.h. The plain-loop reference lives in encoder_ref.c. */
#include "classify/encoder.h"

#include <cblas.h>
#undef I /* <complex.h>, pulled in by OpenBLAS, defines I */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct enc_ws {
    int max_tokens, max_len;
    float *x;      /* (T, C) residual stream */
    float *qkv;    /* (T, 3C) */
    float *att;    /* (T, C) attention output */
    float *tmp;    /* (T, C) */
    float *h;      /* (T, I) */
    float *scores; /* (max_len, max_len) */
    float *cls;    /* (T, C) [CLS] rows, pooled */
    float *hl;     /* (T, max head labels) */
    uint64_t rows; /* token rows the dense layers ran on, over every forward */
};

void enc_set_threads(int n) {
    openblas_set_num_threads(n < 1 ? 1 : n);
}

void enc_embed_forward(const cls_model *m, float *out, const int32_t *ids, const int *lens, int n_seq) {
    int C = m->cfg.hidden_size;
    const float *type0 = m->type_emb; /* token type 0 for single sentences */
    for (int s = 0, t = 0; s < n_seq; s++) {
        for (int p = 0; p < lens[s]; p++, t++) {
            const float *w = m->word_emb + (size_t)ids[t] * C, *pe = m->pos_emb + (size_t)p * C;
            float *o = out + (size_t)t * C;
            for (int c = 0; c < C; c++) o[c] = w[c] + pe[c] + type0[c];
        }
    }
}

void enc_layernorm_forward(float *out, const float *inp, const float *w, const float *b, int T, int C, float eps) {
    for (int t = 0; t < T; t++) {
        const float *x = inp + (size_t)t * C;
        float *o = out + (size_t)t * C;
        float mean = 0, var = 0;
        for (int c = 0; c < C; c++) mean += x[c];
        mean /= (float)C;
        for (int c = 0; c < C; c++) {
            float d = x[c] - mean;
            var += d * d;
        }
        var /= (float)C;
        float rstd = 1.0f / sqrtf(var + eps);
        for (int c = 0; c < C; c++) o[c] = (x[c] - mean) * rstd * w[c] + b[c];
    }
}

void enc_matmul_forward(float *out, const float *inp, const float *w, const float *b, int T, int IN, int OUT) {
    float beta = 0.0f;
    if (b) {
        for (int t = 0; t < T; t++) memcpy(out + (size_t)t * OUT, b, sizeof(float) * (size_t)OUT);
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, OUT, IN, 1.0f, inp, IN, w, IN, beta, out, OUT);
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

/* Attention of one sequence of L tokens: qkv (L,3C) -> out (L,C);
 * scores (L,L) scratch. */
static void attention_seq(float *out, const float *qkv, int L, int C, int NH, float *scores) {
    int HS = C / NH, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)HS);
    for (int h = 0; h < NH; h++) {
        const float *q = qkv + h * HS, *k = qkv + C + h * HS, *v = qkv + 2 * C + h * HS;
        /* scores (L,L) = q (L,HS) k^T * scale */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L, L, HS, scale, q, C3, k, C3, 0.0f, scores, L);
        for (int i = 0; i < L; i++) enc_softmax(scores + (size_t)i * L, L);
        /* out (L,HS) = scores (L,L) v (L,HS) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L, HS, L, 1.0f, scores, L, v, C3, 0.0f, out + h * HS,
                    C);
    }
}

void enc_attention_forward(float *out, const float *qkv, const int *lens, int n_seq, int C, int NH, float *scratch) {
    size_t o = 0;
    for (int s = 0; s < n_seq; s++) {
        attention_seq(out + o * (size_t)C, qkv + o * 3 * (size_t)C, lens[s], C, NH, scratch);
        o += (size_t)lens[s];
    }
}

void enc_gelu_forward(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
}

void enc_residual_forward(float *x, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] += y[i];
}

enc_ws *enc_ws_new(const cls_model *m, int max_tokens, int max_len) {
    size_t T = (size_t)max_tokens, C = (size_t)m->cfg.hidden_size, I = (size_t)m->cfg.intermediate_size;
    int maxl = 1;
    for (int h = 0; h < m->cfg.n_heads; h++)
        if (m->cfg.heads[h].n_labels > maxl) maxl = m->cfg.heads[h].n_labels;
    enc_ws *ws = xcalloc(1, sizeof *ws);
    ws->max_tokens = max_tokens;
    ws->max_len = max_len;
    ws->x = xmalloc(sizeof(float) * T * C);
    ws->qkv = xmalloc(sizeof(float) * T * 3 * C);
    ws->att = xmalloc(sizeof(float) * T * C);
    ws->tmp = xmalloc(sizeof(float) * T * C);
    ws->h = xmalloc(sizeof(float) * T * I);
    ws->scores = xmalloc(sizeof(float) * (size_t)max_len * (size_t)max_len);
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
    free(ws->scores);
    free(ws->cls);
    free(ws->hl);
    free(ws);
}

uint64_t enc_ws_rows(const enc_ws *ws) { return ws->rows; }

int enc_ws_max_tokens(const enc_ws *ws) { return ws->max_tokens; }

/* ---- fused element-wise passes of enc_forward ----
 * The dense layers run without bias; each bias is added in the pass that
 * reads the sgemm's output anyway, which saves a sweep over memory. These
 * stay on the calling thread: on a small shared machine a second pool of
 * threads only fights OpenBLAS's own (measured: ratio 0.4 with, 0.7
 * without, on 2 cores). */

/* x (T,C) = LayerNorm(x + bias + res); res (T,C). */
static void add_bias_res_ln(float *x, const float *bias, const float *res, const float *w, const float *b, int T,
                            int C, float eps) {
    for (size_t i = 0; i < (size_t)T; i++)
        for (int c = 0; c < C; c++) x[i * C + c] += bias[c] + res[i * C + c];
    enc_layernorm_forward(x, x, w, b, T, C, eps);
}

/* h (T,I) = gelu(h + bias). */
static void add_bias_gelu(float *h, const float *bias, int T, int I) {
    for (size_t t = 0; t < (size_t)T; t++) {
        for (int i = 0; i < I; i++) h[t * I + i] += bias[i];
        enc_gelu_forward(h + t * I, (size_t)I);
    }
}

/* qkv (T,3C) += bias (3C). */
static void add_bias(float *x, const float *bias, int T, int N) {
    for (size_t t = 0; t < (size_t)T; t++)
        for (int n = 0; n < N; n++) x[t * N + n] += bias[n];
}

void enc_forward(const cls_model *m, enc_ws *ws, const int32_t *ids, const int *lens, int n_seq, float *logits) {
    const model_config *c = &m->cfg;
    int C = c->hidden_size, I = c->intermediate_size, T = 0;
    float eps = c->layer_norm_eps;
    for (int s = 0; s < n_seq; s++) T += lens[s];
    ws->rows += (uint64_t)T; /* every dense layer below runs on these T rows */

    enc_embed_forward(m, ws->x, ids, lens, n_seq);
    enc_layernorm_forward(ws->x, ws->x, m->emb_ln_w, m->emb_ln_b, T, C, eps);
    for (int l = 0; l < c->num_layers; l++) {
        const enc_layer_w *L = &m->layers[l];
        /* self-attention block: x = LN(x + dense(attn(qkv(x)))), result in tmp */
        enc_matmul_forward(ws->qkv, ws->x, L->qkv_w, NULL, T, C, 3 * C);        /* qkv (T,3C) */
        add_bias(ws->qkv, L->qkv_b, T, 3 * C);
        enc_attention_forward(ws->att, ws->qkv, lens, n_seq, C, c->num_heads, ws->scores); /* att (T,C) */
        enc_matmul_forward(ws->tmp, ws->att, L->ao_w, NULL, T, C, C);           /* tmp (T,C) */
        add_bias_res_ln(ws->tmp, L->ao_b, ws->x, L->ln1_w, L->ln1_b, T, C, eps);
        /* feed-forward block: x = LN(tmp + dense(gelu(dense(tmp)))) */
        enc_matmul_forward(ws->h, ws->tmp, L->i_w, NULL, T, C, I);              /* h (T,I) */
        add_bias_gelu(ws->h, L->i_b, T, I);
        enc_matmul_forward(ws->x, ws->h, L->o_w, NULL, T, I, C);                /* x (T,C) */
        add_bias_res_ln(ws->x, L->o_b, ws->tmp, L->ln2_w, L->ln2_b, T, C, eps);
    }
    /* pooler: tanh(dense(x[CLS])) per sequence; cls (B,C) */
    for (int s = 0, t = 0; s < n_seq; t += lens[s], s++)
        memcpy(ws->tmp + (size_t)s * C, ws->x + (size_t)t * C, sizeof(float) * (size_t)C);
    enc_matmul_forward(ws->cls, ws->tmp, m->pool_w, m->pool_b, n_seq, C, C);
    for (size_t i = 0; i < (size_t)n_seq * C; i++) ws->cls[i] = tanhf(ws->cls[i]);
    /* heads: logits (B,K), head h in columns head_off[h].. */
    for (int h = 0; h < c->n_heads; h++) {
        int n = c->heads[h].n_labels;
        enc_matmul_forward(ws->hl, ws->cls, m->heads[h].w, m->heads[h].b, n_seq, C, n);
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
