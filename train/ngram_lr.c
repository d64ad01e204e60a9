/* ngram_lr — sparse multinomial logistic regression and L-BFGS; see
 * ngram_lr.h. */
#include "train/ngram_lr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define LR_MEM 5
#define LR_MAX_K 4096

long ngram_lr_size(const ngram_lr_data *d) { return (long)d->k * d->dim + d->k; }

double ngram_lr_loss(const ngram_lr_data *d, const float *theta, float *grad) {
    long D = d->dim, K = d->k, np = ngram_lr_size(d);
    const float *W = theta, *b = theta + K * D;
    double z[LR_MAX_K], f = 0;
    if (grad) memset(grad, 0, sizeof(float) * (size_t)np);
    for (int i = 0; i < d->n; i++) {
        int r0 = d->rowptr[i], r1 = d->rowptr[i + 1];
        double mx = -INFINITY, se = 0;
        for (long c = 0; c < K; c++) {
            double s = b[c];
            const float *w = W + c * D;
            for (int r = r0; r < r1; r++) s += (double)w[d->col[r]] * d->val[r];
            z[c] = s;
            mx = s > mx ? s : mx;
        }
        for (long c = 0; c < K; c++) se += exp(z[c] - mx);
        double lse = mx + log(se), cw = d->cw ? d->cw[d->y[i]] : 1.0;
        f += cw * (lse - z[d->y[i]]);
        if (!grad) continue;
        for (long c = 0; c < K; c++) {
            double g = cw * (exp(z[c] - lse) - (c == d->y[i])) / d->n;
            float *gw = grad + c * D;
            for (int r = r0; r < r1; r++) gw[d->col[r]] += (float)(g * d->val[r]);
            grad[K * D + c] += (float)g;
        }
    }
    f /= d->n ? d->n : 1;
    double reg = 0;
    for (long j = 0; j < K * D; j++) {
        reg += (double)W[j] * W[j];
        if (grad) grad[j] += (float)(d->lambda * W[j]);
    }
    return f + 0.5 * d->lambda * reg;
}

static double dot(const float *a, const float *b, long n) {
    double s = 0;
    for (long i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

int ngram_lr_fit(const ngram_lr_data *d, float *theta, int max_iter, double tol) {
    long n = ngram_lr_size(d);
    size_t bytes = sizeof(float) * (size_t)n;
    float *g = xmalloc(bytes), *q = xmalloc(bytes), *xn = xmalloc(bytes), *gn = xmalloc(bytes);
    float *s[LR_MEM], *y[LR_MEM];
    double rho[LR_MEM], alpha[LR_MEM];
    for (int j = 0; j < LR_MEM; j++) s[j] = xmalloc(bytes), y[j] = xmalloc(bytes);
    int hist = 0, head = 0, it;
    double f = ngram_lr_loss(d, theta, g);
    for (it = 0; it < max_iter; it++) {
        /* two-loop recursion: q = H g */
        memcpy(q, g, bytes);
        for (int j = 0; j < hist; j++) {
            int m = (head - 1 - j + LR_MEM) % LR_MEM;
            alpha[m] = rho[m] * dot(s[m], q, n);
            for (long i = 0; i < n; i++) q[i] -= (float)(alpha[m] * y[m][i]);
        }
        int last = (head - 1 + LR_MEM) % LR_MEM;
        double gnorm = sqrt(dot(g, g, n));
        if (gnorm == 0) break;
        double gamma = hist ? dot(s[last], y[last], n) / dot(y[last], y[last], n) : 1.0 / gnorm;
        for (long i = 0; i < n; i++) q[i] *= (float)gamma;
        for (int j = hist - 1; j >= 0; j--) {
            int m = (head - 1 - j + LR_MEM) % LR_MEM;
            double beta = rho[m] * dot(y[m], q, n);
            for (long i = 0; i < n; i++) q[i] += (float)((alpha[m] - beta) * s[m][i]);
        }
        double gd = -dot(g, q, n); /* direction -q */
        if (!(gd < 0)) {
            hist = 0;
            memcpy(q, g, bytes);
            for (long i = 0; i < n; i++) q[i] /= (float)gnorm;
            gd = -gnorm;
        }
        double t = 1, fn = f;
        int ok = 0;
        for (int ls = 0; ls < 40 && !ok; ls++, t *= 0.5) {
            for (long i = 0; i < n; i++) xn[i] = theta[i] - (float)t * q[i];
            fn = ngram_lr_loss(d, xn, gn);
            ok = fn <= f + 1e-4 * t * gd;
        }
        if (!ok) break;
        float *sn = s[head], *yn = y[head];
        for (long i = 0; i < n; i++) sn[i] = xn[i] - theta[i], yn[i] = gn[i] - g[i];
        double sy = dot(sn, yn, n);
        if (sy > 1e-12) {
            rho[head] = 1.0 / sy;
            head = (head + 1) % LR_MEM;
            hist += hist < LR_MEM;
        }
        memcpy(theta, xn, bytes);
        memcpy(g, gn, bytes);
        double drop = f - fn;
        f = fn;
        if (drop < tol * fabs(f)) {
            it++;
            break;
        }
    }
    for (int j = 0; j < LR_MEM; j++) free(s[j]), free(y[j]);
    free(g), free(q), free(xn), free(gn);
    return it;
}
