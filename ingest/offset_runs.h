/* offset_runs — one partition's polled, not yet committed offsets, kept as
 * runs of consecutive offsets in the same state, so that the consumer's
 * bookkeeping grows with the number of state changes along the partition
 * (a few per window boundary, dead letter or out-of-order ack), not with the
 * number of messages waiting for their windows to close.
 *
 * Only the prefix of acknowledged offsets is ever dropped, so the offset
 * after it (oruns_committable) never passes an offset that is not
 * acknowledged. Not thread-safe: the consumer holds its lock. */
#ifndef FINSENT_OFFSET_RUNS_H
#define FINSENT_OFFSET_RUNS_H

#include <stddef.h>
#include <stdint.h>

/* The life of a polled offset. */
enum oruns_state {
    ORUNS_IN_FLIGHT,   /* handed out, in the bounded part of the pipeline */
    ORUNS_RELEASED,    /* counted in its windows; waits for them to close */
    ORUNS_DEAD_LETTER, /* its dead letter is on its way */
    ORUNS_ACKED,       /* durable; committable once every earlier one is */
    ORUNS_N_STATES
};

#define ORUNS_MASK(s) (1u << (s))

typedef struct oruns_run {
    int64_t first, last; /* inclusive; every offset between was polled */
    int state;
} oruns_run;

typedef struct oruns {
    oruns_run *r; /* r[head..tail) in offset order */
    size_t head, tail, cap;
    int64_t committable; /* the offset after the acknowledged prefix, -1 none yet */
    int64_t pushed_last; /* the last offset pushed, -1 none */
} oruns;

/* An empty list. Can't fail. */
void oruns_init(oruns *o);

/* Frees the runs; o may be initialised again. */
void oruns_free(oruns *o);

/* Tracks a newly polled offset (greater than every one before; a gap
 * starts a new run) as ORUNS_IN_FLIGHT. Returns 0, or -1 (and tracks
 * nothing) when offset is not greater than the last one pushed. */
int oruns_push(oruns *o, int64_t offset);

/* Moves every tracked offset in [first, last] whose state is in from_mask
 * (ORUNS_MASK bits) to state `to`, merges neighbouring runs and drops the
 * acknowledged prefix. Returns how many offsets moved; per_state (may be
 * NULL; ORUNS_N_STATES entries) gets, added, how many of them left each
 * state. Offsets not tracked are ignored. */
int64_t oruns_set(oruns *o, int64_t first, int64_t last, unsigned from_mask, int to, int64_t *per_state);

/* The state of a tracked offset, or -1. */
int oruns_state(const oruns *o, int64_t offset);

/* How many tracked offsets have a state in mask. */
int64_t oruns_count(const oruns *o, unsigned mask);

/* The lowest tracked offset whose state is in mask, or -1. */
int64_t oruns_first(const oruns *o, unsigned mask);

/* Runs held (the memory in use is this × sizeof(oruns_run)). */
size_t oruns_runs(const oruns *o);

/* The offset to commit: the one after the acknowledged prefix; -1 before
 * any. */
int64_t oruns_committable(const oruns *o);

#endif
