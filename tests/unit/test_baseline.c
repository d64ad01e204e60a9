/* Unit tests for alerts/baseline: EWMA mean and variance by hand, warm-up,
 * the σ floor, keys kept apart and the robust variant's clipping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alerts/baseline.h"

static win_stats st(int64_t count, int64_t neg) { return (win_stats){count, neg, count - neg, 0, 0}; }

static void test_ewma_by_hand(void **state) {
    (void)state;
    bl_config c = {0.5, 3, 0.0, 0};
    bl_table *t = bl_create(&c);
    assert_int_equal(bl_get(t, 7)->n, 0);
    win_stats a = st(10, 1), b = st(20, 6), d = st(40, 8); /* shares 0.1, 0.3, 0.2 */
    bl_update(t, 7, &a);
    const bl_state *s = bl_get(t, 7);
    assert_float_equal(s->share_mean, 0.1, 1e-12);
    assert_float_equal(s->share_var, 0.0, 1e-12);
    assert_false(bl_ready(t, s));
    bl_update(t, 7, &b);
    s = bl_get(t, 7);
    /* d = 0.2: mean 0.2, var = 0.5·(0 + 0.5·0.04) = 0.01 */
    assert_float_equal(s->share_mean, 0.2, 1e-12);
    assert_float_equal(s->share_var, 0.01, 1e-12);
    assert_float_equal(s->vol_mean, 15.0, 1e-12);
    assert_float_equal(s->vol_var, 25.0, 1e-12);
    assert_float_equal(s->neg_mean, 3.5, 1e-12);
    bl_update(t, 7, &d);
    s = bl_get(t, 7);
    /* d = 0: mean 0.2, var = 0.5·0.01 = 0.005; volume d = 25: mean 27.5, var = 0.5·(25 + 0.5·625) */
    assert_float_equal(s->share_mean, 0.2, 1e-12);
    assert_float_equal(s->share_var, 0.005, 1e-12);
    assert_float_equal(s->vol_mean, 27.5, 1e-12);
    assert_float_equal(s->vol_var, 168.75, 1e-12);
    assert_float_equal(s->neg_mean, 5.75, 1e-12);
    assert_true(bl_ready(t, s));
    assert_float_equal(bl_share_stddev(t, s), 0.0707106781, 1e-9);
    assert_int_equal(bl_get(t, 3)->n, 0); /* another key untouched */
    bl_destroy(t);
}

static void test_stddev_floor(void **state) {
    (void)state;
    bl_config c = {0.3, 0, 0.05, 0};
    bl_table *t = bl_create(&c);
    win_stats a = st(10, 1);
    bl_update(t, 0, &a);
    bl_update(t, 0, &a);
    assert_float_equal(bl_share_stddev(t, bl_get(t, 0)), 0.05, 1e-12);
    assert_true(bl_ready(t, bl_get(t, 0)));
    bl_destroy(t);
}

/* robust_k: once warm, a window enters clipped at mean + k·σ (share σ
 * floored at min_stddev; negatives σ at min_stddev × volume mean). */
static void test_robust_clip(void **state) {
    (void)state;
    bl_config c = {0.5, 2, 0.05, 2};
    bl_table *t = bl_create(&c);
    win_stats calm = st(20, 2), hot = st(20, 18);
    bl_update(t, 0, &hot); /* not warm: taken as it is */
    assert_float_equal(bl_get(t, 0)->share_mean, 0.9, 1e-12);
    bl_destroy(t);
    t = bl_create(&c);
    bl_update(t, 0, &calm);
    bl_update(t, 0, &calm); /* warm; share 0.1, σ 0 → 0.05; negatives 2, σ 0 → 0.05·20 = 1 */
    bl_update(t, 0, &hot);  /* share clipped at 0.1 + 2·0.05 = 0.2, negatives at 2 + 2·1 = 4 */
    const bl_state *s = bl_get(t, 0);
    assert_float_equal(s->share_mean, 0.15, 1e-12);
    assert_float_equal(s->neg_mean, 3.0, 1e-12);
    assert_float_equal(s->vol_mean, 20.0, 1e-12);
    bl_update(t, 0, &calm); /* below the cap: as it is */
    assert_float_equal(bl_get(t, 0)->share_mean, 0.125, 1e-12);
    bl_destroy(t);
    bl_config off = {0.5, 2, 0.05, 0};
    t = bl_create(&off);
    bl_update(t, 0, &calm);
    bl_update(t, 0, &calm);
    bl_update(t, 0, &hot);
    assert_float_equal(bl_get(t, 0)->share_mean, 0.5, 1e-12);
    bl_destroy(t);
}

static void test_config_check(void **state) {
    (void)state;
    bl_config ok = {0.2, 5, 0.01, 0};
    assert_null(bl_config_check(&ok));
    bl_config bad = ok;
    bad.alpha = 0;
    assert_non_null(bl_config_check(&bad));
    bad = ok;
    bad.warmup = -1;
    assert_non_null(bl_config_check(&bad));
    bad = ok;
    bad.robust_k = -1;
    assert_non_null(bl_config_check(&bad));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ewma_by_hand),
        cmocka_unit_test(test_stddev_floor),
        cmocka_unit_test(test_robust_clip),
        cmocka_unit_test(test_config_check),
    };
    return cmocka_run_group_tests_name("baseline", tests, NULL, NULL);
}
