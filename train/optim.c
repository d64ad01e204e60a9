/* optim — AdamW, schedules and clipping; see optim.h. Moments and the
 * update are kept in float as torch does; norms accumulate in double. */
#include "train/optim.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/xalloc.h"

void optim_adamw_init(optim_adamw *o, size_t n, float beta1, float beta2, float eps, float weight_decay) {
    o->beta1 = beta1;
    o->beta2 = beta2;
    o->eps = eps;
    o->weight_decay = weight_decay;
    o->t = 0;
    o->n = n;
    o->m = xcalloc(n, sizeof(float));
    o->v = xcalloc(n, sizeof(float));
}

void optim_adamw_free(optim_adamw *o) {
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

int optim_adamw_write(const optim_adamw *o, FILE *f) {
    uint64_t hdr[2] = {(uint64_t)o->t, (uint64_t)o->n};
    fwrite(hdr, sizeof hdr, 1, f);
    fwrite(o->m, sizeof(float), o->n, f);
    fwrite(o->v, sizeof(float), o->n, f);
    return ferror(f) ? -1 : 0;
}

int optim_adamw_read(optim_adamw *o, FILE *f) {
    uint64_t hdr[2];
    if (fread(hdr, sizeof hdr, 1, f) != 1 || hdr[1] != o->n || fread(o->m, sizeof(float), o->n, f) != o->n ||
        fread(o->v, sizeof(float), o->n, f) != o->n)
        return -1;
    o->t = (long)hdr[0];
    return 0;
}

void optim_adamw_step(optim_adamw *o, float *params, const float *grads, const optim_range *ranges, int nranges,
                      float lr) {
    o->t++;
    double bc1 = 1.0 - pow(o->beta1, (double)o->t), bc2 = 1.0 - pow(o->beta2, (double)o->t);
    float step_size = (float)(lr / bc1), bc2_sqrt = (float)sqrt(bc2);
    for (int r = 0; r < nranges; r++) {
        float decay = ranges[r].decay ? 1.0f - lr * o->weight_decay : 1.0f;
        for (size_t i = ranges[r].off; i < ranges[r].off + ranges[r].n; i++) {
            float g = grads[i];
            o->m[i] = o->beta1 * o->m[i] + (1.0f - o->beta1) * g;
            o->v[i] = o->beta2 * o->v[i] + (1.0f - o->beta2) * g * g;
            float denom = sqrtf(o->v[i]) / bc2_sqrt + o->eps;
            params[i] = params[i] * decay - step_size * o->m[i] / denom;
        }
    }
}

float optim_clip_grad_norm(float *grads, size_t n, float max_norm) {
    double ss = 0;
    for (size_t i = 0; i < n; i++) ss += (double)grads[i] * grads[i];
    float norm = (float)sqrt(ss);
    if (max_norm > 0) {
        float coef = max_norm / (norm + 1e-6f);
        if (coef < 1.0f)
            for (size_t i = 0; i < n; i++) grads[i] *= coef;
    }
    return norm;
}

float optim_lr_at(const optim_schedule *s, long step) {
    if (step < s->warmup_steps) return s->peak_lr * (float)step / (float)s->warmup_steps;
    if (s->decay == OPTIM_DECAY_CONSTANT) return s->peak_lr;
    long span = s->total_steps - s->warmup_steps;
    if (span <= 0 || step >= s->total_steps) return 0.0f;
    double progress = (double)(step - s->warmup_steps) / (double)span;
    if (s->decay == OPTIM_DECAY_COSINE) return (float)(s->peak_lr * 0.5 * (1.0 + cos(M_PI * progress)));
    return (float)(s->peak_lr * (1.0 - progress));
}
