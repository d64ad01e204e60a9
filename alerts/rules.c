/* rules — evaluation of alert rules against a window and its baseline; see rules.h. */
#include "alerts/rules.h"

#include <string.h>

const char *rule_check(const alert_rule *r) {
    if (!r->name || !r->name[0]) return "rule name must be a non-empty string";
    if (rule_scope_name(r->scope)[0] == '?') return "rule scope must be global, topic, entity or entity_topic";
    if (r->min_count < 0 || r->min_negatives < 0) return "rule min_count and min_negatives must be >= 0";
    if (r->min_negative_share < 0 || r->min_negative_share > 1) return "rule min_negative_share must be in [0, 1]";
    if (r->zscore < 0 || r->ratio < 0) return "rule zscore and ratio must be >= 0";
    if (r->repeat_interval_ms < 0) return "rule repeat_interval must be >= 0";
    if (r->resolve_after < 1) return "rule resolve_after must be >= 1 window";
    return NULL;
}

/* 1 when the window's negatives meet every condition on them. */
static int negatives_breach(const alert_rule *r, const win_stats *s, const bl_table *bt, const bl_state *b) {
    double share = win_negative_share(s);
    if (s->count == 0 || s->negatives < r->min_negatives || share < r->min_negative_share) return 0;
    if (r->zscore > 0 && share < b->share_mean + r->zscore * bl_share_stddev(bt, b)) return 0;
    if (r->ratio > 0 && (double)s->negatives < r->ratio * b->neg_mean) return 0;
    return 1;
}

int rule_holds(const alert_rule *r, const win_stats *s, const bl_table *bt, const bl_state *b, rule_eval *out) {
    double share = win_negative_share(s);
    double sd = bl_share_stddev(bt, b);
    out->negative_share = share;
    out->baseline_share = b->share_mean;
    out->zscore = sd > 0 ? (share - b->share_mean) / sd : 0.0;
    out->ratio = b->neg_mean > 0 ? (double)s->negatives / b->neg_mean : 0.0;
    return bl_ready(bt, b) && s->count >= r->min_count && negatives_breach(r, s, bt, b);
}

int rule_inside(const alert_rule *r, const win_stats *s, const bl_table *bt, const bl_state *b) {
    return !negatives_breach(r, s, bt, b);
}

static const char *sev_names[] = {"info", "warning", "critical"};

const char *rule_severity_name(enum alert_severity s) { return (unsigned)s < 3 ? sev_names[s] : "?"; }

int rule_severity_parse(const char *s) {
    for (int i = 0; i < 3; i++)
        if (strcmp(s, sev_names[i]) == 0) return i;
    return -1;
}

const char *rule_scope_name(enum win_scope s) {
    switch (s) {
    case WIN_SCOPE_GLOBAL: return "global";
    case WIN_SCOPE_TOPIC: return "topic";
    case WIN_SCOPE_ENTITY: return "entity";
    case WIN_SCOPE_ENTITY_TOPIC: return "entity_topic";
    }
    return "?";
}

int rule_scope_parse(const char *s) {
    static const enum win_scope all[] = {WIN_SCOPE_GLOBAL, WIN_SCOPE_TOPIC, WIN_SCOPE_ENTITY, WIN_SCOPE_ENTITY_TOPIC};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, rule_scope_name(all[i])) == 0) return (int)all[i];
    return -1;
}
