/* train_layers — forward/backward pairs for training; see train_layers.h.
 *
 * The matrix products go through OpenBLAS sgemm (row-major); the rest are
 * plain loops a reader can check against the formulas in the comments. */
#include "train/train_layers.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* ---- embeddings ---------------------------------------------------------- */

void tl_embed_forward(float *out, const int32_t *ids, const int32_t *pos, const int32_t *types, const float *wte,
                      const float *wpe, const float *wtt, int N, int H) {
    for (int t = 0; t < N; t++) {
        const float *a = wte + (size_t)ids[t] * H, *b = wpe + (size_t)pos[t] * H, *c = wtt + (size_t)types[t] * H;
        float *o = out + (size_t)t * H;
        for (int i = 0; i < H; i++) o[i] = a[i] + b[i] + c[i];
    }
}

void tl_embed_backward(float *dwte, float *dwpe, float *dwtt, const float *dout, const int32_t *ids,
                       const int32_t *pos, const int32_t *types, int N, int H) {
    for (int t = 0; t < N; t++) {
        const float *g = dout + (size_t)t * H;
        float *a = dwte + (size_t)ids[t] * H, *b = dwpe + (size_t)pos[t] * H, *c = dwtt + (size_t)types[t] * H;
        for (int i = 0; i < H; i++) {
            a[i] += g[i];
            b[i] += g[i];
            c[i] += g[i];
        }
    }
}

/* ---- layernorm ------------------------------------------------------------ */

void tl_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b,
                          int N, int H, float eps) {
    for (int t = 0; t < N; t++) {
        const float *x = inp + (size_t)t * H;
        double m = 0, v = 0;
        for (int i = 0; i < H; i++) m += x[i];
        m /= H;
        for (int i = 0; i < H; i++) v += (x[i] - m) * (x[i] - m);
        v /= H;
        float s = (float)(1.0 / sqrt(v + eps));
        float *o = out + (size_t)t * H;
        for (int i = 0; i < H; i++) o[i] = ((float)(x[i] - m) * s) * w[i] + b[i];
        mean[t] = (float)m;
        rstd[t] = s;
    }
}

/* With xhat = (x - mean) * rstd and g = dout * w:
 * dx = rstd * (g - mean(g) - xhat * mean(g * xhat)). */
void tl_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                           const float *mean, const float *rstd, int N, int H) {
    for (int t = 0; t < N; t++) {
        const float *x = inp + (size_t)t * H, *go = dout + (size_t)t * H;
        float m = mean[t], s = rstd[t];
        double gmean = 0, gxmean = 0;
        for (int i = 0; i < H; i++) {
            float xhat = (x[i] - m) * s;
            float g = go[i] * w[i];
            gmean += g;
            gxmean += g * xhat;
            dw[i] += go[i] * xhat;
            db[i] += go[i];
        }
        if (!dinp) continue;
        gmean /= H;
        gxmean /= H;
        float *dx = dinp + (size_t)t * H;
        for (int i = 0; i < H; i++) {
            float xhat = (x[i] - m) * s;
            dx[i] += s * (go[i] * w[i] - (float)gmean - xhat * (float)gxmean);
        }
    }
}

/* ---- matmul --------------------------------------------------------------- */

void tl_matmul_forward(float *out, const float *inp, const float *w, const float *bias, int N, int IN, int OUT) {
    if (bias)
        for (int t = 0; t < N; t++) memcpy(out + (size_t)t * OUT, bias, sizeof(float) * (size_t)OUT);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OUT, IN, 1.0f, inp, IN, w, IN, bias ? 1.0f : 0.0f, out,
                OUT);
}

void tl_matmul_forward_ref(float *out, const float *inp, const float *w, const float *bias, int N, int IN, int OUT) {
    for (int t = 0; t < N; t++)
        for (int o = 0; o < OUT; o++) {
            double acc = bias ? bias[o] : 0.0;
            for (int i = 0; i < IN; i++) acc += (double)inp[(size_t)t * IN + i] * w[(size_t)o * IN + i];
            out[(size_t)t * OUT + o] = (float)acc;
        }
}

void tl_matmul_backward(float *dinp, float *dw, float *dbias, const float *dout, const float *inp, const float *w,
                        int N, int IN, int OUT) {
    if (dinp) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, IN, OUT, 1.0f, dout, OUT, w, IN, 1.0f, dinp, IN);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OUT, IN, N, 1.0f, dout, OUT, inp, IN, 1.0f, dw, IN);
    if (dbias)
        for (int t = 0; t < N; t++)
            for (int o = 0; o < OUT; o++) dbias[o] += dout[(size_t)t * OUT + o];
}

/* ---- attention ------------------------------------------------------------ */

size_t tl_attention_size(const int *off, int S, int nh) {
    size_t n = 0;
    for (int s = 0; s < S; s++) {
        size_t L = (size_t)(off[s + 1] - off[s]);
        n += L * L;
    }
    return n * (size_t)nh;
}

