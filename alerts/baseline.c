/* baseline — per-key EWMA of volume, negative share and negatives; see baseline.h. */
#include "alerts/baseline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/codec.h"
#include "util/xalloc.h"

struct bl_table {
    bl_config cfg;
    bl_state *states; /* indexed by key id */
    uint32_t cap;
};

static const bl_state bl_zero;

const char *bl_config_check(const bl_config *c) {
    if (!(c->alpha > 0.0 && c->alpha <= 1.0)) return "baseline alpha must be in (0, 1]";
    if (c->warmup < 0) return "baseline warmup must be >= 0 windows";
    if (!(c->min_stddev >= 0.0)) return "baseline min_stddev must be >= 0";
    if (!(c->robust_k >= 0.0)) return "baseline robust_k must be >= 0";
    return NULL;
}

bl_table *bl_create(const bl_config *cfg) {
    if (bl_config_check(cfg)) abort();
    bl_table *t = xcalloc(1, sizeof *t);
    t->cfg = *cfg;
    return t;
}

void bl_destroy(bl_table *t) {
    if (!t) return;
    free(t->states);
    free(t);
}

const bl_state *bl_get(bl_table *t, uint32_t key_id) { return key_id < t->cap ? &t->states[key_id] : &bl_zero; }

static void ewma(double alpha, int first, double x, double *mean, double *var) {
    if (first) {
        *mean = x;
        *var = 0.0;
        return;
    }
    double d = x - *mean;
    *mean += alpha * d;
    *var = (1.0 - alpha) * (*var + alpha * d * d);
}

/* The key's state, the table grown (zeroed) to hold it. */
static bl_state *slot_for(bl_table *t, uint32_t key_id) {
    if (key_id >= t->cap) {
        uint32_t cap = t->cap ? t->cap : 64;
        while (cap <= key_id) cap *= 2;
        t->states = xrealloc(t->states, sizeof *t->states * cap);
        memset(t->states + t->cap, 0, sizeof *t->states * (cap - t->cap));
        t->cap = cap;
    }
    return &t->states[key_id];
}

void bl_update(bl_table *t, uint32_t key_id, const win_stats *s) {
    bl_state *b = slot_for(t, key_id);
    int first = b->n == 0;
    double share = win_negative_share(s), neg = (double)s->negatives;
    if (t->cfg.robust_k > 0 && !first && bl_ready(t, b)) {
        double share_cap = b->share_mean + t->cfg.robust_k * b->share_sd;
        double neg_sd = fmax(sqrt(fmax(b->neg_var, 0.0)), t->cfg.min_stddev * b->vol_mean);
        share = fmin(share, share_cap);
        neg = fmin(neg, b->neg_mean + t->cfg.robust_k * neg_sd);
    }
    ewma(t->cfg.alpha, first, (double)s->count, &b->vol_mean, &b->vol_var);
    ewma(t->cfg.alpha, first, share, &b->share_mean, &b->share_var);
    ewma(t->cfg.alpha, first, neg, &b->neg_mean, &b->neg_var);
    double sd = sqrt(b->share_var > 0 ? b->share_var : 0.0);
    b->share_sd = sd > t->cfg.min_stddev ? sd : t->cfg.min_stddev;
    b->n++;
}

int bl_ready(const bl_table *t, const bl_state *s) { return s->n >= t->cfg.warmup; }

double bl_share_stddev(const bl_table *t, const bl_state *s) { return s->n ? s->share_sd : t->cfg.min_stddev; }

/* ---- checkpoints ---- */

void bl_save(const bl_table *t, cw *o) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->cap; i++) n += t->states[i].n > 0;
    cw_u32(o, n);
    for (uint32_t i = 0; i < t->cap; i++) {
        const bl_state *b = &t->states[i];
        if (b->n == 0) continue;
        cw_u32(o, i);
        cw_i64(o, b->n);
        cw_f64(o, b->vol_mean);
        cw_f64(o, b->vol_var);
        cw_f64(o, b->share_mean);
        cw_f64(o, b->share_var);
        cw_f64(o, b->neg_mean);
        cw_f64(o, b->neg_var);
    }
}

int bl_load(bl_table *t, cr *in, uint32_t n_keys) {
    uint32_t n = cr_count(in, n_keys, 60);
    int64_t prev = -1;
    for (uint32_t k = 0; k < n && cr_ok(in); k++) {
        uint32_t id = cr_u32(in);
        bl_state s = {.n = cr_i64(in)};
        s.vol_mean = cr_f64(in);
        s.vol_var = cr_f64(in);
        s.share_mean = cr_f64(in);
        s.share_var = cr_f64(in);
        s.neg_mean = cr_f64(in);
        s.neg_var = cr_f64(in);
        if (!cr_ok(in)) break;
        if (id >= n_keys || (int64_t)id <= prev) return cr_fail(in, "a baseline of an unknown key, or out of order");
        if (s.n <= 0 || !isfinite(s.vol_mean) || !isfinite(s.share_mean) || !isfinite(s.neg_mean) ||
            !(s.vol_var >= 0) || !(s.share_var >= 0) || !(s.neg_var >= 0) || !isfinite(s.vol_var) ||
            !isfinite(s.share_var) || !isfinite(s.neg_var))
            return cr_fail(in, "a baseline that is not a number");
        prev = id;
        bl_state *b = slot_for(t, id);
        *b = s;
        double sd = sqrt(b->share_var);
        b->share_sd = sd > t->cfg.min_stddev ? sd : t->cfg.min_stddev;
    }
    return cr_ok(in) ? 0 : -1;
}
