/* threadpool — a fork-join pool for data-parallel loops (the encoder's).
 *
 * tp_run hands tasks 0..n-1 of one job to the pool's threads and to the
 * calling thread, in order, each to whichever is free next, and returns
 * when all are done. Between jobs the pool's threads sleep on a condition
 * variable: nothing spins or yields while the caller runs serial code,
 * which is the point (a BLAS's own spinning threads fight for the cores
 * on a small shared machine). Jobs from several threads take turns. */
#ifndef FINSENT_THREADPOOL_H
#define FINSENT_THREADPOOL_H

typedef struct tpool tpool;

/* fn(ctx, task, worker): worker is 0 for the calling thread and 1..n-1 for
 * the pool's threads, so that per-worker scratch can be indexed by it. */
typedef void (*tp_fn)(void *ctx, int task, int worker);

/* A pool of n workers in all (n - 1 threads plus the caller of tp_run);
 * n < 1 means 1. Aborts (like xalloc) when a thread cannot be started.
 * Never NULL. */
tpool *tp_new(int n);
/* Stops and joins the threads; NULL is a no-op. No job may be running. */
void tp_free(tpool *p);
int tp_size(const tpool *p);

/* Runs fn for tasks 0..n_tasks-1 and returns when every one has returned.
 * n_tasks <= 0 returns at once; one task, or a one-worker pool, runs on
 * the caller alone. */
void tp_run(tpool *p, tp_fn fn, void *ctx, int n_tasks);

#endif
