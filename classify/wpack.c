/* wpack — packing and quantising dense-layer weights; see wpack.h. */
#include "classify/wpack.h"

#include <math.h>
#include <stdlib.h>

#include "util/xalloc.h"

void wp_pack_f32(wp_f32 *out, const float *w, int n, int k) {
    size_t np = (size_t)(n + WP_NR - 1) / WP_NR;
    out->n = n;
    out->k = k;
    out->w = xcalloc(np * WP_NR * (size_t)k, sizeof(float));
    for (int r = 0; r < n; r++)
        for (int i = 0; i < k; i++)
            out->w[((size_t)(r / WP_NR) * (size_t)k + (size_t)i) * WP_NR + (size_t)(r % WP_NR)] = w[(size_t)r * k + i];
}

void wp_pack_q8(wp_q8 *out, const float *w, int n, int k) {
    size_t np = (size_t)(n + WP_NR - 1) / WP_NR;
    int kp = (k + 7) & ~7;
    out->n = n;
    out->k = k;
    out->kp = kp;
    out->w = xcalloc(np * WP_NR * (size_t)kp, 1);
    out->scale = xmalloc(sizeof(float) * (size_t)n);
    out->colsum = xmalloc(sizeof(int32_t) * (size_t)n);
    for (int r = 0; r < n; r++) {
        const float *row = w + (size_t)r * k;
        float amax = 0;
        for (int i = 0; i < k; i++) amax = fmaxf(amax, fabsf(row[i]));
        /* an all-zero channel keeps scale 1: its codes are 0 either way */
        float scale = amax > 0 ? amax / (float)WP_Q8_MAX : 1.0f;
        int32_t sum = 0;
        for (int i = 0; i < k; i++) {
            float v = nearbyintf(row[i] / scale);
            int8_t q = (int8_t)(v > WP_Q8_MAX ? WP_Q8_MAX : v < -WP_Q8_MAX ? -WP_Q8_MAX : v);
            out->w[(((size_t)(r / WP_NR) * (size_t)(kp / 4) + (size_t)(i / 4)) * WP_NR + (size_t)(r % WP_NR)) * 4 +
                   (size_t)(i % 4)] = q;
            sum += q;
        }
        out->scale[r] = scale;
        out->colsum[r] = sum;
    }
}

void wp_f32_free(wp_f32 *w) {
    free(w->w);
    w->w = NULL;
}

void wp_q8_free(wp_q8 *w) {
    free(w->w);
    free(w->scale);
    free(w->colsum);
    w->w = NULL;
    w->scale = NULL;
    w->colsum = NULL;
}
