/* pipeline — the threads and queues between ingest, classify and alerts;
 * see pipeline.h for the contract. */
#include "app/pipeline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/pending_acks.h"
#include "app/uncounted.h"
#include "util/codec.h"
#include "util/crashpoint.h"
#include "util/errmsg.h"
#include "util/log.h"
#include "util/queue.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define SOURCE_BATCH 64
#define AGG_BATCH 256
#define TICK_MS 500

/* A partition (or the one file) as a dense watermark source id. With
 * checkpoints it also carries the partition's offsets. */
typedef struct pl_origin {
    char *topic;
    int32_t partition;
    int64_t next;      /* the offset after the last event counted, -1 none */
    int64_t snap_next; /* next as of the checkpoint being written */
    int64_t acked_to;  /* offsets below are acknowledged to the source */
    int lag_round;     /* the lags round that last reported the partition */
    int held;          /* held by lag (alerts_hold) */
    int want_held;     /* what the lags round in progress says (valid when lag_round is current) */
    int32_t scored_partition; /* a scored pair's (the aggregate role): held with that partition; -1 */
    int is_mark;              /* a watermark source of the alerts engine (not just an offset keeper) */
} pl_origin;

/* A partition's offset in a restored checkpoint (pipeline_resume_offset). */
typedef struct pl_resume {
    char *topic;
    int32_t partition;
    int64_t offset;
    int used;
} pl_resume;

struct pipeline {
    pl_options o;
    pl_source src;
    queue *q_in, *q_out;
    pthread_t t_src, t_cls;
    atomic_int stopping;
    atomic_int cls_failed;
    int started; /* pipeline_go ran: the threads exist */

    /* counters: written by one thread, read by the metrics thread */
    _Atomic int64_t events_in, classified, batches, aggregated, bad_labels, acked, late_dead_lettered;
    _Atomic int64_t first_ts, last_ts;
    uncounted unc; /* recent events not counted (unknown sentiment label) */
    _Atomic int64_t pending_events, pending_runs, pending_folded; /* copies of pend's, for the stats */
    metrics_hist batch_size, classify_seconds;
    pthread_mutex_t snap_lock; /* guards alerts_snap */
    alerts_metrics alerts_snap;
    int64_t t0_ns;

    /* caller's thread only */
    int current_late; /* set by pipeline_on_late during alerts_add: the event missed every window */
    pl_origin *origins;
    int n_origins;
    pend_set pend; /* events counted in windows not all closed yet */
    int lag_round;
    uint64_t assignments_seen; /* the source's assignments as of the last lags round */
    uint64_t hold_until_gen;   /* holds wait until the source has made this many assignments */

    /* checkpoints (caller's thread; resume: the source thread, set before it starts) */
    uint64_t ckpt_seq;        /* the last submitted */
    int ckpt_writing;         /* submitted, not yet durable */
    int64_t next_ckpt_ms;
    int64_t handled;                         /* events taken by aggregate (counted, late or not countable) */
    int64_t ckpt_handled, ckpt_watermark;    /* as of the last checkpoint: nothing new, no checkpoint */
    _Atomic int64_t checkpoints, skipped;
    pl_resume *resume;
    int n_resume;
    int restored; /* a checkpoint was restored and no pipeline_restart has taken it yet */

    /* pipeline_restart: the source thread queues a marker and waits until
     * the aggregation loop has done restarts >= its ticket */
    pthread_mutex_t restart_mu;
    pthread_cond_t restart_cv;
    int64_t restarts_asked, restarts_done;
    const pl_scored_pair *restart_pairs; /* the waiting call's, valid until it returns */
    int restart_n;
    int restart_kept; /* the last restart kept the restored state */
    int run_over; /* pipeline_run returned: nobody serves a marker */
};

/* The marker pipeline_restart queues, never an event. */
static event restart_marker;

/* ---- source ids and the pending acknowledgements (caller's thread) ---- */

static int origin_find(const pipeline *p, const char *topic, int32_t partition) {
    for (int i = 0; i < p->n_origins; i++)
        if (p->origins[i].partition == partition && strcmp(p->origins[i].topic, topic) == 0) return i;
    return -1;
}

static int origin_id(pipeline *p, const char *topic, int32_t partition) {
    if (!topic) return 0;
    int i = origin_find(p, topic, partition);
    if (i >= 0) return i;
    p->origins = xrealloc(p->origins, sizeof *p->origins * (size_t)(p->n_origins + 1));
    p->origins[p->n_origins] = (pl_origin){.topic = xstrdup(topic), .partition = partition, .next = -1,
                                           .snap_next = -1, .acked_to = 0, .scored_partition = -1};
    return p->n_origins++;
}

/* A scored record's event time is in order only per (input partition,
 * scored partition): one watermark source for each pair. */
static int scored_mark_id(pipeline *p, const char *in_topic, int32_t in_partition, int32_t scored_partition) {
    char name[300];
    snprintf(name, sizeof name, "%s\x1f%d", in_topic, (int)scored_partition);
    int id = origin_id(p, name, in_partition);
    p->origins[id].scored_partition = scored_partition;
    return id;
}

