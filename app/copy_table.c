/* copy_table — the aggregate role's copy recognition; see copy_table.h. */
#include "app/copy_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/errmsg.h"
#include "util/xalloc.h"

void ct_init(copy_table *t, ct_watermark_fn watermark, void *ud, int64_t window_ms) {
    memset(t, 0, sizeof *t);
    t->watermark = watermark;
    t->watermark_ud = ud;
    t->window_ms = window_ms;
    t->seen = dict_new(DICT_SEEDED);
    t->pairs = dict_new(DICT_SEEDED);
    t->prune_at = 512;
    t->idbuf_cap = 128;
    t->idbuf = xmalloc(t->idbuf_cap);
}

void ct_free(copy_table *t) {
    dict_free(t->seen);
    free(t->seen_ts);
    free(t->seen_off);
    dict_free(t->pairs);
    free(t->pair_hw);
    free(t->pair_off);
    free(t->idbuf);
}

void ct_clear(copy_table *t) {
    dict_clear(t->seen);
    dict_clear(t->pairs);
    t->prune_at = 512;
}

/* Forgets the identities whose windows are closed (older than the
 * watermark minus a window), and sets the next pruning point at twice
 * what is left, so that pruning costs O(1) per record. */
static int64_t watermark(const copy_table *t) { return t->watermark ? t->watermark(t->watermark_ud) : INT64_MIN; }

static void prune(copy_table *t) {
    int64_t wm = watermark(t);
    int64_t cutoff = wm == INT64_MIN ? INT64_MIN : wm - t->window_ms;
    for (int id = 0; id < dict_id_limit(t->seen); id++)
        if (dict_key(t->seen, id, NULL) && t->seen_ts[id] < cutoff) dict_del_id(t->seen, id);
    t->prune_at = 2 * dict_count(t->seen) > 512 ? 2 * dict_count(t->seen) : 512;
}

/* The slot of a pair's high water (INT64_MIN when new); its index in
 * *idp. */
static int64_t *pair_hw(copy_table *t, const char *name, size_t len, int *idp) {
    int added = 0;
    int id = dict_add(t->pairs, name, len, &added);
    if (id >= t->pair_cap) {
        int cap = t->pair_cap ? 2 * t->pair_cap : 64;
        while (cap <= id) cap *= 2;
        t->pair_hw = xrealloc(t->pair_hw, sizeof *t->pair_hw * (size_t)cap);
        t->pair_off = xrealloc(t->pair_off, sizeof *t->pair_off * (size_t)cap);
        t->pair_cap = cap;
    }
    if (added) t->pair_hw[id] = t->pair_off[id] = INT64_MIN;
    *idp = id;
    return &t->pair_hw[id];
}

/* e's pair: the index of its high water and scored offset. */
static int event_pair(copy_table *t, const event *e) {
    char name[300];
    int n = snprintf(name, sizeof name, "%s\x1f%d\x1f%d", e->in_topic, (int)e->in_partition, (int)e->origin_partition);
    int id;
    pair_hw(t, name, (size_t)n < sizeof name ? (size_t)n : sizeof name - 1, &id);
    return id;
}

/* Raises pair id's high water to e's input offset. */
static void raise_hw(copy_table *t, int id, const event *e) {
    if (e->in_offset <= t->pair_hw[id]) return;
    t->pair_hw[id] = e->in_offset;
    t->pair_off[id] = e->origin_offset;
}

/* e's identity in t->idbuf; its length. */
static size_t identity(copy_table *t, const event *e) {
    for (;;) {
        int n = snprintf(t->idbuf, t->idbuf_cap, "%s\x1f%s\x1f%d\x1f%lld", e->agg_key, e->in_topic,
                         (int)e->in_partition, (long long)e->in_offset);
        if ((size_t)n < t->idbuf_cap) return (size_t)n;
        t->idbuf_cap = (size_t)n + 1;
        t->idbuf = xrealloc(t->idbuf, t->idbuf_cap);
    }
}

/* Remembers an identity (len bytes of key) with its event time and the
 * scored offset of the record that carried it. */
