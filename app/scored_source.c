/* scored_source — the aggregate role's source with duplicate dropping; see
 * scored_source.h. */
#include "app/scored_source.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/copy_table.h"
#include "app/sources.h"
#include "util/errmsg.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct scored_source {
    ingest_consumer *c;
    int64_t window_ms;
    _Atomic(pipeline *) watched;
    copy_table live;      /* the records taken (source thread) */
    copy_table released;  /* the records the pipeline released (its thread): what a checkpoint holds */
    pthread_mutex_t released_mu; /* released is cleared by the source thread at an assignment */
    int durable;          /* checkpoints: keep `released` (pl_source.save/load) */
    _Atomic int64_t duplicates;
    part_mute *mute;
    _Atomic int64_t rebuilt;
    _Atomic int64_t rebuilt_last; /* of them, since the last assignment */
    _Atomic int64_t rebuild_first_ns, rebuild_last_ns; /* monotonic times of its first and last */
    pl_scored_pair *inputs; /* the input partitions (scored_partition unused) */
    int n_inputs;
    _Atomic int64_t rebalances;
    group_watch *watch; /* the classify group's progress on the inputs; NULL: not watched */
};

/* ct_watermark_fn: the attached pipeline's. */
static int64_t watermark(void *ud) {
    pipeline *p = atomic_load(&((scored_source *)ud)->watched);
    return p ? pipeline_get_stats(p).watermark_ms : INT64_MIN;
}

#define SCORED_STATE_TAG 0x44524353u /* "SCRD" */

/* pl_source.save: the released table (the caller's thread). */
static void save(void *ctx, cw *o) {
    scored_source *s = ctx;
    cw_u32(o, SCORED_STATE_TAG);
    pthread_mutex_lock(&s->released_mu);
    ct_save(&s->released, o);
    pthread_mutex_unlock(&s->released_mu);
}

/* pl_source.load: both tables from a checkpoint (before the threads). */
static int load(void *ctx, cr *in, char *err, size_t errlen) {
    scored_source *s = ctx;
    if (cr_u32(in) != SCORED_STATE_TAG || !cr_ok(in))
        return err_set(err, errlen, "no aggregate-role state in the checkpoint (one of `run --role all`?)");
    size_t at = in->pos;
    if (ct_load(&s->released, in, err, errlen) < 0) return -1;
    cr again;
    cr_init(&again, in->p + at, in->pos - at);
    ct_load(&s->live, &again, err, errlen);
    return 0;
}

/* ingest_assign_fn, on the source thread inside ingest_poll: the pipeline
 * counts what it has, then every piece of state starts again for the new
 * assignment, whose partitions are all read from their beginning; or, the
 * first time after a checkpoint was restored that fits the assignment,
 * goes on from it (pipeline_restart). */
static void on_assign(void *ud, const int32_t *partitions, int n) {
    scored_source *s = ud;
    pipeline *p = atomic_load(&s->watched);
    int n_pairs = s->n_inputs * n;
    pl_scored_pair *pairs = xcalloc(n_pairs ? (size_t)n_pairs : 1, sizeof *pairs);
    for (int i = 0; i < s->n_inputs; i++)
        for (int k = 0; k < n; k++) {
            pairs[i * n + k] = s->inputs[i];
            pairs[i * n + k].scored_partition = partitions[k];
        }
    int kept = p ? pipeline_restart(p, pairs, n_pairs) : 0;
    free(pairs);
    if (!kept) {
        ct_clear(&s->live);
        /* the pipeline's thread has handled everything before the
         * assignment and gets nothing new before this returns, but may
         * be writing a checkpoint */
        pthread_mutex_lock(&s->released_mu);
        ct_clear(&s->released);
        pthread_mutex_unlock(&s->released_mu);
    }
    pm_reset(s->mute);
    s->rebuilt_last = 0;
    s->rebalances++;
    if (kept) log_info("scored", "assignment of %d scored partition(s): going on from the restored checkpoint", n);
    else log_info("scored", "assignment of %d scored partition(s): rebuilding their state from the beginning", n);
}

static int next(void *ctx, event **out, int max, int timeout_ms) {
    scored_source *s = ctx;
    int n = 0;
    int64_t gen = s->rebalances;
    event *e = ingest_poll(s->c, timeout_ms);
    while (e) {
        if (s->rebalances != gen) {
            /* on_assign ran inside that poll: what this call collected
             * before it is of the old assignment, read again now */
            for (int i = 0; i < n; i++) event_free(out[i]);
            n = 0;
            gen = s->rebalances;
        }
        if (ct_is_copy(&s->live, e)) {
            s->duplicates++;
            log_debug("scored", "dropping a copy of %s for %s (input %s[%d]@%lld)", e->id, e->agg_key, e->in_topic,
                      (int)e->in_partition, (long long)e->in_offset);
            ingest_ack(s->c, e);
            event_free(e);
        } else {
            /* a rebuild record: its windows end by ts + window_ms, and
             * window ends are aligned, so that bounds the muted ends */
            if (ingest_rebuilding(s->c, e)) {
                int64_t now = time_mono_ns();
                s->rebuilt++;
                if (s->rebuilt_last++ == 0) s->rebuild_first_ns = now;
                s->rebuild_last_ns = now;
                pm_rebuilt(s->mute, e->origin_partition, e->ts_ms + s->window_ms);
            }
            if (e->agg_key) pm_own(s->mute, e->agg_key, e->origin_partition);
            out[n++] = e;
            if (n == max) break;
        }
        e = ingest_poll(s->c, 0);
        if (!e && s->rebalances != gen) {
            for (int i = 0; i < n; i++) event_free(out[i]);
            n = 0;
        }
    }
    return n;
}

