/* alert_state — firing, repeat, resolve and silences; see alert_state.h. */
#include "alerts/alert_state.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/codec.h"
#include "util/xalloc.h"

typedef struct as_state {
    alert a;
    int rule_idx;
    int clear;              /* consecutive windows the rule did not hold */
    int64_t last_sent_end;  /* window end of the last send (or suppressed send) */
    int64_t last_eval_end;  /* window end of the last evaluation */
} as_state;

struct as_engine {
    const alert_rule *rules;
    int n_rules;
    const alert_silence *silences;
    int n_silences;
    bl_table *bt;
    as_emit_fn emit;
    void *ud;
    as_state ***by_key; /* [rule][key id] -> open alert or NULL */
    uint32_t *by_key_cap;
    as_state **firing;
    int n_firing, firing_cap;
    as_counts counts;
    int64_t advance_ms; /* window advance; 0: unknown (only emitted ends count) */
};

void as_set_advance(as_engine *as, int64_t advance_ms) { as->advance_ms = advance_ms; }

void as_alert_id(const char *rule, const char *key, int64_t start_ms, char *id) {
    char *in = xasprintf("%s\n%s\n%lld", rule, key, (long long)start_ms);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(in, strlen(in), md, &len, EVP_sha256(), NULL);
    free(in);
    for (int i = 0; i < ALERT_ID_LEN / 2; i++) sprintf(id + 2 * i, "%02x", md[i]);
    id[ALERT_ID_LEN] = 0;
}

as_engine *as_create(const alert_rule *rules, int n_rules, const alert_silence *silences, int n_silences,
                     bl_table *bt, as_emit_fn emit, void *ud) {
    as_engine *as = xcalloc(1, sizeof *as);
    as->rules = rules;
    as->n_rules = n_rules;
    as->silences = silences;
    as->n_silences = n_silences;
    as->bt = bt;
    as->emit = emit;
    as->ud = ud;
    as->by_key = xcalloc((size_t)(n_rules ? n_rules : 1), sizeof *as->by_key);
    as->by_key_cap = xcalloc((size_t)(n_rules ? n_rules : 1), sizeof *as->by_key_cap);
    return as;
}

void as_destroy(as_engine *as) {
    if (!as) return;
    for (int i = 0; i < as->n_firing; i++) free(as->firing[i]);
    for (int i = 0; i < as->n_rules; i++) free(as->by_key[i]);
    free(as->by_key);
    free(as->by_key_cap);
    free(as->firing);
    free(as);
}

static as_state **slot_of(as_engine *as, int rule, uint32_t key_id) {
    if (key_id >= as->by_key_cap[rule]) {
        uint32_t cap = as->by_key_cap[rule] ? as->by_key_cap[rule] : 64;
        while (cap <= key_id) cap *= 2;
        as->by_key[rule] = xrealloc(as->by_key[rule], sizeof **as->by_key * cap);
        memset(as->by_key[rule] + as->by_key_cap[rule], 0, sizeof **as->by_key * (cap - as->by_key_cap[rule]));
        as->by_key_cap[rule] = cap;
    }
    return &as->by_key[rule][key_id];
}

static int silenced(const as_engine *as, const alert *a) {
    for (int i = 0; i < as->n_silences; i++) {
        const alert_silence *s = &as->silences[i];
        if (s->rule && strcmp(s->rule, a->rule->name) != 0) continue;
        if (s->key && strcmp(s->key, a->key->name) != 0) continue;
        if (a->window_end_ms < s->until_ms) return 1;
    }
    return 0;
}

static void deliver(as_engine *as, const alert *a) {
    if (silenced(as, a)) as->counts.suppressed++;
    else as->emit(a, as->ud);
}

static void fill_window(alert *a, const win_result *r, const rule_eval *ev) {
    a->window_start_ms = r->start_ms;
    a->window_end_ms = r->end_ms;
    a->counts = r->stats;
    a->stats = *ev;
    a->n_samples = r->n_samples;
    if (r->n_samples > 0) memcpy(a->samples, r->samples, sizeof *r->samples * (size_t)r->n_samples);
}

static void resolve(as_engine *as, as_state *st) {
    st->a.status = ALERT_RESOLVED;
    st->a.n_samples = 0;
    as->counts.resolved++;
    deliver(as, &st->a);
    *slot_of(as, st->rule_idx, st->a.key->id) = NULL;
    for (int i = 0; i < as->n_firing; i++)
        if (as->firing[i] == st) {
            as->firing[i] = as->firing[--as->n_firing];
            break;
        }
    free(st);
}

/* Evaluates rule ri on a closed window. Returns 1 when the key's baseline
 * must hold on this window: the rule held, or its alert was open. */
