/* Unit tests for train/sentfin: Decisions dicts as SEntFiN writes them
 * (apostrophes inside single-quoted names, double-quoted names), malformed
 * dicts, and the headline-level label rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "train/sentfin.h"

static void assert_entity(const sf_entity *e, const char *name, const char *label) {
    assert_int_equal(e->name_len, strlen(name));
    assert_memory_equal(e->name, name, e->name_len);
    assert_string_equal(e->label, label);
}

static void test_plain(void **state) {
    (void)state;
    sf_entity e[4];
    assert_int_equal(sf_parse_decisions("{'SpiceJet': 'neutral'}", e, 4), 1);
    assert_entity(&e[0], "SpiceJet", "neutral");
    assert_int_equal(sf_parse_decisions("{'Gold': 'positive', 'Silver': 'negative'}", e, 4), 2);
    assert_entity(&e[0], "Gold", "positive");
    assert_entity(&e[1], "Silver", "negative");
    assert_int_equal(sf_parse_decisions(" { } ", e, 4), 0);
}

static void test_apostrophes(void **state) {
    (void)state;
    sf_entity e[4];
    assert_int_equal(sf_parse_decisions("{'Tata Steel UK': 'negative', 'Moody's': 'neutral'}", e, 4), 2);
    assert_entity(&e[0], "Tata Steel UK", "negative");
    assert_entity(&e[1], "Moody's", "neutral");
    assert_int_equal(sf_parse_decisions("{'Moody's': 'neutral', 'L&T': 'positive'}", e, 4), 2);
    assert_entity(&e[0], "Moody's", "neutral");
    assert_entity(&e[1], "L&T", "positive");
    assert_int_equal(sf_parse_decisions("{\"Moody's\": 'negative'}", e, 4), 1);
    assert_entity(&e[0], "Moody's", "negative");
    /* a name that itself contains "': '" stays whole when no label follows */
    assert_int_equal(sf_parse_decisions("{'a': 'b': 'positive'}", e, 4), 1);
    assert_entity(&e[0], "a': 'b", "positive");
}

static void test_malformed(void **state) {
    (void)state;
    sf_entity e[1];
    assert_int_equal(sf_parse_decisions("", e, 1), -1);
    assert_int_equal(sf_parse_decisions("{'A': 'good'}", e, 1), -1);
    assert_int_equal(sf_parse_decisions("{'A': 'positive'", e, 1), -1);
    assert_int_equal(sf_parse_decisions("{'A': 'positive'} x", e, 1), -1);
    assert_int_equal(sf_parse_decisions("{A: 'positive'}", e, 1), -1);
    assert_int_equal(sf_parse_decisions("{'A': 'positive', 'B': 'neutral'}", e, 1), -1); /* more than max */
}

static void test_headline_label(void **state) {
    (void)state;
    sf_entity e[3];
    assert_int_equal(sf_parse_decisions("{'A': 'negative', 'B': 'negative'}", e, 3), 2);
    assert_string_equal(sf_headline_label(e, 2), "negative");
    assert_int_equal(sf_parse_decisions("{'A': 'negative', 'B': 'neutral', 'C': 'negative'}", e, 3), 3);
    assert_null(sf_headline_label(e, 3));
    assert_null(sf_headline_label(e, 0));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_apostrophes),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_headline_label),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
