/* queue — bounded blocking pointer FIFO (ring buffer, one mutex, two
 * condition variables); see queue.h. */
#include "util/queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "util/xalloc.h"

struct queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    void **ring;
    size_t cap, head, len;
    int closed;
};

queue *queue_new(size_t capacity) {
    queue *q = xcalloc(1, sizeof *q);
    q->cap = capacity ? capacity : 1;
    q->ring = xcalloc(q->cap, sizeof(void *));
    pthread_mutex_init(&q->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->not_empty, &ca);
    pthread_cond_init(&q->not_full, &ca);
    pthread_condattr_destroy(&ca);
    return q;
}

void queue_free(queue *q) {
    if (!q) return;
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q->ring);
    free(q);
}

static struct timespec deadline(int timeout_ms) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Waits on cv until woken or past the deadline; returns ETIMEDOUT then. */
static int wait_on(pthread_cond_t *cv, pthread_mutex_t *m, int timeout_ms, const struct timespec *dl) {
    if (timeout_ms < 0) return pthread_cond_wait(cv, m);
    return pthread_cond_timedwait(cv, m, dl);
}

int queue_push(queue *q, void *item, int timeout_ms) {
    struct timespec dl = deadline(timeout_ms < 0 ? 0 : timeout_ms);
    pthread_mutex_lock(&q->lock);
    while (q->len == q->cap && !q->closed) {
        if (wait_on(&q->not_full, &q->lock, timeout_ms, &dl) == ETIMEDOUT) {
            pthread_mutex_unlock(&q->lock);
            return 1;
        }
    }
    if (q->closed) {
        pthread_mutex_unlock(&q->lock);
        return -1;
    }
    q->ring[(q->head + q->len) % q->cap] = item;
    q->len++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

int queue_pop_many(queue *q, void **items, int max, int timeout_ms) {
    struct timespec dl = deadline(timeout_ms < 0 ? 0 : timeout_ms);
    pthread_mutex_lock(&q->lock);
    while (q->len == 0 && !q->closed) {
        if (wait_on(&q->not_empty, &q->lock, timeout_ms, &dl) == ETIMEDOUT) {
            pthread_mutex_unlock(&q->lock);
            return 0;
        }
    }
    if (q->len == 0) { /* closed and drained */
        pthread_mutex_unlock(&q->lock);
        return -1;
    }
    int n = 0;
    while (n < max && q->len > 0) {
        items[n++] = q->ring[q->head];
        q->head = (q->head + 1) % q->cap;
        q->len--;
    }
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
    return n;
}

size_t queue_depth(queue *q) {
    pthread_mutex_lock(&q->lock);
    size_t n = q->len;
    pthread_mutex_unlock(&q->lock);
    return n;
}

size_t queue_capacity(const queue *q) { return q->cap; }

void queue_close(queue *q) {
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}