static void remember(copy_table *t, const char *key, size_t len, int64_t ts, int64_t off) {
    if (dict_count(t->seen) + 1 > t->prune_at) prune(t);
    int id = dict_add(t->seen, key, len, NULL);
    if (id >= t->seen_cap) {
        int cap = t->seen_cap ? 2 * t->seen_cap : 1024;
        while (cap <= id) cap *= 2;
        t->seen_ts = xrealloc(t->seen_ts, sizeof *t->seen_ts * (size_t)cap);
        t->seen_off = xrealloc(t->seen_off, sizeof *t->seen_off * (size_t)cap);
        t->seen_cap = cap;
    }
    t->seen_ts[id] = ts;
    t->seen_off[id] = off;
}

int ct_is_copy(copy_table *t, const event *e) {
    if (!e->agg_key || !e->in_topic) return 0;
    int pid = event_pair(t, e);
    /* below the high water and after its record in the scored partition:
     * produced again (a record before it is an original read again) */
    if (e->in_offset < t->pair_hw[pid] && e->origin_offset > t->pair_off[pid]) {
        int64_t wm = watermark(t);
        if (wm != INT64_MIN && e->ts_ms < wm - t->window_ms) return 1;
    }
    raise_hw(t, pid, e);
    size_t len = identity(t, e);
    int id = dict_find(t->seen, t->idbuf, len);
    if (id >= 0) return t->seen_off[id] != e->origin_offset; /* the same record read again is not a copy */
    remember(t, t->idbuf, len, e->ts_ms, e->origin_offset);
    return 0;
}

void ct_note(copy_table *t, const event *e) {
    if (!e->agg_key || !e->in_topic) return;
    raise_hw(t, event_pair(t, e), e);
    size_t len = identity(t, e);
    if (dict_find(t->seen, t->idbuf, len) < 0) remember(t, t->idbuf, len, e->ts_ms, e->origin_offset);
}

void ct_save(const copy_table *t, cw *o) {
    cw_u32(o, (uint32_t)dict_count(t->pairs));
    for (int id = 0; id < dict_id_limit(t->pairs); id++) {
        const char *k = dict_key(t->pairs, id, NULL);
        if (!k) continue;
        cw_str(o, k);
        cw_i64(o, t->pair_hw[id]);
        cw_i64(o, t->pair_off[id]);
    }
    cw_u32(o, (uint32_t)dict_count(t->seen));
    for (int id = 0; id < dict_id_limit(t->seen); id++) {
        const char *k = dict_key(t->seen, id, NULL);
        if (!k) continue;
        cw_str(o, k);
        cw_i64(o, t->seen_ts[id]);
        cw_i64(o, t->seen_off[id]);
    }
}

int ct_load(copy_table *t, cr *in, char *err, size_t errlen) {
    uint32_t n = cr_count(in, 1u << 24, 20);
    for (uint32_t i = 0; i < n && cr_ok(in); i++) {
        char *k = cr_str(in, 1024);
        int64_t hw = cr_i64(in), off = cr_i64(in);
        int id;
        if (!k || !cr_ok(in) || !strchr(k, '\x1f') || dict_find(t->pairs, k, strlen(k)) >= 0) {
            cr_fail(in, "a bad or repeated (input, scored) pair");
        } else {
            *pair_hw(t, k, strlen(k), &id) = hw;
            t->pair_off[id] = off;
        }
        free(k);
    }
    n = cr_count(in, 1u << 26, 20);
    for (uint32_t i = 0; i < n && cr_ok(in); i++) {
        char *k = cr_str(in, 1u << 16);
        int64_t ts = cr_i64(in), off = cr_i64(in);
        if (!k || !cr_ok(in) || dict_find(t->seen, k, strlen(k)) >= 0)
            cr_fail(in, "a bad or repeated record identity");
        else remember(t, k, strlen(k), ts, off);
        free(k);
    }
    if (cr_ok(in)) return 0;
    ct_clear(t);
    return err_set(err, errlen, "copy table: %s", in->err);
}
