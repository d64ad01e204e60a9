/* alerts — windows, rules, outbox and sinks wired together; see alerts.h. */
#include "alerts/alerts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/deliver.h"
#include "alerts/outbox.h"
#include "alerts/payload.h"
#include "util/crashpoint.h"
#include "util/errmsg.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* An alert that the outbox refused, kept until it can be written (with a
 * copy of its rule's sinks: a reload may free the rule meanwhile). */
typedef struct backlog_item {
    char id[ALERT_ID_LEN + 1];
    char *key, *body;
    char **sinks;
    int n_sinks;
} backlog_item;

struct alerts {
    alert_rule *rules;
    int n_rules;
    win_engine *win;
    bl_table *bt;
    as_engine *as;
    outbox *ob;
    deliverer *dlv;
    unsigned scopes;     /* window scopes aggregated: rules must use one */
    wh_latency latency;  /* webhook attempt durations, across reloads */
    dlv_counts dlv_base; /* delivery counts of deliverers replaced by reloads */
    wh_counts wh_base;
    backlog_item *backlog;
    int n_backlog, cap_backlog;
    int64_t events, bad_labels, windows_closed, outbox_errors;
    int put_failed; /* an outbox write failed during the current call */
    win_late_fn on_late;
    void *late_ud;
    const alerts_observer *observer;
    alerts_explain_fn explain;
    void *explain_ud;
    part_mute *mute;
    int64_t muted;
    /* what alerts_reset builds the engines again from */
    win_config win_cfg;
    bl_config bl_cfg;
    const alert_silence *silences;
    int n_silences;
    as_counts as_base; /* counts of the alert-state engines replaced by resets */
    int64_t late_base; /* late events of the window engines replaced by resets */
};

/* Writes one alert to the outbox; 0, or -1 leaving it to the caller. */
static int write_alert(alerts *a, const char *id, const char *key, const char *body, const char *const *sinks,
                       int n_sinks) {
    if (n_sinks == 0) return 0;
    if (outbox_put(a->ob, id, key, body, sinks, n_sinks, time_now_ms(), NULL) == 0) {
        crashpoint("outbox-written");
        return 0;
    }
    a->outbox_errors++;
    /* once per outage, not on every retry (each poll retries) */
    if (a->n_backlog == 0)
        log_error("alerts",
                  "outbox write failed: %s; alert %s and later ones kept in memory, input offsets not committed "
                  "until the outbox can be written",
                  outbox_error(a->ob), id);
    return -1;
}

static void push_backlog(alerts *a, const char *id, const char *key, char *body, const alert_rule *r) {
    if (a->n_backlog == a->cap_backlog) {
        a->cap_backlog = a->cap_backlog ? a->cap_backlog * 2 : 16;
        a->backlog = xrealloc(a->backlog, sizeof *a->backlog * (size_t)a->cap_backlog);
    }
    backlog_item *b = &a->backlog[a->n_backlog++];
    snprintf(b->id, sizeof b->id, "%s", id);
    b->key = xstrdup(key);
    b->body = body;
    b->n_sinks = r->n_sinks;
    b->sinks = xcalloc((size_t)(r->n_sinks ? r->n_sinks : 1), sizeof *b->sinks);
    for (int i = 0; i < r->n_sinks; i++) b->sinks[i] = xstrdup(r->sinks[i]);
}

static void free_backlog_item(backlog_item *b) {
    for (int i = 0; i < b->n_sinks; i++) free(b->sinks[i]);
    free(b->sinks);
    free(b->key);
    free(b->body);
}

/* Writes the backlog in order; stops at the first failure. */
static int flush_backlog(alerts *a) {
    int k = 0;
    while (k < a->n_backlog && write_alert(a, a->backlog[k].id, a->backlog[k].key, a->backlog[k].body,
                                           (const char *const *)a->backlog[k].sinks, a->backlog[k].n_sinks) == 0) {
        free_backlog_item(&a->backlog[k]);
        k++;
    }
    memmove(a->backlog, a->backlog + k, sizeof *a->backlog * (size_t)(a->n_backlog - k));
    a->n_backlog -= k;
    if (k > 0 && a->n_backlog == 0) log_warn("alerts", "outbox written again: %d alert(s) kept in memory are durable", k);
    return a->n_backlog == 0 ? 0 : -1;
}

