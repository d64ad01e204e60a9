/* Tests for ingest/offset_runs: runs merge as offsets change state in
 * order, acks out of order, dead letters and gaps hold the committable
 * offset back, and a random sequence of operations against a per-offset
 * model (the committable offset never passes an unacknowledged one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "ingest/offset_runs.h"
#include "util/xalloc.h"

#define REL ORUNS_MASK(ORUNS_RELEASED)
#define ANY (ORUNS_MASK(ORUNS_IN_FLIGHT) | REL | ORUNS_MASK(ORUNS_DEAD_LETTER))

static void test_in_order_release_keeps_two_runs(void **state) {
    (void)state;
    oruns o;
    oruns_init(&o);
    for (int64_t i = 0; i < 1000; i++) assert_int_equal(oruns_push(&o, i), 0);
    assert_int_equal(oruns_runs(&o), 1);
    assert_int_equal(oruns_push(&o, 999), -1); /* not after the last one */
    for (int64_t i = 0; i < 1000; i++) {
        int64_t left[ORUNS_N_STATES] = {0};
        assert_int_equal(oruns_set(&o, i, i, ORUNS_MASK(ORUNS_IN_FLIGHT), ORUNS_RELEASED, left), 1);
        assert_int_equal(left[ORUNS_IN_FLIGHT], 1);
        assert_true(oruns_runs(&o) <= 2);
    }
    assert_int_equal(oruns_runs(&o), 1);
    assert_int_equal(oruns_count(&o, REL), 1000);
    assert_int_equal(oruns_committable(&o), -1);
    assert_int_equal(oruns_set(&o, 0, 499, REL, ORUNS_ACKED, NULL), 500);
    assert_int_equal(oruns_committable(&o), 500);
    assert_int_equal(oruns_state(&o, 499), -1); /* forgotten once committable */
    assert_int_equal(oruns_state(&o, 500), ORUNS_RELEASED);
    assert_int_equal(oruns_set(&o, 0, 499, REL, ORUNS_ACKED, NULL), 0); /* repeated: nothing moves */
    oruns_free(&o);
}

static void test_out_of_order_acks_and_dead_letter(void **state) {
    (void)state;
    oruns o;
    oruns_init(&o);
    for (int64_t i = 0; i < 100; i++) oruns_push(&o, i);
    oruns_set(&o, 0, 99, ANY, ORUNS_RELEASED, NULL);
    assert_int_equal(oruns_set(&o, 50, 50, REL, ORUNS_DEAD_LETTER, NULL), 1);
    assert_int_equal(oruns_runs(&o), 3);
    assert_int_equal(oruns_set(&o, 60, 99, REL, ORUNS_ACKED, NULL), 40);
    assert_int_equal(oruns_committable(&o), -1); /* 0..59 not acknowledged */
    assert_int_equal(oruns_set(&o, 0, 99, REL, ORUNS_ACKED, NULL), 59); /* the dead letter is not released */
    assert_int_equal(oruns_committable(&o), 50);
    assert_int_equal(oruns_state(&o, 50), ORUNS_DEAD_LETTER);
    assert_int_equal(oruns_set(&o, 50, 50, ANY, ORUNS_ACKED, NULL), 1);
    assert_int_equal(oruns_committable(&o), 100);
    assert_int_equal(oruns_runs(&o), 0);
    oruns_free(&o);
}

static void test_gaps(void **state) {
    (void)state;
    oruns o;
    oruns_init(&o);
    const int64_t offs[] = {10, 11, 12, 20, 21};
    for (int i = 0; i < 5; i++) oruns_push(&o, offs[i]);
    assert_int_equal(oruns_runs(&o), 2);
    assert_int_equal(oruns_state(&o, 15), -1);
    assert_int_equal(oruns_count(&o, ORUNS_MASK(ORUNS_IN_FLIGHT)), 5);
    assert_int_equal(oruns_set(&o, 0, 100, ANY, ORUNS_RELEASED, NULL), 5);
    assert_int_equal(oruns_runs(&o), 2); /* no merge across the gap */
    assert_int_equal(oruns_set(&o, 10, 12, REL, ORUNS_ACKED, NULL), 3);
    assert_int_equal(oruns_committable(&o), 13);
    assert_int_equal(oruns_set(&o, 0, 100, REL, ORUNS_ACKED, NULL), 2);
    assert_int_equal(oruns_committable(&o), 22);
    oruns_free(&o);
}

/* The committable offset a per-offset model gives: after the longest
 * prefix of pushed offsets that are all acknowledged. */
static int64_t model_committable(const int *st, const int64_t *pushed, int n, int64_t before) {
    int64_t c = before;
    for (int i = 0; i < n && st[pushed[i]] == ORUNS_ACKED; i++) c = pushed[i] + 1;
    return c;
}

static void test_random_against_model(void **state) {
    (void)state;
    enum { SPAN = 3000, OPS = 6000 };
    int *st = xmalloc(sizeof *st * SPAN);
    int64_t *pushed = xmalloc(sizeof *pushed * SPAN);
    int n = 0;
    for (int i = 0; i < SPAN; i++) st[i] = -1;
    srand(7);
    oruns o;
    oruns_init(&o);
    int64_t next = 0;
    for (int op = 0; op < OPS; op++) {
        int k = rand() % 4;
        if (k == 0 && next < SPAN - 3) {
            next += (rand() % 10 == 0) ? 2 : 1; /* an occasional gap */
            oruns_push(&o, next);
            st[next] = ORUNS_IN_FLIGHT;
            pushed[n++] = next;
        } else if (n > 0) {
            int64_t a = pushed[rand() % n], b = a + rand() % 40;
            unsigned mask = (unsigned)(rand() % 15 + 1);
            int to = rand() % ORUNS_N_STATES;
            int64_t expect = 0;
            for (int64_t x = a; x <= b && x < SPAN; x++)
                if (st[x] >= 0 && st[x] != ORUNS_ACKED && st[x] != to && (mask & ORUNS_MASK(st[x]))) {
                    st[x] = to;
                    expect++;
                }
            /* acknowledged offsets are final: the model only moves the others */
            int64_t got = oruns_set(&o, a, b, mask & ~ORUNS_MASK(ORUNS_ACKED), to, NULL);
            assert_int_equal(got, expect);
        }
        int64_t want = model_committable(st, pushed, n, -1);
        assert_int_equal(oruns_committable(&o), want);
        for (int i = 0; i < n; i++) {
            int64_t x = pushed[i];
            if (x < want) continue;
            assert_int_equal(oruns_state(&o, x), st[x]);
        }
    }
    oruns_free(&o);
    free(st);
    free(pushed);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_release_keeps_two_runs),
        cmocka_unit_test(test_out_of_order_acks_and_dead_letter),
        cmocka_unit_test(test_gaps),
        cmocka_unit_test(test_random_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
