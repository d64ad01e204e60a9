/* Tests for app/pending_acks with the consumer's offset runs behind it:
 * events of one window end merge into one run, runs close out of order
 * with event-time disorder, the run bound folds instead of growing, and a
 * random stream with disorder and dead letters never lets the committable
 * offset pass an event whose windows are still open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "app/pending_acks.h"
#include "ingest/offset_runs.h"
#include "util/xalloc.h"

typedef struct acks {
    pend_run got[64];
    int n;
    int64_t watermark;
} acks;

static void record(void *ud, const pend_run *r) {
    acks *a = ud;
    assert_true(r->last_end <= a->watermark);
    if (a->n < 64) a->got[a->n] = *r;
    a->n++;
}

static void test_one_end_is_one_run(void **state) {
    (void)state;
    pend_set s;
    pend_init(&s, 0);
    for (int64_t i = 0; i < 1000; i++) pend_add(&s, 0, i, 900000);
    assert_int_equal(pend_runs(&s), 1);
    assert_int_equal(s.events, 1000);
    acks a = {.watermark = 899999};
    assert_int_equal(pend_ack_closed(&s, a.watermark, record, &a), 0);
    a.watermark = 900000;
    assert_int_equal(pend_ack_closed(&s, a.watermark, record, &a), 1000);
    assert_int_equal(a.n, 1);
    assert_int_equal(a.got[0].first, 0);
    assert_int_equal(a.got[0].last, 999);
    assert_int_equal(a.got[0].n, 1000);
    assert_int_equal(pend_runs(&s), 0);
    assert_int_equal(s.events, 0);
    pend_free(&s);
}

static void test_out_of_order_ends(void **state) {
    (void)state;
    pend_set s;
    pend_init(&s, 0);
    /* source 1: offsets 0-3 end 200, 4-5 end 100 (older event time), 6-9 end 200 */
    for (int64_t i = 0; i < 10; i++) pend_add(&s, 1, i, i >= 4 && i <= 5 ? 100 : 200);
    pend_add(&s, 0, 7, 150);
    assert_int_equal(pend_runs(&s), 4);
    acks a = {.watermark = 150};
    assert_int_equal(pend_ack_closed(&s, a.watermark, record, &a), 3);
    assert_int_equal(a.n, 2);
    assert_int_equal(a.got[0].src, 1);
    assert_int_equal(a.got[0].first, 4);
    assert_int_equal(a.got[0].last, 5);
    assert_int_equal(a.got[1].src, 0);
    a.n = 0;
    a.watermark = 200;
    assert_int_equal(pend_ack_closed(&s, a.watermark, record, &a), 8);
    assert_int_equal(a.n, 2);
    /* a partition read again (rebalance) never makes a run span backwards */
    pend_add(&s, 1, 20, 300);
    pend_add(&s, 1, 5, 300);
    assert_int_equal(pend_runs(&s), 2);
    pend_free(&s);
}

static void test_bound_folds(void **state) {
    (void)state;
    pend_set s;
    pend_init(&s, 4);
    for (int64_t i = 0; i < 1000; i++) pend_add(&s, 0, i, 100 + (i % 2) * 100 + i / 100);
    assert_true(pend_runs(&s) <= 5);
    assert_true(s.folded > 0);
    acks a = {.watermark = 150};
    pend_ack_closed(&s, a.watermark, record, &a); /* record checks every run's end */
    a.watermark = INT64_MAX;
    int64_t left = s.events;
    assert_int_equal(pend_ack_closed(&s, a.watermark, record, &a), left);
    assert_int_equal(s.events, 0);
    pend_free(&s);
}

/* The pipeline and the consumer together: events of 3 partitions with
 * disordered event time, some offsets dead-lettered (delivered later);
 * after every step, every offset below a partition's committable offset is
 * an event whose windows closed or a delivered dead letter. */
typedef struct both {
    oruns parts[3];
} both;

static void to_consumer(void *ud, const pend_run *r) {
    both *b = ud;
    oruns_set(&b->parts[r->src], r->first, r->last, ORUNS_MASK(ORUNS_RELEASED), ORUNS_ACKED, NULL);
}

static void test_commit_never_passes_open_window(void **state) {
    (void)state;
    enum { N = 4000 };
    int64_t *end = xmalloc(sizeof *end * N * 3); /* per partition × offset: last window end, -1 dead letter */
    int *delivered = xcalloc((size_t)N * 3, sizeof *delivered);
    both b;
    for (int p = 0; p < 3; p++) oruns_init(&b.parts[p]);
    pend_set s;
    pend_init(&s, 16); /* small: folding happens */
    srand(11);
    int64_t next[3] = {0, 0, 0}, now = 0, watermark = -1;
    for (int step = 0; step < N * 2; step++) {
        int p = rand() % 3;
        if (next[p] < N) {
            int64_t off = next[p]++;
            oruns_push(&b.parts[p], off);
            if (rand() % 25 == 0) {
                end[p * N + off] = -1;
                oruns_set(&b.parts[p], off, off, ORUNS_MASK(ORUNS_IN_FLIGHT), ORUNS_DEAD_LETTER, NULL);
            } else {
                int64_t ts = now - rand() % 30; /* event-time disorder */
                int64_t e = (ts / 10 + 1) * 10 + 10;
                end[p * N + off] = e;
                oruns_set(&b.parts[p], off, off, ORUNS_MASK(ORUNS_IN_FLIGHT), ORUNS_RELEASED, NULL);
                pend_add(&s, p, off, e);
            }
        }
        if (rand() % 7 == 0) { /* a dead letter's delivery */
            int q = rand() % 3;
            int64_t off = next[q] ? rand() % next[q] : 0;
            if (next[q] && end[q * N + off] == -1 && !delivered[q * N + off]) {
                delivered[q * N + off] = 1;
                oruns_set(&b.parts[q], off, off, ORUNS_MASK(ORUNS_DEAD_LETTER), ORUNS_ACKED, NULL);
            }
        }
        now++;
        if (now - 25 > watermark) watermark = now - 25;
        pend_ack_closed(&s, watermark, to_consumer, &b);
        assert_true(pend_runs(&s) <= 16 + 3);
        for (int q = 0; q < 3; q++) {
            int64_t c = oruns_committable(&b.parts[q]);
            for (int64_t off = 0; off < c; off++) {
                int64_t e = end[q * N + off];
                if (e == -1)
                    assert_true(delivered[q * N + off]);
                else
                    assert_true(e <= watermark);
            }
        }
    }
    /* everything closes and every dead letter is delivered: all committable */
    pend_ack_closed(&s, INT64_MAX, to_consumer, &b);
    for (int q = 0; q < 3; q++) {
        oruns_set(&b.parts[q], 0, N, ORUNS_MASK(ORUNS_DEAD_LETTER), ORUNS_ACKED, NULL);
        assert_true(next[q] > N / 2);
        assert_int_equal(oruns_committable(&b.parts[q]), next[q]);
        assert_int_equal(oruns_runs(&b.parts[q]), 0);
        oruns_free(&b.parts[q]);
    }
    pend_free(&s);
    free(end);
    free(delivered);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_end_is_one_run),
        cmocka_unit_test(test_out_of_order_ends),
        cmocka_unit_test(test_bound_folds),
        cmocka_unit_test(test_commit_never_passes_open_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