static int on_window(as_engine *as, int ri, const win_result *r) {
    const alert_rule *rule = &as->rules[ri];
    rule_eval ev;
    const bl_state *b = bl_get(as->bt, r->key->id);
    int holds = rule_holds(rule, &r->stats, as->bt, b, &ev);
    as_state **slot = slot_of(as, ri, r->key->id);
    as_state *st = *slot;
    if (!st && !holds) return 0;
    if (!st) {
        st = xcalloc(1, sizeof *st);
        st->rule_idx = ri;
        st->a.version = ALERT_VERSION;
        st->a.rule = rule;
        st->a.key = r->key;
        st->a.severity = rule->severity;
        as_alert_id(rule->name, r->key->name, r->start_ms, st->a.id);
        fill_window(&st->a, r, &ev);
        st->a.first_start_ms = r->start_ms;
        st->a.first_end_ms = r->end_ms;
        st->a.first_counts = r->stats;
        st->a.first_stats = ev;
        st->last_sent_end = st->last_eval_end = r->end_ms;
        *slot = st;
        if (as->n_firing == as->firing_cap) {
            as->firing_cap = as->firing_cap ? as->firing_cap * 2 : 16;
            as->firing = xrealloc(as->firing, sizeof *as->firing * (size_t)as->firing_cap);
        }
        as->firing[as->n_firing++] = st;
        as->counts.fired++;
        deliver(as, &st->a);
        return 1;
    }
    st->last_eval_end = r->end_ms;
    if (holds) {
        st->clear = 0;
        fill_window(&st->a, r, &ev);
        if (rule->repeat_interval_ms > 0 && r->end_ms - st->last_sent_end >= rule->repeat_interval_ms) {
            st->last_sent_end = r->end_ms;
            as->counts.repeated++;
            deliver(as, &st->a);
        }
        return 1;
    }
    st->a.window_start_ms = r->start_ms;
    st->a.window_end_ms = r->end_ms;
    st->a.counts = r->stats;
    st->a.stats = ev;
    if (!rule_inside(rule, &r->stats, as->bt, b)) st->clear = 0;
    else if (++st->clear >= rule->resolve_after) resolve(as, st);
    return 1;
}

/* An open alert's key had no window ending at end: the alert takes the
 * empty window's figures (against the held baseline) and it counts as
 * inside the band. Returns 1 when that resolved it (st is freed). */
static int quiet_window(as_engine *as, as_state *st, int64_t start, int64_t end) {
    static const win_stats empty;
    st->last_eval_end = end;
    st->a.window_start_ms = start;
    st->a.window_end_ms = end;
    st->a.counts = empty;
    const alert_rule *rule = &as->rules[st->rule_idx];
    rule_holds(rule, &empty, as->bt, bl_get(as->bt, st->a.key->id), &st->a.stats);
    if (++st->clear < rule->resolve_after) return 0;
    resolve(as, st);
    return 1;
}

static int cmp_state(const void *x, const void *y) {
    const as_state *a = *(as_state *const *)x, *b = *(as_state *const *)y;
    if (a->rule_idx != b->rule_idx) return a->rule_idx - b->rule_idx;
    return strcmp(a->a.key->name, b->a.key->name);
}

/* Open alerts not evaluated at one or more window ends before `end` (no
 * batch was emitted there: no key of this engine had a window) count those
 * ends as quiet, as if an empty batch had been emitted at each; so that an
 * engine that owns only some keys (the aggregate role) resolves when one
 * that owns every key would. */
static void catch_up(as_engine *as, int64_t start, int64_t end) {
    int64_t adv = as->advance_ms, size = end - start;
    if (adv <= 0) return;
    int m = 0;
    as_state **late = xmalloc(sizeof *late * (size_t)(as->n_firing ? as->n_firing : 1));
    for (int i = 0; i < as->n_firing; i++)
        if (as->firing[i]->last_eval_end < end - adv) late[m++] = as->firing[i];
    qsort(late, (size_t)m, sizeof *late, cmp_state);
    for (int i = 0; i < m; i++) {
        as_state *st = late[i];
        for (int64_t e = st->last_eval_end + adv; e < end; e += adv)
            if (quiet_window(as, st, e - size, e)) break;
    }
    free(late);
}

