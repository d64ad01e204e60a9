/* baseline — what is normal for a key: exponentially weighted moving
 * averages over its past closed windows.
 *
 * Per key: EWMA mean and variance of the window volume (count), of the
 * negative share and of the negatives count. With weight alpha, after
 * each window x:  d = x - mean;  mean += alpha·d;  var = (1-alpha)·(var + alpha·d²)
 * (the first window sets mean = x, var = 0). A key is warm — may alert —
 * once warmup windows have been folded in. Only windows in which the key
 * had events are folded in: an empty window has no emission.
 *
 * Incidents are not learnt: the alert engine (alert_state.h) does not fold
 * a window that breaches a rule of its key, nor any window while an alert
 * of the key is open, so the band an alert is judged against holds until
 * it resolves. Robust variant (robust_k > 0): once warm, a window enters
 * with its negative share and negatives clipped at mean + robust_k·σ (σ of
 * the negatives floored at min_stddev × the volume mean), so that the
 * windows on either side of an incident, which breach nothing, move the
 * baseline by at most alpha·robust_k·σ each (docs/alerts.md compares the
 * two on back-tests). */
#ifndef FINSENT_BASELINE_H
#define FINSENT_BASELINE_H

#include <stdint.h>

#include "alerts/window.h"
#include "util/codec.h"

typedef struct bl_config {
    double alpha;      /* 0 < alpha <= 1 */
    int warmup;        /* windows before a key may alert, >= 0 */
    double min_stddev; /* floor of the negative share's σ in z-scores, >= 0 */
    double robust_k;   /* clip windows at mean + robust_k·σ once warm; 0 = off, else > 0 */
} bl_config;

typedef struct bl_state {
    int64_t n; /* windows folded in */
    double vol_mean, vol_var;
    double share_mean, share_var;
    double neg_mean, neg_var;
    double share_sd; /* max(sqrt(share_var), min_stddev), kept with the variance */
} bl_state;

typedef struct bl_table bl_table;

/* NULL when valid, else a static message naming the bad field. */
const char *bl_config_check(const bl_config *cfg);
/* cfg must pass bl_config_check (aborts otherwise). */
bl_table *bl_create(const bl_config *cfg);
void bl_destroy(bl_table *t);

/* The key's baseline over the windows folded in so far; a zeroed state
 * (n == 0) for a key never seen. Valid until the next bl_update. */
const bl_state *bl_get(bl_table *t, uint32_t key_id);
/* Folds one closed window of the key into its baseline. */
void bl_update(bl_table *t, uint32_t key_id, const win_stats *s);
/* 1 once the state has at least warmup windows. */
int bl_ready(const bl_table *t, const bl_state *s);
/* σ of the negative share, at least min_stddev. */
double bl_share_stddev(const bl_table *t, const bl_state *s);

/* Writes every key's baseline (exact doubles) to o. Can't fail. */
void bl_save(const bl_table *t, cw *o);
/* Reads what bl_save wrote into t (empty, same config), checking that
 * every key id is below n_keys and every figure finite. Returns 0, or -1
 * with the failure in in->err (t then holds what was read so far). */
int bl_load(bl_table *t, cr *in, uint32_t n_keys);

#endif