static void on_alert(const alert *al, void *ud) {
    alerts *a = ud;
    if (a->mute && pm_muted(a->mute, al->key->name, al->window_end_ms)) {
        a->muted++;
        log_debug("alerts", "rebuild: %s %s on %s (id %s) was sent before",
                  al->status == ALERT_FIRING ? "firing" : "resolved", al->rule->name, al->key->name, al->id);
        return;
    }
    alert copy;
    alert_explain words;
    al = ax_attach(al, a->explain, a->explain_ud, &copy, &words); /* only here: never per event */
    if (a->observer && a->observer->on_alert) a->observer->on_alert(al, a->observer->ud);
    char *body = payload_alert_json(al);
    log_info("alerts", "%s %s on %s (id %s)", al->status == ALERT_FIRING ? "firing" : "resolved", al->rule->name,
             al->key->name, al->id);
    /* keep order: nothing jumps ahead of a backlog */
    if (a->n_backlog == 0 && write_alert(a, al->id, al->key->name, body, al->rule->sinks, al->rule->n_sinks) == 0) {
        free(body);
        return;
    }
    a->put_failed = 1;
    push_backlog(a, al->id, al->key->name, body, al->rule);
}

static void on_windows(const win_result *r, int n, void *ud) {
    alerts *a = ud;
    a->windows_closed += n;
    if (a->observer && a->observer->on_window)
        for (int i = 0; i < n; i++) {
            const bl_state *b = bl_get(a->bt, r[i].key->id);
            a->observer->on_window(&r[i], b, bl_ready(a->bt, b), a->observer->ud);
        }
    as_process(a->as, r, n);
}

static void on_late(const event *e, int missed, int total, void *ud) {
    alerts *a = ud;
    if (a->on_late) a->on_late(e, missed, total, a->late_ud);
}

static const char *sink_name(const alerts_sink *s) {
    return s->kind == ALERTS_SINK_KAFKA ? s->kafka.name : s->kind == ALERTS_SINK_FILE ? s->file.name : s->webhook.name;
}

static const alerts_sink *find_sink(const alerts_options *o, const char *name) {
    for (int i = 0; i < o->n_sinks; i++) {
        const char *n = sink_name(&o->sinks[i]);
        if (n && strcmp(n, name) == 0) return &o->sinks[i];
    }
    return NULL;
}

/* The rules against the sinks of o and the window scopes aggregated. */
static int check_rules(const alerts_options *o, unsigned scopes, char *err, size_t errlen) {
    const char *why;
    for (int i = 0; i < o->n_rules; i++) {
        const alert_rule *r = &o->rules[i];
        if ((why = rule_check(r)))
            return err_set(err, errlen, "rules[%d] (%s): %s", i, r->name ? r->name : "?", why);
        if (!(scopes & r->scope))
            return err_set(err, errlen, "rules[%d] (%s): scope %s is not aggregated by the windows", i, r->name,
                            rule_scope_name(r->scope));
        for (int s = 0; s < r->n_sinks; s++)
            if (!find_sink(o, r->sinks[s]))
                return err_set(err, errlen, "rules[%d] (%s): sink \"%s\" is not defined", i, r->name, r->sinks[s]);
    }
    return 0;
}

static int check_options(const alerts_options *o, char *err, size_t errlen) {
    const char *why;
    if ((why = win_config_check(&o->window))) return err_set(err, errlen, "window: %s", why);
    if ((why = bl_config_check(&o->baseline))) return err_set(err, errlen, "baseline: %s", why);
    if (!o->outbox_path || !o->outbox_path[0]) return err_set(err, errlen, "alerts: an outbox path is required");
    return check_rules(o, o->window.scopes, err, errlen);
}

/* A deliverer over ob with the sinks of o; NULL with the reason in err. */
static deliverer *make_deliverer(alerts *a, const alerts_options *o, char *err, size_t errlen) {
    deliverer *d = dlv_create(a->ob);
    dlv_set_latency(d, &a->latency);
    for (int i = 0; i < o->n_sinks; i++) {
        const alerts_sink *s = &o->sinks[i];
        int rc = s->kind == ALERTS_SINK_KAFKA  ? dlv_add_kafka(d, &s->kafka, err, errlen)
                 : s->kind == ALERTS_SINK_FILE ? dlv_add_file(d, s->file.name, s->file.path, err, errlen)
                                               : dlv_add_webhook(d, &s->webhook, err, errlen);
        if (rc < 0) {
            dlv_destroy(d, 0);
            return NULL;
        }
    }
    return d;
}

static alert_rule *copy_rules(const alerts_options *o) {
    alert_rule *r = xcalloc((size_t)(o->n_rules ? o->n_rules : 1), sizeof *r);
    if (o->n_rules > 0) memcpy(r, o->rules, sizeof *r * (size_t)o->n_rules);
    return r;
}