void as_process(as_engine *as, const win_result *results, int n) {
    if (n <= 0) return;
    int64_t start = results[0].start_ms, end = results[0].end_ms;
    catch_up(as, start, end);
    for (int i = 0; i < n; i++) {
        int hold = 0;
        for (int ri = 0; ri < as->n_rules; ri++)
            if (as->rules[ri].scope == results[i].key->scope) hold |= on_window(as, ri, &results[i]);
        if (!hold) bl_update(as->bt, results[i].key->id, &results[i].stats);
    }
    /* open alerts whose key had no window at this end: the condition is false */
    int m = 0;
    for (int i = 0; i < as->n_firing; i++)
        if (as->firing[i]->last_eval_end != end) m++;
    if (m == 0) return;
    as_state **quiet = xmalloc(sizeof *quiet * (size_t)m);
    m = 0;
    for (int i = 0; i < as->n_firing; i++)
        if (as->firing[i]->last_eval_end != end) quiet[m++] = as->firing[i];
    qsort(quiet, (size_t)m, sizeof *quiet, cmp_state);
    for (int i = 0; i < m; i++) quiet_window(as, quiet[i], start, end);
    free(quiet);
}

/* Index of the rule in rules named like r with r's scope, or -1. */
static int find_rule(const alert_rule *rules, int n, const alert_rule *r) {
    for (int i = 0; i < n; i++)
        if (rules[i].scope == r->scope && strcmp(rules[i].name, r->name) == 0) return i;
    return -1;
}

void as_reload(as_engine *as, const alert_rule *rules, int n_rules, const alert_silence *silences, int n_silences) {
    /* resolve, in a stable order, the open alerts whose rule is gone */
    int m = 0;
    as_state **gone = xmalloc(sizeof *gone * (size_t)(as->n_firing ? as->n_firing : 1));
    for (int i = 0; i < as->n_firing; i++)
        if (find_rule(rules, n_rules, &as->rules[as->firing[i]->rule_idx]) < 0) gone[m++] = as->firing[i];
    qsort(gone, (size_t)m, sizeof *gone, cmp_state);
    for (int i = 0; i < m; i++) resolve(as, gone[i]);
    free(gone);

    /* the rest move to the new rules' slots */
    for (int i = 0; i < as->n_rules; i++) free(as->by_key[i]);
    free(as->by_key);
    free(as->by_key_cap);
    as->by_key = xcalloc((size_t)(n_rules ? n_rules : 1), sizeof *as->by_key);
    as->by_key_cap = xcalloc((size_t)(n_rules ? n_rules : 1), sizeof *as->by_key_cap);
    const alert_rule *old = as->rules;
    as->rules = rules;
    as->n_rules = n_rules;
    as->silences = silences;
    as->n_silences = n_silences;
    for (int i = 0; i < as->n_firing; i++) {
        as_state *st = as->firing[i];
        int ri = find_rule(rules, n_rules, &old[st->rule_idx]);
        st->rule_idx = ri;
        st->a.rule = &rules[ri];
        st->a.severity = rules[ri].severity;
        *slot_of(as, ri, st->a.key->id) = st;
    }
}

as_counts as_get_counts(const as_engine *as) { return as->counts; }
int as_n_firing(const as_engine *as) { return as->n_firing; }

/* ---- checkpoints ---- */

static void save_counts(cw *o, const win_stats *c) {
    cw_i64(o, c->count);
    cw_i64(o, c->negatives);
    cw_i64(o, c->neutrals);
    cw_i64(o, c->positives);
    cw_i64(o, c->score_micro);
}

static void load_counts(cr *in, win_stats *c) {
    c->count = cr_i64(in);
    c->negatives = cr_i64(in);
    c->neutrals = cr_i64(in);
    c->positives = cr_i64(in);
    c->score_micro = cr_i64(in);
}

void as_save(const as_engine *as, cw *o) {
    cw_u32(o, (uint32_t)as->n_firing);
    for (int i = 0; i < as->n_firing; i++) {
        const as_state *st = as->firing[i];
        const alert *a = &st->a;
        cw_str(o, a->rule->name);
        cw_u8(o, (uint8_t)a->rule->scope);
        cw_u32(o, a->key->id);
        cw_str(o, a->id);
        cw_i64(o, a->window_start_ms);
        cw_i64(o, a->window_end_ms);
        save_counts(o, &a->counts);
        cw_f64(o, a->stats.negative_share);
        cw_f64(o, a->stats.baseline_share);
        cw_f64(o, a->stats.zscore);
        cw_f64(o, a->stats.ratio);
        cw_i64(o, a->first_start_ms);
        cw_i64(o, a->first_end_ms);
        save_counts(o, &a->first_counts);
        cw_f64(o, a->first_stats.negative_share);
        cw_f64(o, a->first_stats.baseline_share);
        cw_f64(o, a->first_stats.zscore);
        cw_f64(o, a->first_stats.ratio);
        cw_u32(o, (uint32_t)a->n_samples);
        for (int k = 0; k < a->n_samples; k++) {
            const win_sample *sm = &a->samples[k];
            cw_str(o, sm->id);
            cw_str(o, sm->source);
            cw_i64(o, sm->ts_ms);
            cw_str(o, sm->text);
            cw_f32(o, sm->p_negative);
        }
        cw_u32(o, (uint32_t)st->clear);
        cw_i64(o, st->last_sent_end);
        cw_i64(o, st->last_eval_end);
    }
}