static void release(void *ctx, const event *e) {
    scored_source *s = ctx;
    if (s->durable) { /* as of what the pipeline handled */
        pthread_mutex_lock(&s->released_mu);
        ct_note(&s->released, e);
        pthread_mutex_unlock(&s->released_mu);
    }
    ingest_release(s->c, e);
}

static void ack(void *ctx, const char *topic, int32_t partition, int64_t first, int64_t last) {
    ingest_ack_range(((scored_source *)ctx)->c, topic, partition, first, last);
}

static void dead_letter(void *ctx, const event *e, const char *detail) {
    /* a rebuild record late again was dead-lettered before */
    if (ingest_rebuilding(((scored_source *)ctx)->c, e)) return;
    char *json = event_scored_json(e);
    ingest_dead_letter_event(((scored_source *)ctx)->c, e, DECODE_LATE_EVENT, detail, json, strlen(json));
    free(json);
}

/* With checkpoints, a partition restored from one starts at its offset. */
static void attach(void *ctx, pipeline *p) {
    scored_source *s = ctx;
    atomic_store(&s->watched, p);
    if (s->durable) ingest_set_start(s->c, p ? pipeline_resume_offset : NULL, p);
}

/* A checkpoint waits for the late records' dead letters below it. */
static int effects_pending(void *ctx, const char *topic, int32_t partition, int64_t below) {
    return ingest_dead_letters_pending(((scored_source *)ctx)->c, topic, partition, below);
}

static void flush_effects(void *ctx, int timeout_ms) { ingest_flush_dead_letters(((scored_source *)ctx)->c, timeout_ms); }

/* A scored partition with lag (rebuilding, behind, or records still in the
 * pipeline) holds every pair read through it. */
static void lags(void *ctx, pl_lag_fn fn, void *ud) { source_consumer_lags(((scored_source *)ctx)->c, fn, ud); }

/* The input partitions the classify group has stopped on: their pairs
 * hold the watermark while classify is down (see group_watch.h). */
static void stalled_inputs(void *ctx, pl_stall_fn fn, void *ud) {
    scored_source *s = ctx;
    if (s->watch) group_watch_stalled(s->watch, fn, ud);
}

static uint64_t assignments(void *ctx) { return ingest_assignments(((scored_source *)ctx)->c); }

scored_source *scored_source_new(ingest_consumer *c, int64_t window_ms, part_mute *mute) {
    scored_source *s = xcalloc(1, sizeof *s);
    s->c = c;
    s->mute = mute;
    s->window_ms = window_ms;
    ct_init(&s->live, watermark, s, window_ms);
    ct_init(&s->released, watermark, s, window_ms);
    pthread_mutex_init(&s->released_mu, NULL);
    ingest_set_on_assign(c, on_assign, s);
    return s;
}

void scored_source_add_input(const char *topic, int32_t partition, void *ud) {
    scored_source *s = ud;
    s->inputs = xrealloc(s->inputs, sizeof *s->inputs * (size_t)(s->n_inputs + 1));
    s->inputs[s->n_inputs++] = (pl_scored_pair){.in_topic = xstrdup(topic), .in_partition = partition};
}

void scored_source_watch(scored_source *s, group_watch *g) {
    s->watch = g;
    for (int i = 0; g && i < s->n_inputs; i++) group_watch_add(g, s->inputs[i].in_topic, s->inputs[i].in_partition);
}

int64_t scored_source_rebalances(const scored_source *s) { return s->rebalances; }

void scored_source_durable(scored_source *s) { s->durable = 1; }

pl_source scored_source_pl(scored_source *s) {
    return (pl_source){.next = next,
                       .release = release,
                       .ack = ack,
                       .dead_letter = dead_letter,
                       .attach = attach,
                       .lags = lags,
                       .stalled_inputs = stalled_inputs,
                       .assignments = assignments,
                       .effects_pending = effects_pending,
                       .flush_effects = flush_effects,
                       .save = s->durable ? save : NULL,
                       .load = s->durable ? load : NULL,
                       .ctx = s};
}

int64_t scored_source_duplicates(const scored_source *s) { return s->duplicates; }

int64_t scored_source_rebuilt(const scored_source *s) { return s->rebuilt; }

int64_t scored_source_rebuilt_last(const scored_source *s) { return s->rebuilt_last; }

double scored_source_rebuild_seconds(const scored_source *s) {
    return s->rebuilt_last ? (double)(s->rebuild_last_ns - s->rebuild_first_ns) / 1e9 : 0;
}

void scored_source_free(scored_source *s) {
    if (!s) return;
    ct_free(&s->live);
    ct_free(&s->released);
    pthread_mutex_destroy(&s->released_mu);
    for (int i = 0; i < s->n_inputs; i++) free((char *)s->inputs[i].in_topic);
    free(s->inputs);
    free(s);
}
