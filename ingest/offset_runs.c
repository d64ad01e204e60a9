/* offset_runs — run-length bookkeeping of a partition's uncommitted
 * offsets; see offset_runs.h for the contract. */
#include "ingest/offset_runs.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define SHRINK_ABOVE 256 /* runs: below this capacity the array is never shrunk */

void oruns_init(oruns *o) { *o = (oruns){.committable = -1, .pushed_last = -1}; }

void oruns_free(oruns *o) {
    free(o->r);
    *o = (oruns){.committable = -1, .pushed_last = -1};
}

/* Makes room for k more runs at the tail; returns by how much the indices
 * of the runs moved down (the head is compacted to 0 first). */
static size_t make_room(oruns *o, size_t k) {
    if (o->tail + k <= o->cap) return 0;
    size_t shift = o->head;
    if (shift > 0) {
        memmove(o->r, o->r + shift, (o->tail - shift) * sizeof *o->r);
        o->tail -= shift;
        o->head = 0;
        if (o->tail + k <= o->cap) return shift;
    }
    size_t cap = o->cap ? o->cap * 2 : 16;
    if (cap < o->tail + k) cap = o->tail + k;
    o->r = xrealloc(o->r, cap * sizeof *o->r);
    o->cap = cap;
    return shift;
}

int oruns_push(oruns *o, int64_t offset) {
    if (o->pushed_last >= 0 && offset <= o->pushed_last) return -1;
    o->pushed_last = offset;
    if (o->tail > o->head) {
        oruns_run *t = &o->r[o->tail - 1];
        if (t->state == ORUNS_IN_FLIGHT && t->last + 1 == offset) {
            t->last = offset;
            return 0;
        }
    }
    make_room(o, 1);
    o->r[o->tail++] = (oruns_run){offset, offset, ORUNS_IN_FLIGHT};
    return 0;
}

/* The first run (index in [head, tail]) whose last offset is >= offset. */
static size_t lower(const oruns *o, int64_t offset) {
    size_t lo = o->head, hi = o->tail;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->r[mid].last < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Merges neighbouring runs of the same state with no gap between them,
 * over r[from..to] (to included when it exists). */
static void merge_range(oruns *o, size_t from, size_t to) {
    if (from < o->head) from = o->head;
    size_t end = to < o->tail ? to + 1 : o->tail;
    if (end <= from + 1) return;
    size_t w = from;
    for (size_t j = from + 1; j < end; j++) {
        if (o->r[w].state == o->r[j].state && o->r[w].last + 1 == o->r[j].first)
            o->r[w].last = o->r[j].last;
        else
            o->r[++w] = o->r[j];
    }
    size_t removed = end - (w + 1);
    if (removed) {
        memmove(o->r + w + 1, o->r + end, (o->tail - end) * sizeof *o->r);
        o->tail -= removed;
    }
}

/* Forgets the acknowledged prefix (advancing committable) and gives memory
 * back once the list has shrunk well below its capacity. */
static void drop_acked_prefix(oruns *o) {
    while (o->head < o->tail && o->r[o->head].state == ORUNS_ACKED) o->committable = o->r[o->head++].last + 1;
    if (o->head == o->tail) o->head = o->tail = 0;
    size_t n = o->tail - o->head;
    if (o->cap > SHRINK_ABOVE && n * 4 < o->cap) {
        memmove(o->r, o->r + o->head, n * sizeof *o->r);
        o->head = 0;
        o->tail = n;
        o->cap /= 2;
        o->r = xrealloc(o->r, o->cap * sizeof *o->r);
    }
}

int64_t oruns_set(oruns *o, int64_t first, int64_t last, unsigned from_mask, int to, int64_t *per_state) {
    if (last < first) return 0;
    size_t i = lower(o, first), start = i;
    int64_t moved = 0;
    while (i < o->tail && o->r[i].first <= last) {
        oruns_run run = o->r[i];
        if (run.state == to || !(from_mask & ORUNS_MASK(run.state))) {
            i++;
            continue;
        }
        int64_t a = run.first > first ? run.first : first, b = run.last < last ? run.last : last;
        moved += b - a + 1;
        if (per_state) per_state[run.state] += b - a + 1;
        oruns_run piece[3];
        size_t k = 0;
        if (a > run.first) piece[k++] = (oruns_run){run.first, a - 1, run.state};
        piece[k++] = (oruns_run){a, b, to};
        if (b < run.last) piece[k++] = (oruns_run){b + 1, run.last, run.state};
        if (k > 1) {
            size_t shift = make_room(o, k - 1);
            i -= shift;
            start -= shift;
            memmove(o->r + i + k, o->r + i + 1, (o->tail - i - 1) * sizeof *o->r);
            o->tail += k - 1;
        }
        memcpy(o->r + i, piece, k * sizeof *piece);
        i += k;
    }
    if (moved) {
        merge_range(o, start > o->head ? start - 1 : o->head, i);
        drop_acked_prefix(o);
    }
    return moved;
}

int oruns_state(const oruns *o, int64_t offset) {
    size_t i = lower(o, offset);
    return i < o->tail && o->r[i].first <= offset ? o->r[i].state : -1;
}

int64_t oruns_count(const oruns *o, unsigned mask) {
    int64_t n = 0;
    for (size_t i = o->head; i < o->tail; i++)
        if (mask & ORUNS_MASK(o->r[i].state)) n += o->r[i].last - o->r[i].first + 1;
    return n;
}

int64_t oruns_first(const oruns *o, unsigned mask) {
    for (size_t i = o->head; i < o->tail; i++)
        if (mask & ORUNS_MASK(o->r[i].state)) return o->r[i].first;
    return -1;
}

size_t oruns_runs(const oruns *o) { return o->tail - o->head; }

int64_t oruns_committable(const oruns *o) { return o->committable; }
