/* pending_acks — run-length pending acknowledgements of the pipeline; see
 * pending_acks.h for the contract. */
#include "app/pending_acks.h"

#include <stdlib.h>

#include "util/xalloc.h"

void pend_init(pend_set *s, size_t max_runs) {
    *s = (pend_set){.max_runs = max_runs ? max_runs : PEND_DEFAULT_MAX_RUNS};
}

void pend_free(pend_set *s) {
    free(s->open);
    free(s->heap);
    *s = (pend_set){0};
}

static void heap_push(pend_set *s, pend_run v) {
    if (s->n_heap == s->cap_heap) {
        s->cap_heap = s->cap_heap ? s->cap_heap * 2 : 64;
        s->heap = xrealloc(s->heap, sizeof *s->heap * s->cap_heap);
    }
    size_t i = s->n_heap++;
    while (i > 0 && s->heap[(i - 1) / 2].last_end > v.last_end) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = v;
}

static pend_run heap_pop(pend_set *s) {
    pend_run top = s->heap[0], last = s->heap[--s->n_heap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->n_heap) break;
        if (c + 1 < s->n_heap && s->heap[c + 1].last_end < s->heap[c].last_end) c++;
        if (s->heap[c].last_end >= last.last_end) break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->n_heap) s->heap[i] = last;
    /* give memory back once a burst of runs has been acknowledged */
    if (s->cap_heap > 1024 && s->n_heap * 4 < s->cap_heap) {
        s->cap_heap /= 2;
        s->heap = xrealloc(s->heap, sizeof *s->heap * s->cap_heap);
    }
    return top;
}

void pend_add(pend_set *s, int src, int64_t offset, int64_t last_end) {
    if (src >= s->n_src) {
        int n = src + 1;
        s->open = xrealloc(s->open, sizeof *s->open * (size_t)n);
        for (int i = s->n_src; i < n; i++) s->open[i] = (pend_run){.src = i};
        s->n_src = n;
    }
    pend_run *r = &s->open[src];
    s->events++;
    if (r->n == 0) {
        *r = (pend_run){.last_end = last_end, .first = offset, .last = offset, .n = 1, .src = src};
        s->n_open++;
        return;
    }
    /* an offset not after the run's (the partition was read again after a
     * rebalance) always starts a new run: a run never spans backwards */
    if (offset > r->last && (r->last_end == last_end || s->n_heap >= s->max_runs)) {
        if (r->last_end != last_end) s->folded++;
        if (last_end > r->last_end) r->last_end = last_end;
        r->last = offset;
        r->n++;
        return;
    }
    heap_push(s, *r);
    *r = (pend_run){.last_end = last_end, .first = offset, .last = offset, .n = 1, .src = src};
}

int64_t pend_ack_closed(pend_set *s, int64_t watermark, pend_ack_fn fn, void *ud) {
    int64_t acked = 0;
    while (s->n_heap > 0 && s->heap[0].last_end <= watermark) {
        pend_run r = heap_pop(s);
        fn(ud, &r);
        acked += r.n;
    }
    for (int i = 0; i < s->n_src && s->n_open > 0; i++) {
        pend_run *r = &s->open[i];
        if (r->n == 0 || r->last_end > watermark) continue;
        fn(ud, r);
        acked += r->n;
        r->n = 0;
        s->n_open--;
    }
    s->events -= acked;
    return acked;
}

size_t pend_runs(const pend_set *s) { return s->n_heap + s->n_open; }
