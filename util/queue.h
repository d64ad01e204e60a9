/* queue — a bounded blocking FIFO of pointers between pipeline threads.
 *
 * Producers block when it is full (back-pressure), consumers block when it
 * is empty; both wait at most a timeout so that threads can check for
 * shutdown. After queue_close, pushes fail and pops drain what is left,
 * then report closed. The queue never owns the items. */
#ifndef FINSENT_QUEUE_H
#define FINSENT_QUEUE_H

#include <stddef.h>

typedef struct queue queue;

/* A queue holding at most capacity items (>= 1). Never NULL. */
queue *queue_new(size_t capacity);
/* Frees the queue (not the items left in it). */
void queue_free(queue *q);

/* Appends item, waiting up to timeout_ms (-1 = forever) for room.
 * Returns 0 on success, 1 on time-out, -1 when the queue is closed. */
int queue_push(queue *q, void *item, int timeout_ms);

/* Takes up to max items, waiting up to timeout_ms (-1 = forever) for the
 * first. Returns the number taken (>= 1), 0 on time-out, -1 when the queue is
 * closed and empty. */
int queue_pop_many(queue *q, void **items, int max, int timeout_ms);

/* Items currently queued; a snapshot for metrics. */
size_t queue_depth(queue *q);
size_t queue_capacity(const queue *q);

/* Wakes every waiter; later pushes fail, pops drain then return -1. */
void queue_close(queue *q);

#endif
