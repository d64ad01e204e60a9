/* copy_table — how the aggregate role recognises a scored record that an
 * at-least-once classify run produced twice (app/scored_source.h).
 *
 * A record is identified by (aggregation key, input topic, input
 * partition, input offset). The table holds the identities of the records
 * taken while their windows may be open (until the watermark passes the
 * record's time + window_ms), and, per (input partition, scored
 * partition) pair, the highest input offset read through it: one classify
 * run produces a pair's records in input offset order, so a record below
 * that high water whose windows have all closed is one produced again.
 *
 * The table is saved into the aggregate role's checkpoints and loaded back
 * (ct_save, ct_load), so that copies of records counted before a restart
 * are still recognised after it. Not thread-safe: one owner thread. */
#ifndef FINSENT_COPY_TABLE_H
#define FINSENT_COPY_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "util/codec.h"
#include "util/dict.h"
#include "util/event.h"

/* The pipeline's watermark (INT64_MIN when none); asked only when a
 * decision or a pruning needs it. */
typedef int64_t (*ct_watermark_fn)(void *ud);

typedef struct copy_table {
    dict *seen;       /* identities (keys from outside: seeded) */
    int64_t *seen_ts; /* per dict id: the record's event time */
    int64_t *seen_off; /* per dict id: the scored offset of the record that carried it */
    int seen_cap;     /* room in seen_ts */
    int prune_at;     /* prune the identities when this many are held */
    char *idbuf;      /* the identity being looked up */
    size_t idbuf_cap;
    dict *pairs;      /* "input topic \x1f input partition \x1f scored partition" */
    int64_t *pair_hw; /* per pairs id: the highest input offset read through it */
    int64_t *pair_off; /* per pairs id: the scored offset of the record that carried it */
    int pair_cap;     /* room in pair_hw */
    ct_watermark_fn watermark; /* NULL: none (nothing closes) */
    void *watermark_ud;
    int64_t window_ms; /* the windows' size: a record's windows have closed at its ts + window_ms */
} copy_table;

void ct_init(copy_table *t, ct_watermark_fn watermark, void *ud, int64_t window_ms);
void ct_free(copy_table *t);

/* Forgets every identity and high water. */
void ct_clear(copy_table *t);

/* 1 when e (a scored record: agg_key, in_topic set) is a copy of one taken
 * before: its identity is held for another scored offset (the same
 * record read again, as after a restore from a checkpoint, is not a copy:
 * the pipeline knows it is counted), or its input offset is below its
 * pair's high water, its scored offset after the high water's record
 * (before it: an original read again) and its windows have all closed
 * (ts < watermark - window_ms). Otherwise remembers it and
 * returns 0. Records without an aggregation key or input are never
 * copies. */
int ct_is_copy(copy_table *t, const event *e);

/* Remembers e (as ct_is_copy does for a record that is not a copy) and
 * raises its pair's high water; for a table that follows what another
 * has taken (the records the pipeline released). */
void ct_note(copy_table *t, const event *e);

/* Appends the table: u32 pairs, each (string, i64 high water, i64 scored
 * offset of its record), then u32
 * identities, each (string, i64 event time, i64 scored offset), in the
 * order they were added. */
void ct_save(const copy_table *t, cw *o);

/* Reads what ct_save wrote into an empty table. 0, or -1 with one line in
 * err (a bad count, string, or a repeated pair or identity) and the table
 * cleared. */
int ct_load(copy_table *t, cr *in, char *err, size_t errlen);

#endif