/* One saved open alert into as; 1 when its rule is no longer configured
 * (skipped), 0 when restored, -1 on a corrupt entry. */
static int load_one(as_engine *as, cr *in, const win_engine *w) {
    as_state tmp = {0};
    alert *a = &tmp.a;
    char rule[256];
    cr_strbuf(in, rule, sizeof rule);
    int scope = cr_u8(in);
    uint32_t key_id = cr_u32(in);
    cr_strbuf(in, a->id, sizeof a->id);
    a->window_start_ms = cr_i64(in);
    a->window_end_ms = cr_i64(in);
    load_counts(in, &a->counts);
    a->stats.negative_share = cr_f64(in);
    a->stats.baseline_share = cr_f64(in);
    a->stats.zscore = cr_f64(in);
    a->stats.ratio = cr_f64(in);
    a->first_start_ms = cr_i64(in);
    a->first_end_ms = cr_i64(in);
    load_counts(in, &a->first_counts);
    a->first_stats.negative_share = cr_f64(in);
    a->first_stats.baseline_share = cr_f64(in);
    a->first_stats.zscore = cr_f64(in);
    a->first_stats.ratio = cr_f64(in);
    a->n_samples = (int)cr_count(in, WIN_TOPK_MAX, 24);
    for (int k = 0; k < a->n_samples && cr_ok(in); k++) {
        win_sample *sm = &a->samples[k];
        cr_strbuf(in, sm->id, sizeof sm->id);
        cr_strbuf(in, sm->source, sizeof sm->source);
        sm->ts_ms = cr_i64(in);
        cr_strbuf(in, sm->text, sizeof sm->text);
        sm->p_negative = cr_f32(in);
    }
    uint32_t clear = cr_u32(in);
    tmp.last_sent_end = cr_i64(in);
    tmp.last_eval_end = cr_i64(in);
    if (!cr_ok(in)) return -1;
    const win_key *key = win_key_at(w, key_id);
    if (!key || (int)key->scope != scope) return cr_fail(in, "an open alert of an unknown key");
    int64_t times[] = {a->window_start_ms, a->window_end_ms, a->first_start_ms, a->first_end_ms, tmp.last_sent_end,
                       tmp.last_eval_end};
    for (size_t i = 0; i < sizeof times / sizeof *times; i++)
        if (!win_time_ok(times[i])) return cr_fail(in, "an open alert's time out of range");
    if (strlen(a->id) != ALERT_ID_LEN || a->window_end_ms <= a->window_start_ms ||
        a->first_end_ms <= a->first_start_ms || a->first_start_ms > a->window_start_ms || clear > 1000000 ||
        !win_stats_ok(&a->counts) || !win_stats_ok(&a->first_counts))
        return cr_fail(in, "an open alert with a bad id, window, count or counter");
    int ri = -1;
    for (int i = 0; i < as->n_rules && ri < 0; i++)
        if ((int)as->rules[i].scope == scope && strcmp(as->rules[i].name, rule) == 0) ri = i;
    if (ri < 0) return 1;
    as_state **slot = slot_of(as, ri, key_id);
    if (*slot) return cr_fail(in, "an open alert is saved twice");
    as_state *st = xmalloc(sizeof *st);
    *st = tmp;
    st->rule_idx = ri;
    st->clear = (int)clear;
    st->a.version = ALERT_VERSION;
    st->a.status = ALERT_FIRING;
    st->a.rule = &as->rules[ri];
    st->a.key = key;
    st->a.severity = as->rules[ri].severity;
    *slot = st;
    if (as->n_firing == as->firing_cap) {
        as->firing_cap = as->firing_cap ? as->firing_cap * 2 : 16;
        as->firing = xrealloc(as->firing, sizeof *as->firing * (size_t)as->firing_cap);
    }
    as->firing[as->n_firing++] = st;
    return 0;
}

int as_load(as_engine *as, cr *in, const win_engine *w, int *dropped) {
    uint32_t n = cr_count(in, 50000000u, 100);
    *dropped = 0;
    for (uint32_t i = 0; i < n && cr_ok(in); i++) {
        int rc = load_one(as, in, w);
        if (rc < 0) return -1;
        *dropped += rc;
    }
    return cr_ok(in) ? 0 : -1;
}
