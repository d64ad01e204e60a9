/* send_queue — per-(sink, id) ordered delivery schedule; see send_queue.h. */
#include "alerts/send_queue.h"

#include <stdlib.h>
#include <string.h>

#include "util/dict.h"
#include "util/heap.h"
#include "util/xalloc.h"

typedef struct sq_sink {
    heap *ready;  /* sq_entry *, by submission order */
    heap *timers; /* sq_entry *, by due time, then submission order */
} sq_sink;

struct send_queue {
    sq_sink *sinks;
    int n_sinks;
    dict *chains;      /* sink (4 bytes) + alert id → chain id (ids come from outside: seeded) */
    sq_entry **tails;  /* per chain id: its last delivery */
    int tails_cap;
    uint64_t next_order;
};

static int by_order(const void *a, const void *b) {
    return (*(sq_entry *const *)a)->order < (*(sq_entry *const *)b)->order;
}

static int by_due(const void *a, const void *b) {
    const sq_entry *x = *(sq_entry *const *)a, *y = *(sq_entry *const *)b;
    return x->due_ms < y->due_ms || (x->due_ms == y->due_ms && x->order < y->order);
}

send_queue *sq_new(void) {
    send_queue *q = xcalloc(1, sizeof *q);
    q->chains = dict_new(DICT_SEEDED);
    return q;
}

void sq_free(send_queue *q) {
    if (!q) return;
    for (int i = 0; i < q->n_sinks; i++) {
        heap_free(q->sinks[i].ready);
        heap_free(q->sinks[i].timers);
    }
    free(q->sinks);
    dict_free(q->chains);
    free(q->tails);
    free(q);
}

static sq_sink *sink_at(send_queue *q, int sink) {
    if (sink >= q->n_sinks) {
        q->sinks = xrealloc(q->sinks, sizeof *q->sinks * (size_t)(sink + 1));
        for (int i = q->n_sinks; i <= sink; i++)
            q->sinks[i] = (sq_sink){heap_new(sizeof(sq_entry *), by_order), heap_new(sizeof(sq_entry *), by_due)};
        q->n_sinks = sink + 1;
    }
    return &q->sinks[sink];
}

/* e (new, due at once) may start. */
static void schedule(send_queue *q, sq_entry *e) { heap_push(sink_at(q, e->sink)->ready, &e); }

void sq_push(send_queue *q, sq_entry *e, int sink, const char *id, void *owner) {
    size_t n = strlen(id);
    char stack[128], *key = n + 4 <= sizeof stack ? stack : xmalloc(n + 4);
    int32_t s32 = sink;
    memcpy(key, &s32, 4);
    memcpy(key + 4, id, n);
    int added, k = dict_add(q->chains, key, n + 4, &added);
    if (key != stack) free(key);
    if (k >= q->tails_cap) {
        q->tails_cap = q->tails_cap ? 2 * q->tails_cap : 64;
        while (k >= q->tails_cap) q->tails_cap *= 2;
        q->tails = xrealloc(q->tails, sizeof *q->tails * (size_t)q->tails_cap);
    }
    *e = (sq_entry){.owner = owner, .order = q->next_order++, .sink = sink, .chain = k};
    if (added) {
        schedule(q, e);
    } else {
        q->tails[k]->next = e; /* waits for the one before it */
    }
    q->tails[k] = e;
}

sq_entry *sq_pop(send_queue *q, int sink, int64_t now_ms) {
    if (sink >= q->n_sinks) return NULL;
    sq_sink *s = &q->sinks[sink];
    const sq_entry *const *t;
    while ((t = heap_top(s->timers)) && (*t)->due_ms <= now_ms) {
        sq_entry *e;
        heap_pop(s->timers, &e);
        heap_push(s->ready, &e);
    }
    sq_entry *e;
    return heap_pop(s->ready, &e) == 0 ? e : NULL;
}

void sq_retry(send_queue *q, sq_entry *e, int64_t due_ms) {
    e->due_ms = due_ms;
    heap_push(sink_at(q, e->sink)->timers, &e);
}

void sq_done(send_queue *q, sq_entry *e) {
    if (e->next) {
        schedule(q, e->next);
    } else { /* the chain's last delivery: the chain is empty */
        q->tails[e->chain] = NULL;
        dict_del_id(q->chains, e->chain);
    }
    e->next = NULL;
}

int64_t sq_next_due(send_queue *q, int sink, int64_t now_ms) {
    if (sink >= q->n_sinks) return INT64_MAX;
    sq_sink *s = &q->sinks[sink];
    if (heap_count(s->ready)) return now_ms;
    const sq_entry *const *t = heap_top(s->timers);
    return t ? (*t)->due_ms : INT64_MAX;
}

uint64_t sq_compares(const send_queue *q) {
    uint64_t n = 0;
    for (int i = 0; i < q->n_sinks; i++) n += heap_compares(q->sinks[i].ready) + heap_compares(q->sinks[i].timers);
    return n;
}