/* End of the last window (by start) that contains ts. */
static int64_t last_window_end(const pl_options *o, int64_t ts) {
    int64_t adv = o->window_advance_ms;
    int64_t start = (ts >= 0 ? ts / adv : -((-ts + adv - 1) / adv)) * adv;
    return start + o->window_size_ms;
}

static void ack_run(void *arg, const pend_run *r) {
    pipeline *p = arg;
    if (p->src.ack) p->src.ack(p->src.ctx, p->origins[r->src].topic, p->origins[r->src].partition, r->first, r->last);
}

/* Acknowledges every pending event whose windows have all closed, once the
 * alerts they fired are durable. */
static void ack_closed(pipeline *p, int64_t watermark) {
    if (alerts_durable(p->o.alerts)) p->acked += pend_ack_closed(&p->pend, watermark, ack_run, p);
    p->pending_events = p->pend.events;
    p->pending_runs = (int64_t)pend_runs(&p->pend);
    p->pending_folded = p->pend.folded;
}


/* ---- lag (caller's thread) ---- */

/* A lags round first collects what each watermark source should be
 * (want_held, for the sources reported in this round), then applies it:
 * a source both caught up in its own partition and stalled upstream is
 * held once, not released and held again. */
static void want_held(pipeline *p, int id, int held) {
    pl_origin *o = &p->origins[id];
    if (!o->is_mark) return; /* the aggregate role's scored partition: its pairs are the sources */
    if (o->lag_round != p->lag_round) o->want_held = 0;
    o->lag_round = p->lag_round;
    o->want_held |= held;
}

/* A partition's lag holds its own watermark source and, in the aggregate
 * role (one scored topic), every (input partition, scored partition) pair
 * read through it. */
static void on_lag(void *ud, const char *topic, int32_t partition, int held) {
    pipeline *p = ud;
    want_held(p, origin_id(p, topic, partition), held);
    for (int i = 0; i < p->n_origins; i++)
        if (p->origins[i].scored_partition == partition) want_held(p, i, held);
}

/* An input partition stalled upstream holds every pair fed by it whose
 * scored partition was reported (is assigned) in this round. */
static void on_stall(void *ud, const char *in_topic, int32_t in_partition) {
    pipeline *p = ud;
    size_t len = strlen(in_topic);
    for (int i = 0; i < p->n_origins; i++) {
        pl_origin *o = &p->origins[i];
        if (o->scored_partition < 0 || o->partition != in_partition || o->lag_round != p->lag_round) continue;
        if (strncmp(o->topic, in_topic, len) == 0 && o->topic[len] == '\x1f') want_held(p, i, 1);
    }
}

/* Holds origin id (a partition restored or expected) until the source's
 * first assignment says whether it has lag. */
static void hold_until_assigned(pipeline *p, int id) {
    p->origins[id].is_mark = 1;
    if (!p->src.lags || p->origins[id].held) return;
    p->origins[id].held = 1;
    p->origins[id].lag_round = p->lag_round;
    alerts_hold(p->o.alerts, id, 1, time_now_ms());
}

/* Asks the source which partitions have lag (and which inputs are stalled
 * upstream); one no longer reported (not assigned any more) stops being
 * held. Before the source's first assignment nothing changes: every
 * partition restored or expected waits for it, however long joining the
 * group takes. */
static void update_lags(pipeline *p, int64_t now) {
    if (!p->src.lags) return;
    uint64_t gen = p->src.assignments ? p->src.assignments(p->src.ctx) : 1;
    if (gen < p->hold_until_gen) return; /* the assignment that holds are waiting for is not in effect yet */
    p->assignments_seen = gen;
    p->lag_round++;
    p->src.lags(p->src.ctx, on_lag, p);
    if (p->src.stalled_inputs) p->src.stalled_inputs(p->src.ctx, on_stall, p);
    for (int i = 0; i < p->n_origins; i++) {
        pl_origin *o = &p->origins[i];
        int held = o->lag_round == p->lag_round && o->want_held;
        if (o->held != held) {
            o->held = held;
            alerts_hold(p->o.alerts, i, held, now);
        }
    }
}

/* ---- checkpoints (caller's thread) ---- */

/* Offsets of origin o below `below` are acknowledged to the source. */
static void ack_below(pipeline *p, pl_origin *o, int64_t below) {
    if (below <= o->acked_to) return;
    if (p->src.ack) p->src.ack(p->src.ctx, o->topic, o->partition, o->acked_to, below - 1);
    o->acked_to = below;
}

/* The checkpoint being written is durable: its offsets are acknowledged. */
static void ckpt_collect(pipeline *p) {
    if (!p->ckpt_writing || ckpt_durable(p->o.ckpt) < p->ckpt_seq) return;
    p->ckpt_writing = 0;
    for (int i = 0; i < p->n_origins && !p->o.ack_on_close; i++)
        if (p->origins[i].snap_next >= 0) ack_below(p, &p->origins[i], p->origins[i].snap_next);
    crashpoint("checkpoint-acked"); /* acknowledged to the consumer, maybe not committed yet */
}

