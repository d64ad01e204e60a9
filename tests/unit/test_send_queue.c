/* Unit tests for alerts/send_queue, the webhook client's schedule, in a
 * simulated clock: one delivery per (sink, id) in flight at a time and
 * completions in submission order under random failures and retries; the
 * submission order among ready deliveries; retries waiting for their
 * time; and an outage backlog (every delivery of n alerts fails three
 * times, then all succeed) drained with O(n log n) heap comparisons — the
 * count for 16 times the alerts grows about 22-fold here (printed), where
 * a scan for earlier deliveries of the same id would grow 256-fold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "alerts/send_queue.h"
#include "util/rng.h"

typedef struct delivery {
    sq_entry q;
    int sink, id, nth; /* nth delivery of (sink, id) */
    int in_flight, done, failures;
} delivery;

static void test_order_and_retry_time(void **state) {
    (void)state;
    send_queue *q = sq_new();
    delivery d[4] = {{.id = 1}, {.id = 2}, {.id = 1}, {.id = 3}};
    sq_push(q, &d[0].q, 0, "a", &d[0]);
    sq_push(q, &d[1].q, 0, "b", &d[1]);
    sq_push(q, &d[2].q, 0, "a", &d[2]); /* waits for d[0] */
    sq_push(q, &d[3].q, 1, "a", &d[3]); /* another sink: its own chain */
    assert_int_equal(sq_next_due(q, 0, 100), 100);
    assert_ptr_equal(sq_pop(q, 0, 100)->owner, &d[0]);
    assert_ptr_equal(sq_pop(q, 0, 100)->owner, &d[1]);
    assert_null(sq_pop(q, 0, 100)); /* d[2] waits for d[0] */
    assert_int_equal(sq_next_due(q, 0, 100), INT64_MAX);
    assert_ptr_equal(sq_pop(q, 1, 100)->owner, &d[3]);
    sq_retry(q, &d[0].q, 500);
    assert_int_equal(sq_next_due(q, 0, 100), 500);
    assert_null(sq_pop(q, 0, 499));
    assert_ptr_equal(sq_pop(q, 0, 500)->owner, &d[0]);
    sq_done(q, &d[0].q);
    assert_ptr_equal(sq_pop(q, 0, 500)->owner, &d[2]);
    sq_done(q, &d[2].q);
    sq_done(q, &d[1].q);
    sq_done(q, &d[3].q);
    /* the chain of "a" on sink 0 is gone: a new delivery is ready at once */
    delivery e = {.id = 1};
    sq_push(q, &e.q, 0, "a", &e);
    assert_ptr_equal(sq_pop(q, 0, 0)->owner, &e);
    sq_done(q, &e.q);
    sq_free(q);
    sq_free(NULL);
}

enum { SINKS = 3, IDS = 40, PER = 5, MAX_IN_FLIGHT = 4 };