alerts *alerts_create(const alerts_options *o, char *err, size_t errlen) {
    if (check_options(o, err, errlen) < 0) return NULL;
    outbox *ob = outbox_open(o->outbox_path, err, errlen);
    if (!ob) return NULL;
    outbox_configure(ob, !o->outbox_no_fsync, o->outbox_max_bytes);
    alerts *a = xcalloc(1, sizeof *a);
    a->ob = ob;
    wh_latency_init(&a->latency);
    a->dlv = make_deliverer(a, o, err, errlen);
    if (!a->dlv) {
        alerts_destroy(a, 0);
        return NULL;
    }
    a->scopes = o->window.scopes;
    a->n_rules = o->n_rules;
    a->rules = copy_rules(o);
    a->bt = bl_create(&o->baseline);
    a->as = as_create(a->rules, a->n_rules, o->silences, o->n_silences, a->bt, on_alert, a);
    as_set_advance(a->as, o->window.advance_ms);
    a->on_late = o->on_late;
    a->late_ud = o->late_ud;
    a->observer = o->observer;
    a->explain = o->explain;
    a->explain_ud = o->explain_ud;
    a->win = win_create(&o->window, on_windows, on_late, a);
    a->win_cfg = o->window;
    a->bl_cfg = o->baseline;
    a->silences = o->silences;
    a->n_silences = o->n_silences;
    return a;
}

void alerts_reset(alerts *a) {
    as_counts c = as_get_counts(a->as);
    a->as_base.fired += c.fired;
    a->as_base.repeated += c.repeated;
    a->as_base.resolved += c.resolved;
    a->as_base.suppressed += c.suppressed;
    a->late_base += win_late_count(a->win);
    win_destroy(a->win);
    as_destroy(a->as);
    bl_destroy(a->bt);
    a->bt = bl_create(&a->bl_cfg);
    a->as = as_create(a->rules, a->n_rules, a->silences, a->n_silences, a->bt, on_alert, a);
    as_set_advance(a->as, a->win_cfg.advance_ms);
    a->win = win_create(&a->win_cfg, on_windows, on_late, a);
}

int alerts_reload(alerts *a, const alerts_options *o, char *err, size_t errlen) {
    if (check_rules(o, a->scopes, err, errlen) < 0) return -1;
    deliverer *d = make_deliverer(a, o, err, errlen);
    if (!d) return -1;
    alert_rule *rules = copy_rules(o);
    as_reload(a->as, rules, o->n_rules, o->silences, o->n_silences);
    a->silences = o->silences;
    a->n_silences = o->n_silences;
    free(a->rules);
    a->rules = rules;
    a->n_rules = o->n_rules;
    /* the old sinks stop; what they had not finished is still pending in
     * the outbox, and the new deliverer hands out every pending entry */
    if (dlv_flush_kafka(a->dlv, 2000) > 0)
        log_warn("alerts", "reload: Kafka sink messages unacknowledged after 2 s; the new sinks send them again");
    dlv_counts dc = dlv_get_counts(a->dlv);
    wh_counts wc = dlv_webhook_counts(a->dlv);
    dlv_destroy(a->dlv, 0);
    a->dlv = d;
    a->dlv_base.delivered += dc.delivered;
    a->dlv_base.failed += dc.failed;
    a->dlv_base.mark_errors += dc.mark_errors;
    a->wh_base.delivered += wc.delivered;
    a->wh_base.retries += wc.retries;
    a->wh_base.rejected += wc.rejected;
    a->wh_base.gave_up += wc.gave_up;
    return 0;
}

void alerts_destroy(alerts *a, int timeout_ms) {
    if (!a) return;
    win_destroy(a->win);
    as_destroy(a->as);
    bl_destroy(a->bt);
    dlv_destroy(a->dlv, timeout_ms);
    outbox_close(a->ob);
    for (int i = 0; i < a->n_backlog; i++) {
        log_error("alerts", "alert %s lost at shutdown: the outbox could not be written", a->backlog[i].id);
        free_backlog_item(&a->backlog[i]);
    }
    free(a->backlog);
    free(a->rules);
    free(a);
}

static int call_result(alerts *a) {
    int failed = a->put_failed;
    a->put_failed = 0;
    return failed ? -2 : 0;
}

int alerts_add(alerts *a, int source, const event *e, int64_t now_ms) {
    if (win_add_key(a->win, source, e, e->agg_key, now_ms) < 0) {
        a->bad_labels++;
        return -1;
    }
    a->events++;
    return call_result(a);
}

