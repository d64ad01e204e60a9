/* scored_source — the aggregate role's source with duplicate dropping; see
 * scored_source.h. */
#include "app/scored_source.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/sources.h"
#include "util/dict.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct scored_source {
    ingest_consumer *c;
    int64_t window_ms;
    _Atomic(pipeline *) watched;
    dict *seen;      /* identities of the records taken (keys from outside: seeded) */
    int64_t *seen_ts; /* per dict id: the record's event time */
    int seen_cap;     /* room in seen_ts */
    int prune_at;     /* prune the identities when this many are held */
    char *idbuf;      /* the identity being looked up */
    size_t idbuf_cap;
    dict *pairs;      /* (input topic, input partition, scored partition) */
    int64_t *pair_hw; /* per pairs id: the highest input offset read through it */
    int pair_cap;     /* room in pair_hw */
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

/* Forgets the identities whose windows are closed (older than the
 * watermark minus a window), and sets the next pruning point at twice
 * what is left, so that pruning costs O(1) per record. */
static void prune(scored_source *s) {
    pipeline *p = atomic_load(&s->watched);
    int64_t wm = p ? pipeline_get_stats(p).watermark_ms : INT64_MIN;
    int64_t cutoff = wm == INT64_MIN ? INT64_MIN : wm - s->window_ms;
    for (int id = 0; id < dict_id_limit(s->seen); id++)
        if (dict_key(s->seen, id, NULL) && s->seen_ts[id] < cutoff) dict_del_id(s->seen, id);
    s->prune_at = 2 * dict_count(s->seen) > 512 ? 2 * dict_count(s->seen) : 512;
}

/* The high water of e's (input partition, scored partition) pair: its
 * slot in pair_hw (INT64_MIN when new). */
static int64_t *pair_slot(scored_source *s, const event *e) {
    char name[300];
    int n = snprintf(name, sizeof name, "%s\x1f%d\x1f%d", e->in_topic, (int)e->in_partition, (int)e->origin_partition);
    size_t len = (size_t)n < sizeof name ? (size_t)n : sizeof name - 1;
    int added = 0;
    int id = dict_add(s->pairs, name, len, &added);
    if (id >= s->pair_cap) {
        int cap = s->pair_cap ? 2 * s->pair_cap : 64;
        while (cap <= id) cap *= 2;
        s->pair_hw = xrealloc(s->pair_hw, sizeof *s->pair_hw * (size_t)cap);
        s->pair_cap = cap;
    }
    if (added) s->pair_hw[id] = INT64_MIN;
    return &s->pair_hw[id];
}

/* 1 when e is a copy; remembers it otherwise. A copy is a record whose
 * identity was seen before (identities are held while the record's
 * windows may be open), or one whose windows have all closed (its identity
 * may be forgotten) and whose input offset is below the highest one read
 * through its (input partition, scored partition) pair: one classify run
 * produces a pair's records in input offset order, so a lower offset there
 * is one produced again by a later run (after a restart or a rebalance of
 * the classify role, from its committed offset) — late copies are not late
 * events. */
static int is_copy(scored_source *s, const event *e) {
    if (!e->agg_key || !e->in_topic) return 0;
    int64_t *hw = pair_slot(s, e);
    if (e->in_offset < *hw) {
        pipeline *p = atomic_load(&s->watched);
        int64_t wm = p ? pipeline_get_stats(p).watermark_ms : INT64_MIN;
        if (wm != INT64_MIN && e->ts_ms < wm - s->window_ms) return 1;
    }
    if (e->in_offset > *hw) *hw = e->in_offset;
    for (;;) {
        int n = snprintf(s->idbuf, s->idbuf_cap, "%s\x1f%s\x1f%d\x1f%lld", e->agg_key, e->in_topic,
                         (int)e->in_partition, (long long)e->in_offset);
        if ((size_t)n < s->idbuf_cap) break;
        s->idbuf_cap = (size_t)n + 1;
        s->idbuf = xrealloc(s->idbuf, s->idbuf_cap);
    }
    size_t len = strlen(s->idbuf);
    if (dict_find(s->seen, s->idbuf, len) >= 0) return 1;
    if (dict_count(s->seen) + 1 > s->prune_at) prune(s);
    int id = dict_add(s->seen, s->idbuf, len, NULL);
    if (id >= s->seen_cap) {
        s->seen_cap = s->seen_cap ? 2 * s->seen_cap : 1024;
        s->seen_ts = xrealloc(s->seen_ts, sizeof *s->seen_ts * (size_t)s->seen_cap);
    }
    s->seen_ts[id] = e->ts_ms;
    return 0;
}

/* Forgets every identity and high water (a new assignment rebuilds from
 * the start). */
static void forget_all(scored_source *s) {
    dict_clear(s->seen);
    dict_clear(s->pairs);
}

/* ingest_assign_fn, on the source thread inside ingest_poll: the pipeline
 * counts what it has, then every piece of state starts again for the new
 * assignment, whose partitions are all read from their beginning. */
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
    if (p) pipeline_restart(p, pairs, n_pairs);
    free(pairs);
    forget_all(s);
    pm_reset(s->mute);
    s->rebuilt_last = 0;
    s->rebalances++;
    log_info("scored", "assignment of %d scored partition(s): rebuilding their state from the beginning", n);
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
        if (is_copy(s, e)) {
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

static void release(void *ctx, const event *e) { ingest_release(((scored_source *)ctx)->c, e); }

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

static void attach(void *ctx, pipeline *p) { atomic_store(&((scored_source *)ctx)->watched, p); }

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
    s->seen = dict_new(DICT_SEEDED);
    s->pairs = dict_new(DICT_SEEDED);
    s->prune_at = 512;
    s->idbuf_cap = 128;
    s->idbuf = xmalloc(s->idbuf_cap);
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

pl_source scored_source_pl(scored_source *s) {
    return (pl_source){.next = next,
                       .release = release,
                       .ack = ack,
                       .dead_letter = dead_letter,
                       .attach = attach,
                       .lags = lags,
                       .stalled_inputs = stalled_inputs,
                       .assignments = assignments,
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
    dict_free(s->seen);
    free(s->seen_ts);
    dict_free(s->pairs);
    free(s->pair_hw);
    free(s->idbuf);
    for (int i = 0; i < s->n_inputs; i++) free((char *)s->inputs[i].in_topic);
    free(s->inputs);
    free(s);
}