static void test_random_failures_keep_order(void **state) {
    (void)state;
    send_queue *q = sq_new();
    static delivery d[SINKS * IDS * PER];
    int n = 0, next_nth[SINKS][IDS] = {{0}}, completed[SINKS][IDS] = {{0}}, busy[SINKS][IDS] = {{0}};
    rng_pcg r;
    rng_seed(&r, 77, 0);
    /* submissions interleaved at random */
    int left[SINKS][IDS];
    for (int s = 0; s < SINKS; s++)
        for (int i = 0; i < IDS; i++) left[s][i] = PER;
    while (n < SINKS * IDS * PER) {
        int s = (int)rng_below(&r, SINKS), i = (int)rng_below(&r, IDS);
        if (!left[s][i]) continue;
        left[s][i]--;
        d[n] = (delivery){.sink = s, .id = i, .nth = next_nth[s][i]++};
        char id[16];
        snprintf(id, sizeof id, "alert-%d", i);
        sq_push(q, &d[n].q, s, id, &d[n]);
        n++;
    }
    delivery *flight[SINKS][MAX_IN_FLIGHT];
    int nf[SINKS] = {0}, finished = 0;
    for (int64_t now = 0; finished < n && now < 1000000; now++) {
        for (int s = 0; s < SINKS; s++) {
            sq_entry *e;
            while (nf[s] < MAX_IN_FLIGHT && (e = sq_pop(q, s, now))) {
                delivery *x = e->owner;
                assert_int_equal(busy[x->sink][x->id], 0); /* one per (sink, id) */
                busy[x->sink][x->id] = 1;
                flight[s][nf[s]++] = x;
            }
            /* each in-flight delivery ends this tick: 40% fail and retry */
            for (int k = 0; k < nf[s]; k++) {
                delivery *x = flight[s][k];
                busy[x->sink][x->id] = 0;
                if (rng_below(&r, 10) < 4) {
                    x->failures++;
                    sq_retry(q, &x->q, now + 1 + rng_below(&r, 20));
                } else {
                    assert_int_equal(x->nth, completed[x->sink][x->id]); /* in submission order */
                    completed[x->sink][x->id]++;
                    sq_done(q, &x->q);
                    finished++;
                }
            }
            nf[s] = 0;
        }
    }
    assert_int_equal(finished, n);
    for (int s = 0; s < SINKS; s++)
        for (int i = 0; i < IDS; i++) assert_int_equal(completed[s][i], PER);
    sq_free(q);
}

/* Drains an outage backlog: n alerts, a firing and a resolve each, every
 * delivery failing three times (back-off 10-20 ticks) before it succeeds,
 * 4 in flight. Returns the heap comparisons it took. */
static uint64_t drain_backlog(int n) {
    send_queue *q = sq_new();
    delivery *d = calloc((size_t)(2 * n), sizeof *d);
    char id[32];
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < n; i++) {
            delivery *x = &d[k * n + i];
            *x = (delivery){.id = i, .nth = k};
            snprintf(id, sizeof id, "rule:entity=E%d:%d", i, i * 60000);
            sq_push(q, &x->q, 0, id, x);
        }
    rng_pcg r;
    rng_seed(&r, 5, (uint64_t)n);
    int finished = 0, *resolved_after = calloc((size_t)n, sizeof *resolved_after);
    for (int64_t now = 0; finished < 2 * n; now++) {
        sq_entry *e;
        for (int k = 0; k < MAX_IN_FLIGHT && (e = sq_pop(q, 0, now)); k++) {
            delivery *x = e->owner;
            if (x->failures < 3) {
                x->failures++;
                sq_retry(q, e, now + 10 + rng_below(&r, 11));
                continue;
            }
            if (x->nth == 0) resolved_after[x->id] = 1;
            else assert_int_equal(resolved_after[x->id], 1); /* a resolve never overtakes its firing */
            sq_done(q, e);
            finished++;
        }
    }
    uint64_t c = sq_compares(q);
    free(resolved_after);
    free(d);
    sq_free(q);
    return c;
}

static void test_backlog_is_n_log_n(void **state) {
    (void)state;
    int small = 1000, big = 16000;
    uint64_t cs = drain_backlog(small), cb = drain_backlog(big);
    double ns = 2.0 * small, nb = 2.0 * big;
    print_message("# backlog of %d deliveries: %llu heap comparisons (%.1f per delivery); %d: %llu (%.1f); "
                  "growth %.1fx for %.0fx the deliveries\n",
                  (int)ns, (unsigned long long)cs, cs / ns, (int)nb, (unsigned long long)cb, cb / nb,
                  (double)cb / (double)cs, nb / ns);
    /* per delivery the cost may grow with log n, not with n */
    assert_true(cb / nb <= 2.0 * (cs / ns) * log2(nb) / log2(ns));
    assert_true((double)cb / (double)cs < 0.25 * (nb / ns) * (nb / ns)); /* far below quadratic */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_retry_time),
        cmocka_unit_test(test_random_failures_keep_order),
        cmocka_unit_test(test_backlog_is_n_log_n),
    };
    return cmocka_run_group_tests_name("send_queue", tests, NULL, NULL);
}
