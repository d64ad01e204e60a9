/* pipeline — ingest → classify → alerts, wired with bounded queues and
 * threads; the one code path behind run, replay, backtest and demo.
 *
 *   source thread ──q_in──▶ classify thread ──q_out──▶ caller's thread
 *   (pl_source.next)        (batches by count      (alerts_add, acks when
 *                            or max wait)            windows close, delivery)
 *
 * Back-pressure: both queues are bounded, so a slow stage stalls the one
 * before it; a Kafka source pauses its partitions (ingest/consumer.h).
 *
 * Durability: an event is released to its source once it is counted in
 * its windows, and acknowledged (its offset may be committed) once every
 * window it belongs to has closed and the alerts those windows fired are
 * in the outbox. A crash therefore re-reads exactly the events of windows
 * that were still open.
 *
 * Memory under overload: the events waiting for their windows to close are
 * held as runs (app/pending_acks.h), at most max_pending_runs of them; past
 * the bound, runs are folded together and acknowledged when the later of
 * their windows closes, so memory stays flat whatever the rate and the
 * window span. */
#ifndef FINSENT_PIPELINE_H
#define FINSENT_PIPELINE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts/alerts.h"
#include "app/checkpoint.h"
#include "classify/classifier.h"
#include "util/codec.h"
#include "util/event.h"
#include "util/metrics.h"

typedef struct pipeline pipeline;

/* Called once per partition a source reads, with held 1 while it has lag
 * (messages not yet read, or read and not yet counted). */
typedef void (*pl_lag_fn)(void *ud, const char *topic, int32_t partition, int held);

/* Called once per input partition whose records have stopped coming
 * through another stage (the aggregate role: the classify group is behind
 * on it and does not move). */
typedef void (*pl_stall_fn)(void *ud, const char *in_topic, int32_t in_partition);

/* Where events come from. Callbacks run on the source thread (next) or
 * the caller's thread (release, ack); ctx is the source's own. */
typedef struct pl_source {
    /* Up to max events into out, waiting up to timeout_ms. Returns the
     * number (>= 0), or -1 at the end of the input (replays). A partition's
     * events come in offset order (read again from a lower offset only
     * after a rebalance): acks cover runs of offsets. */
    int (*next)(void *ctx, event **out, int max, int timeout_ms);
    /* The event is counted in its windows; may be NULL. */
    void (*release)(void *ctx, const event *e);
    /* The effects of every event of the partition with an offset in
     * [first, last] that the pipeline counted in its windows are durable
     * (offsets between that the pipeline did not count, such as dead
     * letters, are not acknowledged by this); may be NULL. */
    void (*ack)(void *ctx, const char *topic, int32_t partition, int64_t first, int64_t last);
    /* The event cannot be counted (late): dead-letter it with the scored
     * event as payload, and acknowledge it once that is durable; may be
     * NULL (then it is only counted and logged). */
    void (*dead_letter)(void *ctx, const event *e, const char *detail);
    /* Called with the pipeline by pipeline_start before its threads start,
     * and with NULL by pipeline_free after they stopped (a source that
     * calls pipeline_restart, or hooks pipeline_resume_offset); may be NULL. */
    void (*attach)(void *ctx, pipeline *p);
    /* Calls fn for every partition it reads, with whether it has lag (a
     * partition with lag holds the watermark: it is never idle); from the
     * caller's thread every tick; may be NULL. */
    void (*lags)(void *ctx, pl_lag_fn fn, void *ud);
    /* After lags, calls fn for every input partition stalled upstream:
     * every watermark source fed by it (the aggregate role's pairs of that
     * input partition) is held as if it had lag, so that an upstream
     * outage longer than idle_timeout does not let the watermark pass its
     * records; may be NULL. */
    void (*stalled_inputs)(void *ctx, pl_stall_fn fn, void *ud);
    /* How many partition assignments took effect so far: before the first,
     * partitions restored or expected stay held; after each, lags are
     * asked again before another event is counted; may be NULL (with lags). */
    uint64_t (*assignments)(void *ctx);
    /* 1 while a dead letter of the partition for an offset below `below`
     * is not delivered (a checkpoint must not pass it); may be NULL. */
    int (*effects_pending)(void *ctx, const char *topic, int32_t partition, int64_t below);
    /* Serves dead-letter deliveries for up to timeout_ms, at shutdown once
     * next is no longer called (the last checkpoint waits for them); may
     * be NULL. */
    void (*flush_effects)(void *ctx, int timeout_ms);
    /* Checkpoints: the source's own state as of the events the pipeline
     * has released (not as of what it has read ahead), appended to each
     * checkpoint on the caller's thread; and read back by
     * pipeline_restore (0, or -1 with one line in err: nothing of it
     * kept). Both NULL, or both set. */
    void (*save)(void *ctx, cw *o);
    int (*load)(void *ctx, cr *in, char *err, size_t errlen);
    void *ctx;
} pl_source;

