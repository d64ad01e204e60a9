/* alerts — the aggregation and alerting stage, as one object to wire.
 *
 *   events ─▶ windows (window.h) ─▶ rules + life cycle (alert_state.h,
 *   baseline.h) ─▶ durable outbox (outbox.h) ─▶ sinks (webhook.h, kafka_sink.h)
 *
 * Single-threaded and caller-driven: the pipeline calls alerts_add for
 * every scored event (and alerts_observe / alerts_tick so that idle
 * partitions do not hold windows open), and calls alerts_poll from its loop
 * to move alerts to the sinks; alerts_poll blocks at most its timeout.
 * There is no internal thread. An alert is in the outbox (fsync'd) before
 * alerts_add returns; if the outbox cannot be written (disk full), the
 * alert is kept in memory and written again on the next alerts_poll, and
 * alerts_durable() is 0 until it is: the caller must not commit input
 * offsets meanwhile. */
#ifndef FINSENT_ALERTS_H
#define FINSENT_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "alerts/alert_explain.h"
#include "alerts/alert_state.h"
#include "alerts/baseline.h"
#include "alerts/kafka_sink.h"
#include "alerts/part_mute.h"
#include "alerts/rules.h"
#include "alerts/webhook.h"
#include "alerts/window.h"
#include "util/event.h"

enum alerts_sink_kind { ALERTS_SINK_WEBHOOK = 0, ALERTS_SINK_KAFKA, ALERTS_SINK_FILE };

typedef struct alerts_sink {
    enum alerts_sink_kind kind;
    wh_config webhook; /* kind WEBHOOK (its name is the sink's name) */
    ks_config kafka;   /* kind KAFKA */
    struct {
        const char *name, *path;
    } file; /* kind FILE (file_sink.h) */
} alerts_sink;

typedef struct alerts_options {
    win_config window;
    bl_config baseline;
    const alert_rule *rules; /* copied shallowly: strings must outlive the alerts object */
    int n_rules;
    const alert_silence *silences;
    int n_silences;
    const alerts_sink *sinks;
    int n_sinks;
    const char *outbox_path;
    int outbox_no_fsync;      /* config outbox.fsync false (see outbox_configure) */
    int64_t outbox_max_bytes; /* config outbox.max_bytes; 0: no cap */
    win_late_fn on_late; /* late events (dead-letter them); may be NULL */
    void *late_ud;
    const struct alerts_observer *observer; /* may be NULL; borrowed */
    alerts_explain_fn explain; /* words of the samples of each alert sent with samples (alert_explain.h); NULL: none */
    void *explain_ud;
} alerts_options;

/* Watches the engine for back-test reports and tests; either callback may
 * be NULL. Both run inside alerts_add / alerts_observe / alerts_tick /
 * alerts_flush on the caller's thread. */
typedef struct alerts_observer {
    /* A closed window, with the key's baseline as the rules saw it (before
     * this window is folded in) and whether that baseline was past warm-up. */
    void (*on_window)(const win_result *r, const bl_state *baseline, int baseline_ready, void *ud);
    /* An alert handed to the outbox: fired, sent again, or resolved. */
    void (*on_alert)(const alert *al, void *ud);
    void *ud;
} alerts_observer;

typedef struct alerts_metrics {
    int64_t events, bad_labels, late_events;
    int64_t watermark_ms;
    int64_t windows_closed;
    int64_t keys; /* aggregation keys seen (what a checkpoint holds state for) */
    int64_t fired, repeated, resolved, suppressed;
    int64_t muted;                  /* transitions sent before a rebuild (alerts_set_mute), not written again */
    int64_t outbox_errors, backlog; /* failed outbox writes; alerts waiting for the outbox */
    int64_t pending;                /* outbox entries not yet delivered everywhere */
    int64_t delivered, failed;      /* per (alert, sink) */
    int64_t retries, rejected, gave_up; /* webhook */
} alerts_metrics;

typedef struct alerts alerts;

/* Validates the options, opens (and replays) the outbox and creates the
 * sinks; undelivered alerts from a previous run are delivered by the next
 * polls. NULL with a one-line reason in err (the bad rule, sink or field). */
