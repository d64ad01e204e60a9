/* pending_acks — the pipeline's events that are counted in windows not all
 * closed yet, kept per source (a Kafka partition) as runs of consecutive
 * events whose last windows end at the same time, so that memory grows
 * with the number of distinct window ends in flight, not with the number
 * of events waiting in open windows.
 *
 * Bounded by construction: once max_runs runs are held, a new event is
 * folded into its source's open run, whose end becomes the later of the
 * two (the run is then acknowledged when the later window closes: later,
 * never earlier, than its events' windows allow). Runs of one source may
 * be acknowledged out of offset order; the source commits only the prefix
 * of acknowledged offsets (ingest/offset_runs.h). Not thread-safe. */
#ifndef FINSENT_PENDING_ACKS_H
#define FINSENT_PENDING_ACKS_H

#include <stddef.h>
#include <stdint.h>

/* Default for pl_options.max_pending_runs: 65,536 runs of 40 bytes. */
#define PEND_DEFAULT_MAX_RUNS 65536

/* Events src..: offsets first..last (only those added; others between are
 * not this set's), n of them, all of whose windows end by last_end. */
typedef struct pend_run {
    int64_t last_end;
    int64_t first, last;
    int64_t n;
    int src;
} pend_run;

typedef struct pend_set {
    pend_run *open; /* per source: the run still growing (n == 0: none) */
    int n_src;
    pend_run *heap; /* closed runs, a min-heap on last_end */
    size_t n_heap, cap_heap;
    size_t max_runs, n_open;
    int64_t events;  /* events held */
    int64_t folded;  /* events folded into a run with a later end because of the bound */
} pend_set;

/* Acknowledgement of one run; called by pend_ack_closed. */
typedef void (*pend_ack_fn)(void *ud, const pend_run *r);

/* An empty set holding at most max_runs runs (0: PEND_DEFAULT_MAX_RUNS),
 * plus one open run per source. Can't fail. */
void pend_init(pend_set *s, size_t max_runs);

/* Frees; the runs held are dropped unacknowledged. */
void pend_free(pend_set *s);

/* Holds the event of source src (>= 0) at offset until last_end. Offsets
 * of a source normally grow; one that does not (the partition is read
 * again after a rebalance) starts a run of its own. */
void pend_add(pend_set *s, int src, int64_t offset, int64_t last_end);

/* Calls fn for every run whose end is <= watermark and forgets it; returns
 * the events acknowledged. */
int64_t pend_ack_closed(pend_set *s, int64_t watermark, pend_ack_fn fn, void *ud);

/* Runs held, open ones included. */
size_t pend_runs(const pend_set *s);

#endif