typedef struct pl_options {
    classifier *cls;        /* borrowed */
    alerts *alerts;         /* borrowed */
    int64_t window_size_ms; /* the alerts' window size and advance, to know */
    int64_t window_advance_ms; /* when an event's last window closes */
    int max_batch_wait_ms;  /* classify: wait at most this for a fuller batch */
    int batch_events;       /* classify: most events per batch */
    int queue_capacity;     /* each of q_in and q_out */
    int flush_at_end;       /* at the end of input close every window (replays) */
    int64_t drain_ms;       /* at the end, keep delivering alerts this long at most */
    /* Called at the top of every aggregation-loop iteration, on the thread
     * that owns the alerts engine (config reload); may be NULL. */
    void (*on_loop)(void *ud);
    void *loop_ud;
    size_t max_pending_runs; /* runs of events waiting for their windows (0: PEND_DEFAULT_MAX_RUNS) */
    double max_uncounted_share; /* pipeline_ready fails above this share of recent events not counted; 0: 1 */
    /* The classify role: scored events go to emit (which owns and
     * acknowledges them, e.g. app/scored_sink.h) instead of the alerts;
     * emit_poll runs on every loop. NULL: aggregate here. With cls NULL
     * (the aggregate role) events pass unscored: they come scored. */
    void (*emit)(void *ud, event *e);
    void (*emit_poll)(void *ud);
    void *emit_ud;
    /* Checkpoints (app/checkpoint.h): with a store, the stream state and
     * the offsets it covers are written every checkpoint_interval_ms, and
     * a partition's offsets are acknowledged to the source once a
     * checkpoint that covers them is durable (instead of when their
     * windows close). NULL: no checkpoints. */
    ckpt_store *ckpt;
    int64_t checkpoint_interval_ms;
    /* With ckpt: offsets are still acknowledged when their windows have
     * closed and their alerts are durable, not by checkpoints, and events
     * read again below a checkpoint's offsets wait for their windows too.
     * For the aggregate role, whose rebuild (a checkpoint dropped or
     * older than the commit) mutes what lies below the committed offset,
     * so that must have been sent. */
    int ack_on_close;
} pl_options;

typedef struct pl_stats {
    int64_t events_in, classified, aggregated, bad_labels, late_events, late_dead_lettered, acked;
    int64_t batches;
    int64_t q_in_depth, q_out_depth;
    int64_t pending_events, pending_runs, pending_folded; /* waiting for their windows; see pending_acks.h */
    int64_t first_ts_ms, last_ts_ms; /* event-time span seen */
    int64_t watermark_ms;            /* the alerts' watermark at the last loop */
    int64_t checkpoints, skipped;    /* checkpoints submitted; events read again below a restored offset, not counted */
    double seconds;                  /* wall time of the run so far */
} pl_stats;