/* 1 when every side effect of what a checkpoint would cover is durable:
 * the alerts in the outbox, the dead letters delivered. */
static int effects_durable(pipeline *p) {
    if (!alerts_durable(p->o.alerts)) return 0;
    if (!p->src.effects_pending) return 1;
    for (int i = 0; i < p->n_origins; i++)
        if (p->origins[i].next >= 0 &&
            p->src.effects_pending(p->src.ctx, p->origins[i].topic, p->origins[i].partition, p->origins[i].next))
            return 0;
    return 1;
}

/* The checkpoint payload: the origins with their offsets, then the alerts
 * engine's stream state. */
static void ckpt_encode(pipeline *p, cw *o) {
    cw_u32(o, (uint32_t)p->n_origins);
    for (int i = 0; i < p->n_origins; i++) {
        cw_str(o, p->origins[i].topic);
        cw_u32(o, (uint32_t)p->origins[i].partition);
        cw_i64(o, p->origins[i].next);
    }
    alerts_save(p->o.alerts, o);
    if (p->src.save) p->src.save(p->src.ctx, o);
}

/* Writes a checkpoint when one is due (force: now), the last one is
 * written and something changed since it. Returns 1 when one was
 * submitted, 0 when none is needed, -1 when one is needed but must wait
 * (the last one is being written, an alert or a dead letter is not
 * durable yet): the next loop tries again. */
static int ckpt_maybe(pipeline *p, int64_t now, int force) {
    if (!p->o.ckpt || (!force && now < p->next_ckpt_ms)) return 0;
    int64_t wm = alerts_get_metrics(p->o.alerts).watermark_ms;
    if (p->handled == p->ckpt_handled && wm == p->ckpt_watermark && p->ckpt_seq > 0) {
        p->next_ckpt_ms = now + p->o.checkpoint_interval_ms;
        return 0;
    }
    if (p->ckpt_writing || !effects_durable(p)) return -1;
    cw o;
    cw_init(&o);
    ckpt_encode(p, &o);
    if (ckpt_submit(p->o.ckpt, o.buf, o.len, p->ckpt_seq + 1) != 0) {
        cw_free(&o);
        return -1;
    }
    p->ckpt_seq++;
    p->ckpt_writing = 1;
    for (int i = 0; i < p->n_origins; i++) p->origins[i].snap_next = p->origins[i].next;
    p->ckpt_handled = p->handled;
    p->ckpt_watermark = wm;
    p->checkpoints++;
    p->next_ckpt_ms = now + p->o.checkpoint_interval_ms;
    return 1;
}

/* Waits (until end_ms) for the checkpoint being written; 0 once it is
 * durable and its offsets acknowledged, -1 at the deadline. */
