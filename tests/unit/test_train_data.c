/* Unit tests for train/train_data's dev criterion: domains numbered by
 * first appearance, and the weights that make the criterion the mean over
 * domains of each domain's mean macro-F1 over its heads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "train/train_data.h"

static void test_domains(void **state) {
    (void)state;
    train_data_cfg d[4] = {{.domain = "main"}, {.domain = "headlines"}, {.domain = "main"}, {.domain = "forum"}};
    train_cfg c = {0};
    c.data.v = d;
    c.data.n = 4;
    int of[4];
    const char *names[4];
    assert_int_equal(train_domains(&c, of, names), 3);
    assert_int_equal(of[0], 0);
    assert_int_equal(of[1], 1);
    assert_int_equal(of[2], 0);
    assert_int_equal(of[3], 2);
    assert_string_equal(names[0], "main");
    assert_string_equal(names[1], "headlines");
    assert_string_equal(names[2], "forum");
}

/* tweets with sentiment and topic dev examples, headlines with sentiment
 * only: ((S_t + T_t) / 2 + S_h) / 2 */
static void test_weights(void **state) {
    (void)state;
    size_t count[4] = {936, 1664, 957, 0}; /* (domain, head): tweets s, t; headlines s, t */
    double w[4];
    train_dev_weights(count, 2, 2, w);
    assert_float_equal(w[0], 0.25, 1e-12);
    assert_float_equal(w[1], 0.25, 1e-12);
    assert_float_equal(w[2], 0.5, 1e-12);
    assert_float_equal(w[3], 0, 0);
    /* one domain: the plain mean over heads */
    train_dev_weights(count, 1, 2, w);
    assert_float_equal(w[0], 0.5, 1e-12);
    assert_float_equal(w[1], 0.5, 1e-12);
    /* a domain without dev examples does not count */
    size_t none[4] = {10, 0, 0, 0};
    train_dev_weights(none, 2, 2, w);
    assert_float_equal(w[0], 1, 1e-12);
    assert_float_equal(w[1] + w[2] + w[3], 0, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domains),
        cmocka_unit_test(test_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