/* Starts the source and classify threads. Never NULL. */
pipeline *pipeline_start(const pl_options *o, const pl_source *src);

/* pipeline_start in two steps, so that a checkpoint can be restored in
 * between: pipeline_create sets up (no thread runs, no callback is
 * called), pipeline_go attaches the source and starts the threads. */
pipeline *pipeline_create(const pl_options *o, const pl_source *src);
void pipeline_go(pipeline *p);

/* Restores a checkpoint's payload (what the pipeline wrote to o->ckpt)
 * into a created pipeline and its alerts engine: the partitions' offsets
 * and the stream state. Returns 0; 1 when the state does not apply to
 * this config (other window settings: err says why, nothing restored);
 * -1 when it is corrupt (err says what; nothing restored). */
int pipeline_restore(pipeline *p, const unsigned char *payload, size_t len, char *err, size_t errlen);

/* The offset a partition restored from a checkpoint starts at, the first
 * time it is assigned (-1: not restored, or assigned before: its
 * committed offset). For the source's consumer (an ingest_start_fn); on
 * the source thread only. */
int64_t pipeline_resume_offset(void *p, const char *topic, int32_t partition);

/* Declares a Kafka partition before its first event, so that it holds the
 * watermark back until it has been read (or goes idle). */
void pipeline_expect_partition(pipeline *p, const char *topic, int32_t partition);

/* The same for scored records (the aggregate role), whose event time is in
 * order per input partition within one scored partition: each (input
 * partition, scored partition) pair is a watermark source. */
void pipeline_expect_scored(pipeline *p, const char *in_topic, int32_t in_partition, int32_t scored_partition);

/* A watermark source of pipeline_restart: (input partition, scored
 * partition), as for pipeline_expect_scored. */
typedef struct pl_scored_pair {
    const char *in_topic;
    int32_t in_partition, scored_partition;
} pl_scored_pair;

/* The aggregate role's rebalance (no classifier: cls NULL), from the
 * source thread (inside pl_source.next) before it hands out any event of
 * the new assignment: waits until the aggregation loop has counted every
 * event queued before this call, then starts the windows, baselines and
 * alert state (alerts_reset), the pending acknowledgements (dropped,
 * unacknowledged: read again) and the watermark sources empty, and
 * expects the n pairs. Returns 0, at once when the pipeline is stopping.
 *
 * The first call after pipeline_restore keeps the restored state instead
 * and returns 1, when the pairs' scored partitions are exactly the
 * checkpoint's (the static assignment of the same instance): its
 * partitions then start at the checkpoint's offsets. Other partitions
 * (aggregate.instances changed) drop the restored state and its offsets
 * with a warning, and return 0: the source then rebuilds them. */
int pipeline_restart(pipeline *p, const pl_scored_pair *pairs, int n);

/* Runs the aggregation loop on the calling thread until the source ends
 * (then, with flush_at_end, every window closes and deliveries drain for
 * up to drain_ms) or *stop becomes non-zero (then the stages drain what is
 * queued, and unacknowledged offsets stay uncommitted). Returns 0, or 1
 * when classification failed. */
int pipeline_run(pipeline *p, volatile sig_atomic_t *stop);

/* The alerts engine's late-event callback (win_late_fn) for this
 * pipeline: an event whose every window had closed is dead-lettered
 * through the source instead of being acknowledged with its windows. */
void pipeline_on_late(const event *e, int missed, int total, void *p);

/* Joins the threads and frees; call after pipeline_run. */
void pipeline_free(pipeline *p);

/* A consistent-enough snapshot; thread-safe. */
pl_stats pipeline_get_stats(pipeline *p);

/* An http_endpoint ready check (arg: the pipeline): fails while more than
 * max_uncounted_share of recent events were not counted (app/uncounted.h). */
int pipeline_ready(void *p, char *buf, size_t len);

/* Prometheus collector (arg: the pipeline). */
void pipeline_collect(metrics_writer *w, void *arg);

#endif
