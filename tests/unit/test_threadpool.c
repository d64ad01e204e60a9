/* Unit tests for util/threadpool: every task of a job runs exactly once, on
 * a worker id in range; jobs back to back (a late-waking thread must not
 * run a task of the next job with the old job's function); jobs from two
 * threads at once on one pool; the one-worker and empty cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "util/threadpool.h"

enum { MAX_TASKS = 4096 };

typedef struct job {
    atomic_int runs[MAX_TASKS];
    atomic_int bad_worker;
    int workers;
    int tag; /* which job this is: tasks check they were called with it */
    atomic_int wrong_tag;
    int *current_tag;
} job;

static void count_task(void *ctx, int task, int worker) {
    job *j = ctx;
    atomic_fetch_add(&j->runs[task], 1);
    if (worker < 0 || worker >= j->workers) atomic_fetch_add(&j->bad_worker, 1);
    if (j->current_tag && *j->current_tag != j->tag) atomic_fetch_add(&j->wrong_tag, 1);
}

static void run_and_check(tpool *p, job *j, int n) {
    for (int i = 0; i < n; i++) atomic_store(&j->runs[i], 0);
    tp_run(p, count_task, j, n);
    for (int i = 0; i < n; i++)
        if (atomic_load(&j->runs[i]) != 1) fail_msg("task %d of %d ran %d times", i, n, atomic_load(&j->runs[i]));
    assert_int_equal(atomic_load(&j->bad_worker), 0);
}

static void test_each_task_once(void **state) {
    (void)state;
    static job j;
    for (int w = 1; w <= 4; w++) {
        tpool *p = tp_new(w);
        assert_int_equal(tp_size(p), w);
        memset(&j, 0, sizeof j);
        j.workers = w;
        run_and_check(p, &j, 1);
        run_and_check(p, &j, 3);
        run_and_check(p, &j, MAX_TASKS);
        tp_run(p, count_task, &j, 0); /* nothing to do: returns */
        tp_free(p);
    }
    tpool *p = tp_new(0);
    assert_int_equal(tp_size(p), 1);
    tp_free(p);
}

/* Many short jobs in a row, each task checking that the job it belongs to
 * is the current one. */
static void test_jobs_back_to_back(void **state) {
    (void)state;
    static job a, b;
    tpool *p = tp_new(3);
    int current = 0;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.workers = b.workers = 3;
    a.tag = 1;
    b.tag = 2;
    a.current_tag = b.current_tag = &current;
    for (int i = 0; i < 3000; i++) {
        job *j = i % 2 ? &b : &a;
        current = j->tag;
        run_and_check(p, j, 1 + i % 7);
    }
    assert_int_equal(atomic_load(&a.wrong_tag) + atomic_load(&b.wrong_tag), 0);
    tp_free(p);
}

typedef struct caller {
    tpool *p;
    job j;
    int ok;
} caller;

static void *call_many(void *arg) {
    caller *c = arg;
    c->ok = 1;
    for (int round = 0; round < 500 && c->ok; round++) {
        for (int i = 0; i < 64; i++) atomic_store(&c->j.runs[i], 0);
        tp_run(c->p, count_task, &c->j, 64);
        for (int i = 0; i < 64; i++) c->ok &= atomic_load(&c->j.runs[i]) == 1;
    }
    return NULL;
}

/* Two threads share one pool: their jobs take turns, none is lost. */
static void test_two_callers(void **state) {
    (void)state;
    static caller c[2];
    tpool *p = tp_new(2);
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        memset(&c[i], 0, sizeof c[i]);
        c[i].p = p;
        c[i].j.workers = 2;
        assert_int_equal(pthread_create(&t[i], NULL, call_many, &c[i]), 0);
    }
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    assert_true(c[0].ok && c[1].ok);
    assert_int_equal(atomic_load(&c[0].j.bad_worker) + atomic_load(&c[1].j.bad_worker), 0);
    tp_free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_task_once),
        cmocka_unit_test(test_jobs_back_to_back),
        cmocka_unit_test(test_two_callers),
    };
    return cmocka_run_group_tests_name("threadpool", tests, NULL, NULL);
}