int alerts_observe(alerts *a, int source, int64_t ts_ms, int64_t now_ms) {
    win_observe(a->win, source, ts_ms, now_ms);
    return call_result(a);
}

int alerts_tick(alerts *a, int64_t now_ms) {
    win_tick(a->win, now_ms);
    return call_result(a);
}

int alerts_flush(alerts *a) {
    win_flush(a->win);
    return call_result(a);
}

int alerts_poll(alerts *a, int timeout_ms) {
    if (a->n_backlog > 0) flush_backlog(a);
    return dlv_poll(a->dlv, timeout_ms);
}

int alerts_drain(alerts *a, int64_t max_ms) {
    int64_t end = time_now_ms() + max_ms;
    do alerts_poll(a, 50);
    while ((dlv_pending(a->dlv) > 0 || a->n_backlog > 0) && time_now_ms() < end);
    return dlv_pending(a->dlv) + a->n_backlog;
}

int alerts_durable(const alerts *a) { return a->n_backlog == 0; }

alerts_metrics alerts_get_metrics(const alerts *a) {
    alerts_metrics m = {0};
    as_counts c = as_get_counts(a->as);
    dlv_counts d = dlv_get_counts(a->dlv);
    wh_counts w = dlv_webhook_counts(a->dlv);
    m.events = a->events;
    m.bad_labels = a->bad_labels;
    m.late_events = a->late_base + win_late_count(a->win);
    m.watermark_ms = win_watermark(a->win);
    m.windows_closed = a->windows_closed;
    m.keys = win_n_keys(a->win);
    m.fired = a->as_base.fired + c.fired;
    m.repeated = a->as_base.repeated + c.repeated;
    m.resolved = a->as_base.resolved + c.resolved;
    m.suppressed = a->as_base.suppressed + c.suppressed;
    m.muted = a->muted;
    m.outbox_errors = a->outbox_errors;
    m.backlog = a->n_backlog;
    m.pending = dlv_pending(a->dlv);
    m.delivered = a->dlv_base.delivered + d.delivered;
    m.failed = a->dlv_base.failed + d.failed;
    m.retries = a->wh_base.retries + w.retries;
    m.rejected = a->wh_base.rejected + w.rejected;
    m.gave_up = a->wh_base.gave_up + w.gave_up;
    return m;
}

void alerts_set_mute(alerts *a, part_mute *m) { a->mute = m; }

const wh_latency *alerts_webhook_latency(const alerts *a) { return &a->latency; }

const char *alerts_error(const alerts *a) { return outbox_error(a->ob); }

/* ---- checkpoints ---- */

void alerts_save(const alerts *a, cw *o) {
    cw_i64(o, a->win_cfg.size_ms);
    cw_i64(o, a->win_cfg.advance_ms);
    cw_u32(o, a->win_cfg.scopes);
    cw_u32(o, (uint32_t)a->win_cfg.top_k);
    win_save(a->win, o);
    bl_save(a->bt, o);
    as_save(a->as, o);
}

int alerts_load(alerts *a, cr *in, int64_t now_ms, char *err, size_t errlen) {
    int64_t size = cr_i64(in), advance = cr_i64(in);
    uint32_t scopes = cr_u32(in), top_k = cr_u32(in);
    if (!cr_ok(in)) return err_set(err, errlen, "alert state: %s", in->err);
    if (size != a->win_cfg.size_ms || advance != a->win_cfg.advance_ms || scopes != a->win_cfg.scopes ||
        top_k != (uint32_t)a->win_cfg.top_k) {
        err_set(err, errlen,
                "it was written with other windows (size %lld ms, advance %lld ms, key scopes %u, %u samples; "
                "the config has %lld, %lld, %u, %d)",
                (long long)size, (long long)advance, scopes, top_k, (long long)a->win_cfg.size_ms,
                (long long)a->win_cfg.advance_ms, a->win_cfg.scopes, a->win_cfg.top_k);
        return 1;
    }
    int dropped = 0;
    if (win_load(a->win, in, now_ms) < 0 || bl_load(a->bt, in, win_n_keys(a->win)) < 0 ||
        as_load(a->as, in, a->win, &dropped) < 0) {
        err_set(err, errlen, "alert state: %s", in->err);
        alerts_reset(a);
        return -1;
    }
    if (dropped > 0)
        log_warn("alerts", "restore: %d open alert(s) of rules no longer configured were dropped (not resolved)",
                 dropped);
    return 0;
}

void alerts_hold(alerts *a, int source, int held, int64_t now_ms) { win_hold(a->win, source, held, now_ms); }
