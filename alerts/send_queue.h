/* send_queue — the webhook client's schedule: which delivery starts next.
 *
 * A delivery is queued for a sink with its alert id. Of one alert id's
 * deliveries to one sink only the earliest submitted that has not
 * finished may start, so firing, repeats and the resolve arrive in order;
 * the others wait in that (sink, id)'s chain. A delivery that may start
 * is ready once its retry time has come, and ready deliveries of a sink
 * start in submission order.
 *
 * Each operation costs O(log n) in the deliveries queued (util/dict finds
 * a chain, util/heap orders the rest), so an outage backlog of n
 * deliveries drains in O(n log n) with no scan for an earlier delivery of
 * the same id. Entries are the caller's (embedded in its delivery); the
 * queue never frees them. Not thread-safe. */
#ifndef FINSENT_SEND_QUEUE_H
#define FINSENT_SEND_QUEUE_H

#include <stdint.h>

/* Embedded in the caller's delivery; the queue owns the fields. */
typedef struct sq_entry {
    void *owner;          /* the caller's delivery, as given to sq_push */
    uint64_t order;       /* submission order */
    int64_t due_ms;       /* when it may start; 0 for a new delivery */
    int sink, chain;
    struct sq_entry *next; /* the next delivery of the same (sink, id) */
} sq_entry;

typedef struct send_queue send_queue;

/* An empty schedule. Never NULL. */
send_queue *sq_new(void);
/* Frees the schedule, not the entries; NULL is a no-op. */
void sq_free(send_queue *q);

/* Queues e (owned by the caller, alive until sq_done) for sink (>= 0) and
 * alert id: ready at once, unless an earlier delivery of the same (sink,
 * id) is unfinished, then ready when that one is done. */
void sq_push(send_queue *q, sq_entry *e, int sink, const char *id, void *owner);

/* The ready delivery of sink submitted first, among those due by now_ms,
 * taken off the schedule (it is in flight); NULL when none is due. */
sq_entry *sq_pop(send_queue *q, int sink, int64_t now_ms);

/* e (popped, then failed) is due again at due_ms. */
void sq_retry(send_queue *q, sq_entry *e, int64_t due_ms);

/* e (popped) is finished for good (delivered, rejected or given up): the
 * next delivery of its (sink, id), if any, becomes ready. */
void sq_done(send_queue *q, sq_entry *e);

/* When sink's next delivery is due: a time <= now_ms when one is ready,
 * INT64_MAX when none is waiting (chains behind a delivery in flight do
 * not count). */
int64_t sq_next_due(send_queue *q, int sink, int64_t now_ms);

/* Comparisons the schedule's heaps made so far: tests check that draining
 * n deliveries costs O(n log n) of them. */
uint64_t sq_compares(const send_queue *q);

#endif
