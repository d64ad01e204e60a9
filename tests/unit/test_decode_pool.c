/* Tests of ingest/decode_pool: jobs come back in push order, decoded as
 * decode_message alone would (events and dead-letter reasons), with 0, 1
 * and 3 workers; drop_if discards (and releases) exactly the matching
 * jobs, whether a worker has decoded them yet or not; free releases what
 * is left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/decode_pool.h"
#include "util/xalloc.h"

#define N 3000

/* A message i: every 7th is invalid JSON, the rest carry id "m<i>". */
typedef struct msg {
    int i;
    char *payload;
} msg;

static int released;

static void release(void *tag) {
    msg *m = tag;
    free(m->payload);
    free(m);
    released++;
}

static msg *msg_new(int i) {
    msg *m = xcalloc(1, sizeof *m);
    m->i = i;
    m->payload = i % 7 == 3 ? xasprintf("{\"id\":\"m%d\",", i)
                            : xasprintf("{\"id\":\"m%d\",\"ts\":%d,\"text\":\"$AAPL up %d\"}", i, 1000 + i, i);
    return m;
}

static void push_range(decode_pool *p, int from, int to) {
    decode_job jobs[64];
    int n = 0;
    for (int i = from; i < to; i++) {
        msg *m = msg_new(i);
        jobs[n++] = (decode_job){.tag = m,
                                 .m = {.payload = m->payload, .len = strlen(m->payload), .topic = "t",
                                       .partition = i % 3, .offset = i, .timestamp_ms = -1}};
        if (n == 64 || i == to - 1) {
            decode_pool_push(p, jobs, (size_t)n);
            n = 0;
        }
    }
}

/* Takes the next job and checks it is message want, decoded right. */
static void take_expect(decode_pool *p, int want) {
    decode_job j;
    assert_int_equal(decode_pool_take(p, &j), 1);
    msg *m = j.tag;
    assert_int_equal(m->i, want);
    if (want % 7 == 3) {
        assert_null(j.e);
        assert_int_equal(j.r.reason, DECODE_INVALID_JSON);
    } else {
        assert_non_null(j.e);
        char id[16];
        snprintf(id, sizeof id, "m%d", want);
        assert_string_equal(j.e->id, id);
        assert_int_equal(j.e->origin_offset, want);
        assert_int_equal(j.e->n_entities, 1);
        assert_string_equal(j.e->entities[0], "AAPL");
        event_free(j.e);
    }
    release(m);
}

static void order_with(int threads) {
    ingest_options o = {0};
    decode_pool *p = decode_pool_new(&o, threads, release);
    released = 0;
    /* pushes interleaved with takes, so workers race the taker */
    int next = 0;
    for (int from = 0; from < N; from += 500) {
        push_range(p, from, from + 500);
        for (int k = 0; k < 300; k++) take_expect(p, next++);
    }
    assert_int_equal(decode_pool_count(p), (size_t)(N - next));
    while (next < N) take_expect(p, next++);
    decode_job j;
    assert_int_equal(decode_pool_take(p, &j), 0);
    assert_null(j.tag);
    assert_int_equal(released, N);
    decode_pool_free(p);
    ingest_options_free(&o);
}

static void test_order_no_workers(void **state) {
    (void)state;
    order_with(0);
}

static void test_order_one_worker(void **state) {
    (void)state;
    order_with(1);
}

static void test_order_three_workers(void **state) {
    (void)state;
    order_with(3);
}

static int odd_partition(void *tag, void *ud) {
    (void)ud;
    return ((msg *)tag)->i % 3 == 1;
}

static void test_drop_if_and_free(void **state) {
    (void)state;
    ingest_options o = {0};
    decode_pool *p = decode_pool_new(&o, 2, release);
    released = 0;
    push_range(p, 0, 600);
    int dropped = decode_pool_drop_if(p, odd_partition, NULL);
    assert_int_equal(dropped, 200);
    assert_int_equal(decode_pool_drop_if(p, odd_partition, NULL), 0); /* already dropped */
    for (int i = 0; i < 300; i++)
        if (i % 3 != 1) take_expect(p, i);
    /* jobs 0..299 taken or skipped: 100 of the skipped ones were released */
    assert_int_equal(released, 200 + 100);
    decode_pool_free(p); /* releases the 300 left, 100 of them dropped */
    assert_int_equal(released, 600);
    ingest_options_free(&o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_no_workers),
        cmocka_unit_test(test_order_one_worker),
        cmocka_unit_test(test_order_three_workers),
        cmocka_unit_test(test_drop_if_and_free),
    };
    return cmocka_run_group_tests_name("decode_pool", tests, NULL, NULL);
}
