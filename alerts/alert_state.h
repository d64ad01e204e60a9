/* alert_state — the life cycle of alerts, after Alertmanager.
 *
 * For every (rule, key) the engine follows closed windows in order:
 *  - the rule holds and no alert is open → the alert fires;
 *  - it keeps holding → it is sent again, same id and the latest window and
 *    stats, once repeat_interval (event time) has passed since the last send;
 *  - its window is back inside the rule's band (rule_inside; or the key
 *    has no window at that window end) for resolve_after windows in a row
 *    → it is sent resolved, with the figures of the window that cleared
 *    it, and closed. A window that no longer holds but is not back inside
 *    the band (fewer messages than min_count, still as negative) starts
 *    the count again.
 * The id is stable: the first 32 hex digits of
 * SHA-256("<rule>\n<key name>\n<start ms of the first firing window>"),
 * so every delivery of one alert carries the same id, and a replay of the
 * same input gives the same ids. Silenced alerts go through the same life
 * cycle but are not handed to the emit callback (counted as suppressed).
 * Baselines are folded in here, after the rules saw the window, except
 * for a window that breaches a rule of its key or comes while an alert of
 * its key is open (the one it resolves included): the baseline holds
 * through an incident instead of learning it. */
#ifndef FINSENT_ALERT_STATE_H
#define FINSENT_ALERT_STATE_H

#include <stdint.h>

#include "alerts/baseline.h"
#include "alerts/rules.h"
#include "alerts/window.h"
#include "util/codec.h"

#define ALERT_VERSION 1
#define ALERT_ID_LEN 32

enum alert_status { ALERT_FIRING = 0, ALERT_RESOLVED };

typedef struct alert {
    int version;
    char id[ALERT_ID_LEN + 1];
    enum alert_status status;
    const alert_rule *rule; /* the engine's copy; valid for its lifetime */
    const win_key *key;     /* valid for the window engine's lifetime */
    int64_t window_start_ms, window_end_ms;
    win_stats counts;
    rule_eval stats;
    /* the first firing window (whose start is in the id) and its figures */
    int64_t first_start_ms, first_end_ms;
    win_stats first_counts;
    rule_eval first_stats;
    enum alert_severity severity;
    win_sample samples[WIN_TOPK_MAX]; /* most negative first; none when resolved */
    int n_samples;
    const struct alert_explain *explain; /* the words behind it (alert_explain.h); NULL: none */
} alert;

typedef struct as_counts {
    int64_t fired, repeated, resolved, suppressed;
} as_counts;

/* Called for each alert to deliver; the alert is valid during the call. */
typedef void (*as_emit_fn)(const alert *a, void *ud);

typedef struct as_engine as_engine;

/* rules and silences are borrowed and must outlive the engine; every rule
 * must pass rule_check. bt is the baseline table updated by as_process. */
as_engine *as_create(const alert_rule *rules, int n_rules, const alert_silence *silences, int n_silences,
                     bl_table *bt, as_emit_fn emit, void *ud);
void as_destroy(as_engine *as);

/* The windows' advance: an open alert then counts every window end since
 * its last evaluation as quiet (towards resolve_after), whether or not a
 * batch was emitted there. Without it only emitted ends count. */
void as_set_advance(as_engine *as, int64_t advance_ms);

/* Feeds the closed windows of one window end (a win_emit_fn batch):
 * evaluates every rule of each key's scope, emits what fires, repeats or
 * resolves, then folds into the baselines the windows of keys with no
 * open alert that breach no rule. */
void as_process(as_engine *as, const win_result *results, int n);

/* Writes the stable id of (rule, key, start) into id (ALERT_ID_LEN + 1 bytes). */
void as_alert_id(const char *rule, const char *key, int64_t start_ms, char *id);

/* Swaps in new rules and silences (borrowed as in as_create; the old ones
 * must stay valid until this returns). An open alert whose rule still
 * exists (same name and scope) keeps its state and id and follows the new
 * rule from the next window (thresholds, severity, sinks). An open alert
 * whose rule is gone, or changed scope, is resolved now, through the old
 * rule and silences, so receivers close it rather than hold it open
 * forever. Can't fail. */
void as_reload(as_engine *as, const alert_rule *rules, int n_rules, const alert_silence *silences, int n_silences);

/* Writes every open alert (its rule by name and scope, key id, id, last
 * and first windows with their figures, samples and life-cycle counters)
 * to o; not its explanation (found again for the next send). Can't fail. */
void as_save(const as_engine *as, cw *o);
/* Reads what as_save wrote into as (no open alert yet), with the keys of
 * w (restored from the same checkpoint). An alert whose rule is no longer
 * configured (by name and scope) is left out and counted in *dropped; one
 * whose rule is kept continues under its id. Returns 0, or -1 with the
 * failure in in->err. */
int as_load(as_engine *as, cr *in, const win_engine *w, int *dropped);

as_counts as_get_counts(const as_engine *as);
/* Number of alerts currently firing. */
int as_n_firing(const as_engine *as);

#endif
