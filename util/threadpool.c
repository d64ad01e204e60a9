/* threadpool — see threadpool.h.
 *
 * One job at a time. Its tasks are claimed from one 64-bit atomic word
 * holding the job's number (high half) and the next task (low half), so
 * that a thread that wakes late, after its job is over, can never claim a
 * task of the next job with the old job's function. The caller waits for
 * the count of finished tasks, not for the threads to check in: a thread
 * the kernel has not scheduled yet costs the job nothing. */
#include "util/threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/xalloc.h"

struct tpool {
    int n;
    pthread_t *threads;
    pthread_mutex_t run_lock; /* one job at a time */
    pthread_mutex_t mu;
    pthread_cond_t start, done;
    /* the current job, written under mu before claim is set */
    uint32_t job;
    tp_fn fn;
    void *ctx;
    int n_tasks;
    int stop;
    _Atomic uint64_t claim; /* job << 32 | next task */
    atomic_int finished;    /* tasks of the current job that returned */
};

typedef struct worker_arg {
    tpool *p;
    int id;
} worker_arg;

/* Claims and runs tasks of job `job` until none is left. */
static void work(tpool *p, uint32_t job, tp_fn fn, void *ctx, int n_tasks, int worker) {
    uint64_t c = atomic_load(&p->claim);
    for (;;) {
        if ((uint32_t)(c >> 32) != job || (int)(uint32_t)c >= n_tasks) return;
        if (!atomic_compare_exchange_weak(&p->claim, &c, c + 1)) continue;
        fn(ctx, (int)(uint32_t)c, worker);
        if (atomic_fetch_add(&p->finished, 1) + 1 == n_tasks) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
        c = atomic_load(&p->claim);
    }
}

static void *worker_main(void *arg) {
    worker_arg a = *(worker_arg *)arg;
    free(arg);
    tpool *p = a.p;
    uint32_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->job == seen && !p->stop) pthread_cond_wait(&p->start, &p->mu);
        if (p->stop) break;
        seen = p->job;
        tp_fn fn = p->fn;
        void *ctx = p->ctx;
        int n_tasks = p->n_tasks;
        pthread_mutex_unlock(&p->mu);
        work(p, seen, fn, ctx, n_tasks, a.id);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

tpool *tp_new(int n) {
    tpool *p = xcalloc(1, sizeof *p);
    p->n = n < 1 ? 1 : n;
    pthread_mutex_init(&p->run_lock, NULL);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->claim, 0);
    atomic_init(&p->finished, 0);
    p->threads = xcalloc((size_t)p->n, sizeof *p->threads);
    for (int i = 1; i < p->n; i++) {
        worker_arg *a = xmalloc(sizeof *a);
        a->p = p;
        a->id = i;
        if (pthread_create(&p->threads[i], NULL, worker_main, a) != 0) {
            fprintf(stderr, "threadpool: cannot start thread %d of %d\n", i, p->n);
            abort();
        }
    }
    return p;
}

void tp_free(tpool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++) pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->start);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->run_lock);
    free(p->threads);
    free(p);
}

int tp_size(const tpool *p) { return p->n; }

void tp_run(tpool *p, tp_fn fn, void *ctx, int n_tasks) {
    if (n_tasks <= 0) return;
    if (p->n == 1 || n_tasks == 1) {
        for (int t = 0; t < n_tasks; t++) fn(ctx, t, 0);
        return;
    }
    pthread_mutex_lock(&p->run_lock);
    pthread_mutex_lock(&p->mu);
    uint32_t job = ++p->job;
    if (job == 0) job = ++p->job; /* 0 is what a fresh thread has seen */
    p->fn = fn;
    p->ctx = ctx;
    p->n_tasks = n_tasks;
    atomic_store(&p->finished, 0);
    atomic_store(&p->claim, (uint64_t)job << 32);
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    work(p, job, fn, ctx, n_tasks, 0);
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->finished) < n_tasks) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_unlock(&p->run_lock);
}