/* Per sequence and head: att = softmax(Q K^T / sqrt(d)) (L,L), out = att V. */
void tl_attention_forward(float *out, float *att, const float *q, const float *k, const float *v, const int *off,
                          int S, int H, int nh) {
    int d = H / nh;
    float scale = 1.0f / sqrtf((float)d);
    float *a = att;
    for (int s = 0; s < S; s++) {
        int L = off[s + 1] - off[s];
        size_t base = (size_t)off[s] * H;
        for (int h = 0; h < nh; h++, a += (size_t)L * L) {
            size_t c = base + (size_t)h * d;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L, L, d, scale, q + c, H, k + c, H, 0.0f, a, L);
            for (int i = 0; i < L; i++) {
                float *row = a + (size_t)i * L, mx = row[0];
                for (int j = 1; j < L; j++) mx = row[j] > mx ? row[j] : mx;
                double sum = 0;
                for (int j = 0; j < L; j++) {
                    row[j] = expf(row[j] - mx);
                    sum += row[j];
                }
                float inv = (float)(1.0 / sum);
                for (int j = 0; j < L; j++) row[j] *= inv;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L, d, L, 1.0f, a, L, v + c, H, 0.0f, out + c, H);
        }
    }
}

/* datt = dout V^T; dV += att^T dout; dscore = att * (datt - rowsum(att*datt));
 * dQ += dscore K / sqrt(d); dK += dscore^T Q / sqrt(d).
 * Allocates one (Lmax,Lmax) scratch per call. */
void tl_attention_backward(float *dq, float *dk, float *dv, const float *dout, const float *att, const float *q,
                           const float *k, const float *v, const int *off, int S, int H, int nh) {
    int d = H / nh, Lmax = 0;
    float scale = 1.0f / sqrtf((float)d);
    for (int s = 0; s < S; s++) Lmax = off[s + 1] - off[s] > Lmax ? off[s + 1] - off[s] : Lmax;
    float *ds = xmalloc(sizeof(float) * (size_t)Lmax * (size_t)Lmax);
    const float *a = att;
    for (int s = 0; s < S; s++) {
        int L = off[s + 1] - off[s];
        size_t base = (size_t)off[s] * H;
        for (int h = 0; h < nh; h++, a += (size_t)L * L) {
            size_t c = base + (size_t)h * d;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L, L, d, 1.0f, dout + c, H, v + c, H, 0.0f, ds, L);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L, d, L, 1.0f, a, L, dout + c, H, 1.0f, dv + c, H);
            for (int i = 0; i < L; i++) {
                const float *p = a + (size_t)i * L;
                float *g = ds + (size_t)i * L;
                double dot = 0;
                for (int j = 0; j < L; j++) dot += (double)p[j] * g[j];
                for (int j = 0; j < L; j++) g[j] = p[j] * (g[j] - (float)dot);
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L, d, L, scale, ds, L, k + c, H, 1.0f, dq + c, H);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L, d, L, scale, ds, L, q + c, H, 1.0f, dk + c, H);
        }
    }
    free(ds);
}

/* ---- activations ---------------------------------------------------------- */

void tl_gelu_forward(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + erff(x * (float)M_SQRT1_2));
    }
}

/* d/dx x Phi(x) = Phi(x) + x phi(x). */
void tl_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
    const float inv_sqrt_2pi = 0.3989422804014327f;
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float cdf = 0.5f * (1.0f + erff(x * (float)M_SQRT1_2));
        float pdf = inv_sqrt_2pi * expf(-0.5f * x * x);
        dinp[i] += dout[i] * (cdf + x * pdf);
    }
}

void tl_tanh_forward(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = tanhf(inp[i]);
}

void tl_tanh_backward(float *dinp, const float *dout, const float *out, size_t n) {
    for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
}

void tl_dropout_forward(float *out, uint8_t *mask, const float *inp, size_t n, float p, rng_pcg *rng) {
    if (p <= 0.0f) {
        memmove(out, inp, sizeof(float) * n);
        memset(mask, 1, n);
        return;
    }
    float scale = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) {
        mask[i] = rng_uniform(rng) >= p;
        out[i] = mask[i] ? inp[i] * scale : 0.0f;
    }
}

void tl_dropout_backward(float *dinp, const float *dout, const uint8_t *mask, size_t n, float p) {
    float scale = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f;
    for (size_t i = 0; i < n; i++)
        if (mask[i]) dinp[i] += dout[i] * scale;
}

/* ---- cross-entropy --------------------------------------------------------- */

float tl_xent_forward(float *probs, const float *logits, const int32_t *labels, int B, int C, int *n_labelled) {
    double loss = 0;
    int n = 0;
    for (int b = 0; b < B; b++) {
        const float *z = logits + (size_t)b * C;
        float *p = probs + (size_t)b * C, mx = z[0];
        for (int c = 1; c < C; c++) mx = z[c] > mx ? z[c] : mx;
        double sum = 0;
        for (int c = 0; c < C; c++) sum += exp((double)z[c] - mx);
        for (int c = 0; c < C; c++) p[c] = (float)(exp((double)z[c] - mx) / sum);
        if (labels[b] < 0) continue;
        loss += log(sum) + mx - z[labels[b]];
        n++;
    }
    if (n_labelled) *n_labelled = n;
    return n ? (float)(loss / n) : 0.0f;
}

void tl_xent_backward(float *dlogits, const float *probs, const int32_t *labels, int B, int C, float dloss) {
    int n = 0;
    for (int b = 0; b < B; b++) n += labels[b] >= 0;
    if (!n) return;
    float g = dloss / (float)n;
    for (int b = 0; b < B; b++) {
        if (labels[b] < 0) continue;
        const float *p = probs + (size_t)b * C;
        float *dz = dlogits + (size_t)b * C;
        for (int c = 0; c < C; c++) dz[c] += g * (p[c] - (c == labels[b] ? 1.0f : 0.0f));
    }
}
