/* rules — when a closed window is a spike worth an alert.
 *
 * A rule applies to the keys of one scope and holds when every condition
 * that is set holds (0 = not set):
 *   count >= min_count, negatives >= min_negatives,
 *   negative share >= min_negative_share,
 *   zscore: negative share >= baseline mean + zscore·σ (σ floored by the
 *           baseline's min_stddev),
 *   ratio:  negatives >= ratio × baseline mean of negatives,
 * and the key's baseline is warm (see baseline.h). The baseline is the one
 * before the window is folded in. Field names match the config's rules. */
#ifndef FINSENT_RULES_H
#define FINSENT_RULES_H

#include <stdint.h>

#include "alerts/baseline.h"
#include "alerts/window.h"

enum alert_severity { ALERT_INFO = 0, ALERT_WARNING, ALERT_CRITICAL };

typedef struct alert_rule {
    const char *name;
    enum win_scope scope;
    int64_t min_count;
    int64_t min_negatives;
    double min_negative_share;
    double zscore;
    double ratio;
    enum alert_severity severity;
    const char *const *sinks; /* sink names */
    int n_sinks;
    int64_t repeat_interval_ms; /* re-send while firing, in event time; 0 = never */
    int resolve_after;          /* windows with the condition false before resolving, >= 1 */
} alert_rule;

/* Delivery of alerts of `rule` (NULL = any) for `key` (NULL = any) is
 * suppressed while the window end is before until_ms (event time). */
typedef struct alert_silence {
    const char *rule;
    const char *key;
    int64_t until_ms;
} alert_silence;

/* What a rule saw in a window. */
typedef struct rule_eval {
    double negative_share;
    double baseline_share; /* baseline mean of the negative share */
    double zscore;         /* (share - baseline) / σ */
    double ratio;          /* negatives / baseline negatives; 0 when that is 0 */
} rule_eval;

/* NULL when valid, else a static message naming the bad field. */
const char *rule_check(const alert_rule *r);
/* Returns 1 when the rule holds for the window, 0 otherwise; fills *out. */
int rule_holds(const alert_rule *r, const win_stats *s, const bl_table *bt, const bl_state *b, rule_eval *out);
/* Returns 1 when a window is back inside the rule's band: its negatives
 * fail one of the conditions on negatives (min_negatives,
 * min_negative_share, zscore, ratio) against baseline b. Unlike
 * rule_holds, min_count is not one of them: a window that is merely
 * quieter than min_count, all of it negative, has not cleared an open
 * alert; an empty window has. */
int rule_inside(const alert_rule *r, const win_stats *s, const bl_table *bt, const bl_state *b);
/* "info" | "warning" | "critical"; parse returns -1 when unknown. */
const char *rule_severity_name(enum alert_severity s);
int rule_severity_parse(const char *s);
/* "global" | "topic" | "entity" | "entity_topic"; parse returns -1 when unknown. */
const char *rule_scope_name(enum win_scope s);
int rule_scope_parse(const char *s);

#endif