alerts *alerts_create(const alerts_options *o, char *err, size_t errlen);
/* Swaps in the rules, silences and sinks of o, keeping windows, baselines,
 * open alerts and the outbox (o's window, baseline, outbox path and
 * callbacks are ignored: they cannot change on a live engine). Open
 * alerts follow as_reload: a rule kept by name keeps its alerts and ids;
 * an alert whose rule is gone is resolved through the old rule's sinks.
 * The old sinks stop (Kafka sinks get up to 2 s to be acknowledged);
 * every outbox entry still pending, older ones included, goes to the new
 * sinks by name (a pending delivery to a sink name that is gone is marked
 * failed, "unknown sink", as after a restart). Rule strings are borrowed
 * as in alerts_create; the old ones may be freed once this returns.
 * Returns 0, or -1 with a one-line reason in err and nothing changed (a
 * rule on a scope the windows do not aggregate, an undefined sink, a sink
 * that cannot be created). */
int alerts_reload(alerts *a, const alerts_options *o, char *err, size_t errlen);

/* Flushes Kafka sinks for up to timeout_ms, then frees everything; what is
 * undelivered stays in the outbox for the next run. */
void alerts_destroy(alerts *a, int timeout_ms);

/* Counts a scored event from source (partition index) at processing time
 * now_ms under each of its keys, or only under e->agg_key when that is set
 * (a scored record of the aggregate role, see win_add_key); windows that
 * close fire their alerts into the outbox. Returns 0,
 * -1 when the sentiment label is unknown (not counted: dead-letter it), or
 * -2 when an alert could not be written to the outbox (alerts_error(); it
 * is kept and retried). */
int alerts_add(alerts *a, int source, const event *e, int64_t now_ms);
/* A source reached event time ts_ms without an event (see win_observe). */
int alerts_observe(alerts *a, int source, int64_t ts_ms, int64_t now_ms);
/* Lets idle sources go (see win_tick); call now and then from the loop. */
int alerts_tick(alerts *a, int64_t now_ms);
/* Closes every open window (end of a replay). */
int alerts_flush(alerts *a);

/* Starts the windows, baselines and alert state empty again (the
 * aggregate role after a rebalance rebuilds them from the scored topic),
 * with the current rules and silences; the outbox, its pending deliveries,
 * the backlog, the sinks and the counters are kept. */
void alerts_reset(alerts *a);

/* Writes back-logged alerts, hands new outbox entries to the sinks and
 * drives deliveries for up to timeout_ms. Returns deliveries finished. */
int alerts_poll(alerts *a, int timeout_ms);
/* Polls until nothing is pending or max_ms passed; returns entries left. */
int alerts_drain(alerts *a, int64_t max_ms);
/* The aggregate role's rebuild mute (borrowed; NULL: none): a transition
 * (fired, sent again, resolved) of a key at a window end that pm_muted
 * says was durable before is neither written to the outbox nor shown to
 * the observer; windows, baselines and alert state follow it as usual. */
void alerts_set_mute(alerts *a, part_mute *m);

/* 1 when every alert fired so far is in the outbox. */
int alerts_durable(const alerts *a);

alerts_metrics alerts_get_metrics(const alerts *a);
/* Webhook attempt durations by outcome, across reloads; the histograms
 * are lock-free, so another thread may read them (metrics endpoint). */
const wh_latency *alerts_webhook_latency(const alerts *a);
/* The last outbox error, "" when none. */
/* A source has lag (held 1) or not: see win_hold. */
void alerts_hold(alerts *a, int source, int held, int64_t now_ms);

/* Writes the engine's stream state — windows, watermark sources, baselines
 * and open alerts, with the window settings they depend on — to o.
 * Nothing of the outbox: what was fired is there already. Can't fail. */
void alerts_save(const alerts *a, cw *o);
/* Restores what alerts_save wrote into a new engine (nothing added yet);
 * sources count as seen at now_ms. Returns 0; 1 when the state was
 * written with other window settings (size, advance, key scopes, samples:
 * the state does not apply; err says why, the engine is untouched); -1
 * when it is corrupt (err says where; the engine is reset to empty). */
int alerts_load(alerts *a, cr *in, int64_t now_ms, char *err, size_t errlen);

const char *alerts_error(const alerts *a);

#endif
