/* backtest_collect — windows and alerts of a replay for the report; see
 * backtest_collect.h. */
#include "app/backtest_collect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

typedef struct bt_key {
    char *name;
    report_window *windows;
    int n_windows, cap_windows;
    report_alert *alerts;
    int n_alerts, cap_alerts;
} bt_key;

struct bt_collect {
    alerts_observer obs;
    bt_key *keys; /* indexed by win_key.id */
    int n_keys;
    report_series *series;
};

static bt_key *key_of(bt_collect *c, const win_key *k) {
    if ((int)k->id >= c->n_keys) {
        int n = (int)k->id + 1;
        c->keys = xrealloc(c->keys, sizeof *c->keys * (size_t)n);
        memset(c->keys + c->n_keys, 0, sizeof *c->keys * (size_t)(n - c->n_keys));
        c->n_keys = n;
    }
    bt_key *b = &c->keys[k->id];
    if (!b->name) b->name = xstrdup(k->name);
    return b;
}

static void on_window(const win_result *r, const bl_state *b, int ready, void *ud) {
    bt_key *k = key_of(ud, r->key);
    if (k->n_windows == k->cap_windows) {
        k->cap_windows = k->cap_windows ? k->cap_windows * 2 : 64;
        k->windows = xrealloc(k->windows, sizeof *k->windows * (size_t)k->cap_windows);
    }
    int64_t n = r->stats.count;
    k->windows[k->n_windows++] = (report_window){
        .start_ms = r->start_ms,
        .end_ms = r->end_ms,
        .count = n,
        .negatives = r->stats.negatives,
        .negative_share = n ? (double)r->stats.negatives / (double)n : 0,
        .has_baseline = ready,
        .baseline_mean = b->share_mean,
        .baseline_std = sqrt(b->share_var > 0 ? b->share_var : 0),
    };
}

/* Copies of n words of an alert's explanation (why: start and end 0). */
static report_word *copy_words(const ax_word *w, int n) {
    report_word *r = xcalloc((size_t)n + 1, sizeof *r);
    for (int i = 0; i < n; i++) r[i] = (report_word){xstrdup(w[i].word), w[i].start, w[i].end, w[i].weight};
    return r;
}

static report_word *copy_why(const ax_why *w, int n) {
    report_word *r = xcalloc((size_t)n + 1, sizeof *r);
    for (int i = 0; i < n; i++) r[i] = (report_word){xstrdup(w[i].word), 0, 0, w[i].weight};
    return r;
}

static void free_words(const report_word *w, int n) {
    for (int i = 0; i < n; i++) free((char *)w[i].word);
    free((report_word *)w);
}

static void on_alert(const alert *al, void *ud) {
    bt_key *k = key_of(ud, al->key);
    if (k->n_alerts == k->cap_alerts) {
        k->cap_alerts = k->cap_alerts ? k->cap_alerts * 2 : 8;
        k->alerts = xrealloc(k->alerts, sizeof *k->alerts * (size_t)k->cap_alerts);
    }
    const alert_explain *x = al->explain;
    report_sample *samples = xcalloc((size_t)al->n_samples + 1, sizeof *samples);
    for (int i = 0; i < al->n_samples; i++) {
        const win_sample *s = &al->samples[i];
        samples[i] = (report_sample){xstrdup(s->id), xstrdup(s->source), s->ts_ms, xstrdup(s->text), s->p_negative,
                                     x ? copy_words(x->words[i], x->n_words[i]) : NULL, x ? x->n_words[i] : 0};
    }
    k->alerts[k->n_alerts++] = (report_alert){
        .id = xstrdup(al->id),
        .rule = xstrdup(al->rule->name),
        .status = al->status == ALERT_FIRING ? REPORT_FIRING : REPORT_RESOLVED,
        .window_start_ms = al->window_start_ms,
        .window_end_ms = al->window_end_ms,
        .severity = rule_severity_name(al->severity),
        .count = al->counts.count,
        .negatives = al->counts.negatives,
        .negative_share = al->stats.negative_share,
        .baseline_share = al->stats.baseline_share,
        .zscore = al->rule->zscore > 0 ? al->stats.zscore : 0,
        .ratio = al->rule->ratio > 0 ? al->stats.ratio : 0,
        .samples = samples,
        .n_samples = al->n_samples,
        .why = x ? copy_why(x->why, x->n_why) : NULL,
        .n_why = x ? x->n_why : 0,
    };
}

bt_collect *bt_collect_new(void) {
    bt_collect *c = xcalloc(1, sizeof *c);
    c->obs = (alerts_observer){.on_window = on_window, .on_alert = on_alert, .ud = c};
    return c;
}

const alerts_observer *bt_collect_observer(bt_collect *c) { return &c->obs; }

const report_series *bt_collect_series(bt_collect *c, int *n) {
    free(c->series);
    c->series = xcalloc((size_t)c->n_keys + 1, sizeof *c->series);
    int m = 0;
    for (int i = 0; i < c->n_keys; i++) {
        const bt_key *k = &c->keys[i];
        if (!k->name) continue;
        c->series[m++] = (report_series){k->name, k->windows, k->n_windows, k->alerts, k->n_alerts};
    }
    *n = m;
    return c->series;
}

void bt_collect_free(bt_collect *c) {
    if (!c) return;
    for (int i = 0; i < c->n_keys; i++) {
        bt_key *k = &c->keys[i];
        for (int j = 0; j < k->n_alerts; j++) {
            report_alert *a = &k->alerts[j];
            for (int s = 0; s < a->n_samples; s++) {
                free((char *)a->samples[s].id);
                free((char *)a->samples[s].source);
                free((char *)a->samples[s].text);
                free_words(a->samples[s].words, a->samples[s].n_words);
            }
            free_words(a->why, a->n_why);
            free((report_sample *)a->samples);
            free((char *)a->id);
            free((char *)a->rule);
        }
        free(k->alerts);
        free(k->windows);
        free(k->name);
    }
    free(c->keys);
    free(c->series);
    free(c);
}
