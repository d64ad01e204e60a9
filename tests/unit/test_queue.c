/* Tests for util/queue: order, bounds, time-outs, close, and two threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>

#include "util/queue.h"
#include "util/timeutil.h"

static void test_fifo_order_and_bound(void **state) {
    (void)state;
    queue *q = queue_new(3);
    int v[4] = {1, 2, 3, 4};
    for (int i = 0; i < 3; i++) assert_int_equal(queue_push(q, &v[i], 0), 0);
    assert_int_equal(queue_depth(q), 3);
    int64_t t0 = time_mono_ns();
    assert_int_equal(queue_push(q, &v[3], 50), 1); /* full: times out */
    assert_true(time_mono_ns() - t0 >= 40 * 1000000LL);
    void *out[8];
    assert_int_equal(queue_pop_many(q, out, 2, 0), 2);
    assert_ptr_equal(out[0], &v[0]);
    assert_ptr_equal(out[1], &v[1]);
    assert_int_equal(queue_push(q, &v[3], 0), 0);
    assert_int_equal(queue_pop_many(q, out, 8, 0), 2);
    assert_ptr_equal(out[0], &v[2]);
    assert_ptr_equal(out[1], &v[3]);
    assert_int_equal(queue_pop_many(q, out, 8, 20), 0); /* empty: times out */
    queue_free(q);
}

static void test_close_drains_then_fails(void **state) {
    (void)state;
    queue *q = queue_new(4);
    int a = 1;
    assert_int_equal(queue_push(q, &a, 0), 0);
    queue_close(q);
    assert_int_equal(queue_push(q, &a, 0), -1);
    void *out[2];
    assert_int_equal(queue_pop_many(q, out, 2, -1), 1);
    assert_int_equal(queue_pop_many(q, out, 2, -1), -1);
    queue_free(q);
}

#define N_ITEMS 100000
static void *producer(void *arg) {
    queue *q = arg;
    for (intptr_t i = 1; i <= N_ITEMS; i++)
        if (queue_push(q, (void *)i, -1) != 0) break;
    queue_close(q);
    return NULL;
}

static void test_two_threads_keep_order(void **state) {
    (void)state;
    queue *q = queue_new(16);
    pthread_t t;
    pthread_create(&t, NULL, producer, q);
    intptr_t expect = 1;
    void *out[7];
    int n;
    while ((n = queue_pop_many(q, out, 7, 1000)) != -1)
        for (int i = 0; i < n; i++) assert_int_equal((intptr_t)out[i], expect++);
    assert_int_equal(expect, N_ITEMS + 1);
    pthread_join(t, NULL);
    queue_free(q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_order_and_bound),
        cmocka_unit_test(test_close_drains_then_fails),
        cmocka_unit_test(test_two_threads_keep_order),
    };
    return cmocka_run_group_tests_name("queue", tests, NULL, NULL);
}
