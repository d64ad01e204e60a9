/* Unit tests for util/rng: PCG32's reference stream, rng_below's range and
 * lack of modulo bias, rng_uniform's range and the normal's moments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "util/rng.h"

static void test_reference_stream(void **state) {
    (void)state;
    /* pcg32_srandom_r(&r, 42, 54) then three draws (pcg-c-basic demo output) */
    rng_pcg r;
    rng_seed(&r, 42, 54);
    assert_int_equal(rng_u32(&r), 0xa15c02b7u);
    assert_int_equal(rng_u32(&r), 0x7b47f409u);
    assert_int_equal(rng_u32(&r), 0xba1d3330u);
}

static void test_streams_differ(void **state) {
    (void)state;
    rng_pcg a, b;
    rng_seed(&a, 42, 1);
    rng_seed(&b, 42, 2);
    int same = 0;
    for (int i = 0; i < 64; i++) same += rng_u32(&a) == rng_u32(&b);
    assert_true(same < 4);
}

static void test_below(void **state) {
    (void)state;
    rng_pcg r;
    rng_seed(&r, 7, 0);
    assert_int_equal(rng_below(&r, 0), 0);
    assert_int_equal(rng_below(&r, 1), 0);
    /* n = 3·2^30: x % n would give the lowest 2^30 values twice the weight
     * of the others; uniform gives each quarter of [0, n) a third of the draws */
    uint32_t n = 3u << 30;
    int low = 0, draws = 30000;
    for (int i = 0; i < draws; i++) {
        uint32_t v = rng_below(&r, n);
        assert_true(v < n);
        low += v < (1u << 30);
    }
    double share = (double)low / draws;
    assert_true(share > 0.31 && share < 0.356); /* modulo would give 0.5 */
    int seen[7] = {0};
    for (int i = 0; i < 7000; i++) seen[rng_below(&r, 7)]++;
    for (int k = 0; k < 7; k++) assert_true(seen[k] > 850 && seen[k] < 1150);
}

static void test_uniform_and_normal(void **state) {
    (void)state;
    rng_pcg r;
    rng_seed(&r, 1234, 1);
    double s = 0, s2 = 0;
    int n = 20000;
    for (int i = 0; i < n; i++) {
        float u = rng_uniform(&r);
        assert_true(u >= 0.0f && u < 1.0f);
    }
    for (int i = 0; i < n; i++) {
        double z = rng_normal(&r);
        assert_true(isfinite(z));
        s += z;
        s2 += z * z;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    assert_true(fabs(mean) < 0.03);
    assert_true(fabs(var - 1) < 0.05);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_stream),
        cmocka_unit_test(test_streams_differ),
        cmocka_unit_test(test_below),
        cmocka_unit_test(test_uniform_and_normal),
    };
    return cmocka_run_group_tests_name("rng", tests, NULL, NULL);
}
