/* encoder_ref — the reference BERT forward in plain loops over a padded
 * batch with an attention mask, following Hugging Face's BertModel and
 * BertForSequenceClassification line by line. Slow by design: it is what
 * the fast path (encoder.c) is tested against. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classify/encoder.h"
#include "util/xalloc.h"

/* out (N,C) = LayerNorm(inp (N,C)); biased variance, eps inside the sqrt. */
static void ref_layernorm(float *out, const float *inp, const float *w, const float *b, int N, int C, float eps) {
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        double mean = 0, var = 0;
        for (int c = 0; c < C; c++) mean += x[c];
        mean /= C;
        for (int c = 0; c < C; c++) var += (x[c] - mean) * (x[c] - mean);
        var /= C;
        double rstd = 1.0 / sqrt(var + eps);
        for (int c = 0; c < C; c++) out[(size_t)n * C + c] = (float)((x[c] - mean) * rstd) * w[c] + b[c];
    }
}

/* out (N,OUT) = inp (N,IN) W^T + b, W (OUT,IN) as torch.nn.Linear. */
static void ref_linear(float *out, const float *inp, const float *w, const float *b, int N, int IN, int OUT) {
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OUT; o++) {
            double acc = b[o];
            for (int i = 0; i < IN; i++) acc += (double)inp[(size_t)n * IN + i] * w[(size_t)o * IN + i];
            out[(size_t)n * OUT + o] = (float)acc;
        }
}

void enc_ref_forward(const cls_model *m, const int32_t *ids, const int32_t *type_ids, const float *mask, int B, int T,
                     float *logits) {
    const model_config *c = &m->cfg;
    int C = c->hidden_size, I = c->intermediate_size, NH = c->num_heads, HS = C / NH, N = B * T;
    float eps = c->layer_norm_eps;
    float *x = xmalloc(sizeof(float) * (size_t)N * C);       /* (B,T,C) */
    float *q = xmalloc(sizeof(float) * (size_t)N * C);       /* (B,T,C) */
    float *k = xmalloc(sizeof(float) * (size_t)N * C);
    float *v = xmalloc(sizeof(float) * (size_t)N * C);
    float *ctx = xmalloc(sizeof(float) * (size_t)N * C);     /* (B,T,C) */
    float *y = xmalloc(sizeof(float) * (size_t)N * C);
    float *hbuf = xmalloc(sizeof(float) * (size_t)N * I);    /* (B,T,I) */
    float *p = xmalloc(sizeof(float) * (size_t)T);           /* one row of attention probs */

    /* embeddings: word + position + token type, then LayerNorm */
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            int n = b * T + t, tt = type_ids ? type_ids[n] : 0;
            for (int ch = 0; ch < C; ch++)
                x[(size_t)n * C + ch] = m->word_emb[(size_t)ids[n] * C + ch] + m->pos_emb[(size_t)t * C + ch] +
                                        m->type_emb[(size_t)tt * C + ch];
        }
    ref_layernorm(x, x, m->emb_ln_w, m->emb_ln_b, N, C, eps);

    for (int l = 0; l < c->num_layers; l++) {
        const enc_layer_w *L = &m->layers[l];
        ref_linear(q, x, L->qkv_w, L->qkv_b, N, C, C);
        ref_linear(k, x, L->qkv_w + (size_t)C * C, L->qkv_b + C, N, C, C);
        ref_linear(v, x, L->qkv_w + (size_t)2 * C * C, L->qkv_b + 2 * C, N, C, C);
        /* scores = q k^T / sqrt(HS) + (1 - mask) * float32 min; softmax; ctx = probs v */
        for (int b = 0; b < B; b++)
            for (int h = 0; h < NH; h++)
                for (int i = 0; i < T; i++) {
                    const float *qi = q + ((size_t)(b * T + i)) * C + h * HS;
                    float mx = -INFINITY;
                    for (int j = 0; j < T; j++) {
                        const float *kj = k + ((size_t)(b * T + j)) * C + h * HS;
                        double dot = 0;
                        for (int d = 0; d < HS; d++) dot += (double)qi[d] * kj[d];
                        float s = (float)(dot / sqrt((double)HS));
                        if (mask) s += (1.0f - mask[b * T + j]) * -FLT_MAX;
                        p[j] = s;
                        mx = s > mx ? s : mx;
                    }
                    double sum = 0;
                    for (int j = 0; j < T; j++) sum += (p[j] = expf(p[j] - mx));
                    for (int d = 0; d < HS; d++) {
                        double acc = 0;
                        for (int j = 0; j < T; j++) acc += p[j] / sum * v[((size_t)(b * T + j)) * C + h * HS + d];
                        ctx[((size_t)(b * T + i)) * C + h * HS + d] = (float)acc;
                    }
                }
        /* attention output: x = LayerNorm(dense(ctx) + x) */
        ref_linear(y, ctx, L->ao_w, L->ao_b, N, C, C);
        for (size_t i = 0; i < (size_t)N * C; i++) y[i] += x[i];
        ref_layernorm(x, y, L->ln1_w, L->ln1_b, N, C, eps);
        /* feed-forward: x = LayerNorm(dense(gelu(dense(x))) + x) */
        ref_linear(hbuf, x, L->i_w, L->i_b, N, C, I);
        for (size_t i = 0; i < (size_t)N * I; i++) hbuf[i] = (float)(0.5 * hbuf[i] * (1.0 + erf(hbuf[i] / sqrt(2.0))));
        ref_linear(y, hbuf, L->o_w, L->o_b, N, I, C);
        for (size_t i = 0; i < (size_t)N * C; i++) y[i] += x[i];
        ref_layernorm(x, y, L->ln2_w, L->ln2_b, N, C, eps);
    }

    /* pooler: tanh(dense(hidden of token 0)); heads: linear */
    for (int b = 0; b < B; b++) {
        float *pooled = y; /* reuse: (C) */
        ref_linear(pooled, x + (size_t)b * T * C, m->pool_w, m->pool_b, 1, C, C);
        for (int ch = 0; ch < C; ch++) pooled[ch] = tanhf(pooled[ch]);
        for (int h = 0; h < c->n_heads; h++)
            ref_linear(logits + (size_t)b * m->n_out + m->head_off[h], pooled, m->heads[h].w, m->heads[h].b, 1, C,
                       c->heads[h].n_labels);
    }
    free(x);
    free(q);
    free(k);
    free(v);
    free(ctx);
    free(y);
    free(hbuf);
    free(p);
}