static int ckpt_wait(pipeline *p, int64_t end_ms) {
    while (p->ckpt_writing && time_now_ms() < end_ms) {
        ckpt_collect(p);
        if (p->ckpt_writing) {
            struct timespec ts = {0, 5 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    return p->ckpt_writing ? -1 : 0;
}

/* At shutdown (the source thread has stopped reading): a last checkpoint
 * of everything counted, its dead letters and alerts made durable first
 * (up to 10 s), then written (up to 10 s), so that the consumer commits
 * it on close and the next start continues from it. */
static void ckpt_final(pipeline *p) {
    if (!p->o.ckpt) return;
    int64_t end = time_now_ms() + 10000;
    ckpt_wait(p, end);
    int rc;
    while ((rc = ckpt_maybe(p, time_now_ms(), 1)) < 0 && time_now_ms() < end) {
        if (p->src.flush_effects) p->src.flush_effects(p->src.ctx, 20);
        alerts_poll(p->o.alerts, 20);
    }
    if (rc < 0 || ckpt_wait(p, time_now_ms() + 10000) < 0)
        log_warn("pipeline", "the last checkpoint could not be written in time; the next start reads again from the "
                             "one before (nothing is lost, some messages are counted again from there)");
}

/* The scored partition of a pair origin's name ("in_topic\x1fK"), or -1
 * for a partition origin. */
static int32_t pair_scored_partition(const char *name) {
    const char *sep = strchr(name, '\x1f');
    return sep ? (int32_t)strtol(sep + 1, NULL, 10) : -1;
}

int pipeline_restore(pipeline *p, const unsigned char *payload, size_t len, char *err, size_t errlen) {
    cr in;
    cr_init(&in, payload, len);
    uint32_t n = cr_count(&in, 1u << 20, 16);
    pl_resume *res = xcalloc(n ? n : 1, sizeof *res);
    int nres = 0, rc = -1;
    for (uint32_t i = 0; i < n && cr_ok(&in); i++) {
        char *topic = cr_str(&in, 4096);
        int32_t partition = (int32_t)cr_u32(&in);
        int64_t next = cr_i64(&in);
        if (!cr_ok(&in) || !topic || origin_find(p, topic, partition) >= 0 || next < -1) {
            cr_fail(&in, "a bad or repeated partition");
            free(topic);
            break;
        }
        int id = origin_id(p, topic, partition);
        p->origins[id].next = p->origins[id].snap_next = next;
        p->origins[id].acked_to = next > 0 ? next : 0;
        p->origins[id].scored_partition = pair_scored_partition(topic);
        if (next >= 0) res[nres++] = (pl_resume){topic, partition, next, 0};
        else free(topic);
    }
    if (!cr_ok(&in)) {
        err_set(err, errlen, "pipeline state: %s", in.err);
    } else {
        rc = alerts_load(p->o.alerts, &in, time_now_ms(), err, errlen);
        if (rc == 0 && p->src.load && p->src.load(p->src.ctx, &in, err, errlen) < 0) {
            alerts_reset(p->o.alerts);
            rc = -1;
        }
        if (rc == 0 && cr_left(&in) != 0) {
            err_set(err, errlen, "%zu bytes after the state%s", cr_left(&in),
                    p->src.load ? "" : " (a checkpoint of `run --role aggregate`?)");
            alerts_reset(p->o.alerts);
            rc = -1;
        }
    }
    if (rc != 0) { /* nothing restored: the origins start again empty */
        for (int i = 0; i < nres; i++) free(res[i].topic);
        free(res);
        for (int i = 0; i < p->n_origins; i++) free(p->origins[i].topic);
        p->n_origins = 0;
        return rc;
    }
    p->resume = res;
    p->n_resume = nres;
    p->restored = 1;
    /* the watermark sources wait for the first assignment: role all's are
     * its partitions, the aggregate role's its (input, scored) pairs */
    int scored = 0;
    for (int i = 0; i < p->n_origins; i++) scored |= p->origins[i].scored_partition >= 0;
    for (int i = 0; i < p->n_origins; i++)
        if (scored ? p->origins[i].scored_partition >= 0 : p->origins[i].next >= 0) hold_until_assigned(p, i);
    p->ckpt_handled = p->handled;
    p->ckpt_watermark = alerts_get_metrics(p->o.alerts).watermark_ms;
    return 0;
}

int64_t pipeline_resume_offset(void *arg, const char *topic, int32_t partition) {
    pipeline *p = arg;
    for (int i = 0; i < p->n_resume; i++) {
        pl_resume *r = &p->resume[i];
        if (r->partition != partition || strcmp(r->topic, topic) != 0) continue;
        if (r->used) return -1;
        r->used = 1;
        return r->offset;
    }
    return -1;
}

/* ---- the source thread ---- */

static void *source_main(void *arg) {
    pipeline *p = arg;
    event *buf[SOURCE_BATCH];
    while (!atomic_load(&p->stopping)) {
        int n = p->src.next(p->src.ctx, buf, SOURCE_BATCH, 100);
        if (n < 0) break;
        for (int i = 0; i < n; i++) {
            p->events_in++;
            while (queue_push(p->q_in, buf[i], 100) == 1) {}
        }
    }
    queue_close(p->q_in);
    return NULL;
}

/* ---- the classify thread ---- */

static void *classify_main(void *arg) {
    pipeline *p = arg;
    int max = p->o.batch_events > 0 ? p->o.batch_events : 64;
    event **batch = xmalloc(sizeof *batch * (size_t)max);
    char err[256];
    for (;;) {
        int n = queue_pop_many(p->q_in, (void **)batch, max, 100);
        if (n < 0) break;
        if (n == 0) continue;
        int64_t deadline = time_mono_ns() + (int64_t)p->o.max_batch_wait_ms * 1000000;
        while (n < max) {
            int64_t left_ms = (deadline - time_mono_ns()) / 1000000;
            if (left_ms <= 0) break;
            int m = queue_pop_many(p->q_in, (void **)batch + n, max - n, (int)left_ms);
            if (m <= 0) break;
            n += m;
        }
        int64_t t = time_mono_ns();
        if (atomic_load(&p->cls_failed) || (p->o.cls && cls_score_events(p->o.cls, batch, n, err, sizeof err) < 0)) {
            if (!atomic_exchange(&p->cls_failed, 1)) log_error("pipeline", "classification failed: %s", err);
            atomic_store(&p->stopping, 1);
            for (int i = 0; i < n; i++) event_free(batch[i]); /* not acked: read again after a restart */
            continue;
        }
        metrics_hist_observe(&p->classify_seconds, (double)(time_mono_ns() - t) / 1e9);
        metrics_hist_observe(&p->batch_size, n);
        p->batches++;
        p->classified += n;
        for (int i = 0; i < n; i++)
            while (queue_push(p->q_out, batch[i], 100) == 1) {}
    }
    free(batch);
    queue_close(p->q_out);
    return NULL;
}

/* ---- the caller's thread ---- */

pipeline *pipeline_create(const pl_options *o, const pl_source *src) {
    pipeline *p = xcalloc(1, sizeof *p);
    p->hold_until_gen = 1;
    p->o = *o;
    if (p->o.window_advance_ms <= 0) p->o.window_advance_ms = p->o.window_size_ms;
    p->src = *src;
    pend_init(&p->pend, o->max_pending_runs);
    int cap = o->queue_capacity > 0 ? o->queue_capacity : 10000;
    p->q_in = queue_new((size_t)cap);
    p->q_out = queue_new((size_t)cap);
    p->first_ts = INT64_MAX;
    p->last_ts = INT64_MIN;
    static const double batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
    static const double latency_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
    metrics_hist_init(&p->batch_size, batch_bounds, 10);
    metrics_hist_init(&p->classify_seconds, latency_bounds, 11);
    pthread_mutex_init(&p->snap_lock, NULL);
    unc_init(&p->unc, o->max_uncounted_share > 0 ? o->max_uncounted_share : 1.0);
    pthread_mutex_init(&p->restart_mu, NULL);
    pthread_cond_init(&p->restart_cv, NULL);
    p->t0_ns = time_mono_ns();
    return p;
}

void pipeline_go(pipeline *p) {
    p->next_ckpt_ms = time_now_ms() + p->o.checkpoint_interval_ms;
    if (p->src.attach) p->src.attach(p->src.ctx, p);
    p->started = 1;
    pthread_create(&p->t_src, NULL, source_main, p);
    pthread_create(&p->t_cls, NULL, classify_main, p);
}

pipeline *pipeline_start(const pl_options *o, const pl_source *src) {
    pipeline *p = pipeline_create(o, src);
    pipeline_go(p);
    return p;
}

void pipeline_expect_partition(pipeline *p, const char *topic, int32_t partition) {
    /* a source that reported nothing yet holds the watermark at its floor */
    int id = origin_id(p, topic, partition);
    alerts_observe(p->o.alerts, id, WIN_TS_FLOOR, time_now_ms());
    hold_until_assigned(p, id);
}

void pipeline_expect_scored(pipeline *p, const char *in_topic, int32_t in_partition, int32_t scored_partition) {
    int id = scored_mark_id(p, in_topic, in_partition, scored_partition);
    alerts_observe(p->o.alerts, id, WIN_TS_FLOOR, time_now_ms());
    hold_until_assigned(p, id);
}

int pipeline_restart(pipeline *p, const pl_scored_pair *pairs, int n) {
    pthread_mutex_lock(&p->restart_mu);
    int64_t ticket = ++p->restarts_asked;
    p->restart_pairs = pairs;
    p->restart_n = n;
    pthread_mutex_unlock(&p->restart_mu);
    int rc;
    do rc = queue_push(p->q_in, &restart_marker, 100);
    while (rc == 1 && !atomic_load(&p->stopping));
    int queued = rc == 0;
    pthread_mutex_lock(&p->restart_mu);
    while (queued && p->restarts_done < ticket && !p->run_over && !atomic_load(&p->stopping)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000;
        if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
        pthread_cond_timedwait(&p->restart_cv, &p->restart_mu, &ts);
    }
    int kept = p->restarts_done >= ticket && p->restart_kept;
    p->restart_pairs = NULL;
    p->restart_n = 0;
    pthread_mutex_unlock(&p->restart_mu);
    return kept;
}

/* 1 when the restored pair origins' scored partitions are exactly those
 * of the n pairs (under restart_mu). */
static int restored_fits(const pipeline *p, const pl_scored_pair *pairs, int n) {
    for (int i = 0; i < p->n_origins; i++) {
        int32_t sp = p->origins[i].scored_partition;
        int found = sp < 0;
        for (int k = 0; k < n && !found; k++) found = pairs[k].scored_partition == sp;
        if (!found) return 0;
    }
    for (int k = 0; k < n; k++) {
        int found = 0;
        for (int i = 0; i < p->n_origins && !found; i++) found = p->origins[i].scored_partition == pairs[k].scored_partition;
        if (!found) return 0;
    }
    return 1;
}

/* The restored checkpoint does not fit the assignment: its offsets go
 * too (every partition is rebuilt from its beginning). */
static void drop_restored(pipeline *p) {
    for (int i = 0; i < p->n_origins; i++) {
        p->origins[i].next = p->origins[i].snap_next = -1;
        p->origins[i].acked_to = 0;
    }
    for (int i = 0; i < p->n_resume; i++) p->resume[i].used = 1;
}

/* The aggregation loop's side of pipeline_restart: every event before the
 * marker is counted; the state starts again, or goes on from the
 * checkpoint just restored when it fits the assignment. */
static void restart(pipeline *p) {
    pthread_mutex_lock(&p->restart_mu);
    int keep = p->restored && restored_fits(p, p->restart_pairs, p->restart_n);
    if (p->restored && !keep) {
        log_warn("pipeline", "the restored checkpoint is of other scored partitions than this assignment (were "
                             "aggregate.instances changed?): not used; the partitions are rebuilt from the scored topic");
        drop_restored(p);
    }
    p->restored = 0;
    if (!keep) {
        alerts_reset(p->o.alerts);
        /* the new assignment takes effect after this (the source is inside
         * its rebalance): its pairs stay held until it does */
        for (int i = 0; i < p->n_origins; i++) p->origins[i].held = 0;
        pend_free(&p->pend);
        pend_init(&p->pend, p->o.max_pending_runs);
    }
    p->hold_until_gen = (p->src.assignments ? p->src.assignments(p->src.ctx) : 0) + 1;
    for (int i = 0; i < p->restart_n; i++)
        pipeline_expect_scored(p, p->restart_pairs[i].in_topic, p->restart_pairs[i].in_partition,
                               p->restart_pairs[i].scored_partition);
    if (keep) log_info("pipeline", "assignment: the restored state goes on; %d watermark sources", p->restart_n);
    else log_info("pipeline", "rebalance: state reset, %d watermark sources expected", p->restart_n);
    p->restart_kept = keep;
    p->restarts_done++;
    pthread_cond_broadcast(&p->restart_cv);
    pthread_mutex_unlock(&p->restart_mu);
}

static void snapshot_alerts(pipeline *p) {
    alerts_metrics m = alerts_get_metrics(p->o.alerts);
    pthread_mutex_lock(&p->snap_lock);
    p->alerts_snap = m;
    pthread_mutex_unlock(&p->snap_lock);
}

void pipeline_on_late(const event *e, int missed, int total, void *arg) {
    pipeline *p = arg;
    if (missed < total) return; /* still counted in its open windows */
    log_warn("pipeline", "late event %s (%s): every window it belongs to had closed; not counted", e->id, e->stream);
    p->current_late = 1;
}

/* Sends an event that missed every window to the source's dead letters. */
static void dead_letter_late(pipeline *p, const event *e) {
    p->late_dead_lettered++;
    if (!p->src.dead_letter) return;
    char ts[40], detail[160];
    time_format(e->ts_ms, ts, sizeof ts);
    snprintf(detail, sizeof detail, "event time %s: every window it belongs to had closed (allowed lateness passed)",
             ts);
    p->src.dead_letter(p->src.ctx, e, detail);
}

/* Counts one scored event; frees it. */
static void aggregate(pipeline *p, event *e, int64_t now_ms) {
    int src = origin_id(p, e->origin_topic, e->origin_partition);
    if (p->o.ckpt && e->origin_topic && e->origin_offset < p->origins[src].next) {
        /* read again below what a checkpoint (or this run) counted: it is
         * in the state already; the next checkpoint acknowledges it, or
         * (ack_on_close) the close of its windows */
        if (p->o.ack_on_close) pend_add(&p->pend, src, e->origin_offset, last_window_end(&p->o, e->ts_ms));
        if (p->src.release) p->src.release(p->src.ctx, e);
        p->skipped++;
        event_free(e);
        return;
    }
    int mark_src = e->in_topic ? scored_mark_id(p, e->in_topic, e->in_partition, e->origin_partition) : src;
    if (mark_src < p->n_origins) p->origins[mark_src].is_mark = 1; /* a file replay has no origins */
    p->current_late = 0;
    int rc = alerts_add(p->o.alerts, mark_src, e, now_ms);
    if (e->ts_ms < p->first_ts) p->first_ts = e->ts_ms;
    if (e->ts_ms > p->last_ts) p->last_ts = e->ts_ms;
    if (p->src.release) p->src.release(p->src.ctx, e);
    unc_note(&p->unc, rc != -1);
    if (rc == -1) {
        /* not counted: the label means none of negative/neutral/positive (util/labelmap.h) */
        p->bad_labels++;
        if (p->bad_labels % 1000 == 1) /* the first, then one line a thousand: a model can say "other" often */
            log_warn("pipeline",
                     "event %s: sentiment label \"%s\" means none of negative, neutral, positive; not counted "
                     "(%lld so far; see model.sentiment_labels)",
                     e->id, e->sentiment.label, (long long)p->bad_labels);
        if (p->src.ack && e->origin_topic)
            p->src.ack(p->src.ctx, e->origin_topic, e->origin_partition, e->origin_offset, e->origin_offset);
    } else if (p->current_late) {
        dead_letter_late(p, e); /* acknowledged by the source once the dead letter is durable */
    } else if (e->origin_topic && (!p->o.ckpt || p->o.ack_on_close)) {
        pend_add(&p->pend, src, e->origin_offset, last_window_end(&p->o, e->ts_ms));
    }
    if (e->origin_topic && e->origin_offset >= p->origins[src].next) p->origins[src].next = e->origin_offset + 1;
    if (rc != -1 && !p->current_late) p->aggregated++; /* counted in windows (finsent_events_aggregated_total) */
    p->handled++;
    event_free(e);
}

int pipeline_run(pipeline *p, volatile sig_atomic_t *stop) {
    event *buf[AGG_BATCH];
    int64_t next_tick = 0;
    for (;;) {
        if (stop && *stop && !atomic_load(&p->stopping)) {
            log_info("pipeline", "stopping: draining queued events");
            atomic_store(&p->stopping, 1);
        }
        if (p->o.on_loop) p->o.on_loop(p->o.loop_ud);
        int n = queue_pop_many(p->q_out, (void **)buf, AGG_BATCH, 0);
        if (n < 0) break;
        int64_t now = time_now_ms();
        /* a new assignment: its partitions' lag holds the watermark before
         * any of their events is counted */
        if (n > 0 && p->src.assignments && p->src.assignments(p->src.ctx) != p->assignments_seen) update_lags(p, now);
        for (int i = 0; i < n; i++) {
            if (buf[i] == &restart_marker) restart(p);
            else if (p->o.emit) p->o.emit(p->o.emit_ud, buf[i]);
            else aggregate(p, buf[i], now);
        }
        if (p->o.emit_poll) p->o.emit_poll(p->o.emit_ud);
        if (now >= next_tick) {
            update_lags(p, now);
            alerts_tick(p->o.alerts, now);
            next_tick = now + TICK_MS;
        }
        if (p->o.ckpt) {
            ckpt_collect(p);
            ckpt_maybe(p, now, 0);
        }
        if (!p->o.ckpt || p->o.ack_on_close) ack_closed(p, alerts_get_metrics(p->o.alerts).watermark_ms);
        alerts_poll(p->o.alerts, n > 0 ? 0 : 20);
        snapshot_alerts(p);
    }
    ckpt_final(p);
    int flushed = p->o.flush_at_end && !atomic_load(&p->stopping);
    if (flushed) alerts_flush(p->o.alerts);
    if (p->o.drain_ms > 0) alerts_drain(p->o.alerts, p->o.drain_ms);
    /* every window is closed; acks wait only for the outbox, which the
     * drain may just have caught up with */
    if (flushed) ack_closed(p, INT64_MAX);
    snapshot_alerts(p);
    pthread_mutex_lock(&p->restart_mu);
    p->run_over = 1;
    pthread_cond_broadcast(&p->restart_cv);
    pthread_mutex_unlock(&p->restart_mu);
    return atomic_load(&p->cls_failed) ? 1 : 0;
}

void pipeline_free(pipeline *p) {
    if (!p) return;
    atomic_store(&p->stopping, 1);
    if (p->started) {
        pthread_join(p->t_src, NULL);
        pthread_join(p->t_cls, NULL);
        if (p->src.attach) p->src.attach(p->src.ctx, NULL);
    }
    /* whatever is still queued was never counted: not acked, read again later */
    void *left[64];
    int n;
    while ((n = queue_pop_many(p->q_in, left, 64, 0)) > 0)
        for (int i = 0; i < n; i++)
            if (left[i] != &restart_marker) event_free(left[i]);
    while ((n = queue_pop_many(p->q_out, left, 64, 0)) > 0)
        for (int i = 0; i < n; i++)
            if (left[i] != &restart_marker) event_free(left[i]);
    queue_free(p->q_in);
    queue_free(p->q_out);
    for (int i = 0; i < p->n_origins; i++) free(p->origins[i].topic);
    free(p->origins);
    for (int i = 0; i < p->n_resume; i++) free(p->resume[i].topic);
    free(p->resume);
    pend_free(&p->pend);
    pthread_mutex_destroy(&p->snap_lock);
    unc_destroy(&p->unc);
    pthread_mutex_destroy(&p->restart_mu);
    pthread_cond_destroy(&p->restart_cv);
    free(p);
}

pl_stats pipeline_get_stats(pipeline *p) {
    pthread_mutex_lock(&p->snap_lock);
    int64_t late = p->alerts_snap.late_events, watermark = p->alerts_snap.watermark_ms;
    pthread_mutex_unlock(&p->snap_lock);
    return (pl_stats){
        .events_in = p->events_in,
        .classified = p->classified,
        .aggregated = p->aggregated,
        .bad_labels = p->bad_labels,
        .late_events = late,
        .late_dead_lettered = p->late_dead_lettered,
        .acked = p->acked,
        .batches = p->batches,
        .q_in_depth = (int64_t)queue_depth(p->q_in),
        .q_out_depth = (int64_t)queue_depth(p->q_out),
        .pending_events = p->pending_events,
        .pending_runs = p->pending_runs,
        .pending_folded = p->pending_folded,
        .first_ts_ms = p->first_ts,
        .last_ts_ms = p->last_ts,
        .watermark_ms = watermark,
        .checkpoints = p->checkpoints,
        .skipped = p->skipped,
        .seconds = (double)(time_mono_ns() - p->t0_ns) / 1e9,
    };
}

void pipeline_collect(metrics_writer *w, void *arg) {
    pipeline *p = arg;
    pl_stats s = pipeline_get_stats(p);
    pthread_mutex_lock(&p->snap_lock);
    alerts_metrics a = p->alerts_snap;
    pthread_mutex_unlock(&p->snap_lock);
    mw_counter(w, "finsent_events_in_total", "Events decoded and entering the pipeline.", "", (double)s.events_in);
    mw_counter(w, "finsent_events_classified_total", "Events scored by the classifier.", "", (double)s.classified);
    mw_counter(w, "finsent_events_aggregated_total", "Events counted in windows.", "", (double)s.aggregated);
    mw_counter(w, "finsent_events_bad_label_total", "Events whose sentiment label is unknown (not counted).", "",
               (double)s.bad_labels);
    mw_gauge(w, "finsent_events_uncounted_share",
             "Share of recent events not counted because their sentiment label means none of negative, neutral, "
             "positive (/readyz fails above model.max_uncounted_share).",
             "", unc_share(&p->unc));
    mw_counter(w, "finsent_late_events_total", "Events later than the watermark allows.", "", (double)a.late_events);
    mw_counter(w, "finsent_late_events_dead_lettered_total", "Late events that missed every window (dead-lettered).",
               "", (double)s.late_dead_lettered);
    mw_counter(w, "finsent_events_acked_total", "Events whose windows closed and whose alerts are durable.", "",
               (double)s.acked);
    mw_gauge(w, "finsent_queue_depth", "Events waiting between stages.", "stage=\"classify\"", (double)s.q_in_depth);
    mw_gauge(w, "finsent_pending_ack_events", "Events counted in windows that are not all closed (offsets held).", "",
             (double)s.pending_events);
    mw_gauge(w, "finsent_pending_ack_runs", "Runs those events are held in (bounded by max_pending_runs).", "",
             (double)s.pending_runs);
    mw_counter(w, "finsent_pending_ack_folded_total",
               "Events whose acknowledgement waits for a later window because the run bound was reached.", "",
               (double)s.pending_folded);
    mw_gauge(w, "finsent_queue_depth", "Events waiting between stages.", "stage=\"aggregate\"",
             (double)s.q_out_depth);
    mw_hist(w, "finsent_classify_batch_size", "Events per classifier batch.", "", &p->batch_size);
    mw_hist(w, "finsent_classify_seconds", "Time to classify one batch.", "", &p->classify_seconds);
    mw_gauge(w, "finsent_watermark_ms", "Event-time watermark (epoch ms).", "", (double)a.watermark_ms);
    mw_counter(w, "finsent_windows_closed_total", "Windows closed.", "", (double)a.windows_closed);
    mw_counter(w, "finsent_alerts_fired_total", "Alerts fired.", "", (double)a.fired);
    mw_counter(w, "finsent_alerts_repeated_total", "Firing alerts sent again after repeat_interval.", "",
               (double)a.repeated);
    mw_counter(w, "finsent_alerts_resolved_total", "Alerts resolved.", "", (double)a.resolved);
    mw_counter(w, "finsent_alerts_silenced_total", "Alerts suppressed by silences.", "", (double)a.suppressed);
    mw_counter(w, "finsent_alerts_delivered_total", "Deliveries finished (alert × sink).", "", (double)a.delivered);
    mw_counter(w, "finsent_alerts_failed_total", "Deliveries given up or rejected (alert × sink).", "",
               (double)a.failed);
    mw_counter(w, "finsent_alert_retries_total", "Webhook delivery retries.", "", (double)a.retries);
    mw_gauge(w, "finsent_alerts_pending", "Outbox entries not yet delivered everywhere.", "", (double)a.pending);
    mw_counter(w, "finsent_outbox_errors_total", "Failed outbox writes.", "", (double)a.outbox_errors);
    if (p->o.ckpt) {
        ckpt_stats cs = ckpt_get_stats(p->o.ckpt);
        mw_counter(w, "finsent_checkpoints_total", "Checkpoints of the stream state written.", "", (double)cs.written);
        mw_counter(w, "finsent_checkpoint_failures_total", "Checkpoint writes that failed (offsets wait).", "",
                   (double)cs.failed);
        mw_gauge(w, "finsent_checkpoint_bytes", "Size of the newest checkpoint.", "", (double)cs.last_bytes);
        mw_gauge(w, "finsent_checkpoint_write_seconds", "Time the newest checkpoint took to write and sync.", "",
                 cs.last_seconds);
        mw_counter(w, "finsent_events_skipped_total",
                   "Events read again below a checkpoint's offsets (already counted; not counted again).", "",
                   (double)s.skipped);
    }
    mw_gauge(w, "finsent_alerts_backlog", "Alerts kept in memory because the outbox cannot be written (offsets held).",
             "", (double)a.backlog);
}

int pipeline_ready(void *arg, char *buf, size_t len) { return unc_ready(&((pipeline *)arg)->unc, buf, len); }
