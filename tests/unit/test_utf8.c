/* Unit tests for util/utf8: decoding one sequence (every class of
 * ill-formed input), validation, and cutting at a code-point boundary
 * (valid and invalid input, with and without the ellipsis). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/utf8.h"

static void test_next(void **state) {
    (void)state;
    int32_t cp = -1;
    assert_int_equal(utf8_next("A", 1, &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(utf8_next("\xc3\xa9x", 3, &cp), 2);
    assert_int_equal(cp, 0xE9);
    assert_int_equal(utf8_next("\xe2\x82\xac", 3, &cp), 3);
    assert_int_equal(cp, 0x20AC);
    assert_int_equal(utf8_next("\xf0\x9f\x98\x80", 4, &cp), 4);
    assert_int_equal(cp, 0x1F600);
    cp = 7;
    assert_int_equal(utf8_next("\x80", 1, &cp), 0);             /* stray continuation */
    assert_int_equal(utf8_next("\xc0\xaf", 2, &cp), 0);         /* overlong '/' */
    assert_int_equal(utf8_next("\xe0\x80\xaf", 3, &cp), 0);     /* overlong, 3 bytes */
    assert_int_equal(utf8_next("\xf0\x80\x80\xaf", 4, &cp), 0); /* overlong, 4 bytes */
    assert_int_equal(utf8_next("\xed\xa0\x80", 3, &cp), 0);     /* surrogate U+D800 */
    assert_int_equal(utf8_next("\xf4\x90\x80\x80", 4, &cp), 0); /* U+110000 */
    assert_int_equal(utf8_next("\xe2\x82", 2, &cp), 0);         /* cut short */
    assert_int_equal(utf8_next("\xe2\x82\xac", 2, &cp), 0);     /* cut short by n */
    assert_int_equal(utf8_next("\xe2\x41\xac", 3, &cp), 0);     /* not a continuation */
    assert_int_equal(utf8_next("\xff", 1, &cp), 0);
    assert_int_equal(cp, 7); /* untouched on failure */
}

static void test_valid(void **state) {
    (void)state;
    assert_true(utf8_valid("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 15));
    assert_true(utf8_valid("", 0));
    assert_true(utf8_valid("plain ascii text longer than one word", 37));
    assert_false(utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(utf8_valid("\xe2\x82", 2));         /* truncated */
    assert_false(utf8_valid("\xff", 1));
    assert_false(utf8_valid("sixteen bytes ok\x80", 17)); /* after the word-at-a-time run */
}

static void test_cut(void **state) {
    (void)state;
    const char *s = "ab\xe2\x82\xac" "cd"; /* a b € c d: 7 bytes */
    assert_int_equal(utf8_cut(s, 7, 10), 7);
    assert_int_equal(utf8_cut(s, 7, 7), 7);
    assert_int_equal(utf8_cut(s, 7, 5), 5);
    assert_int_equal(utf8_cut(s, 7, 4), 2); /* inside the euro sign */
    assert_int_equal(utf8_cut(s, 7, 3), 2);
    assert_int_equal(utf8_cut(s, 7, 2), 2);
    assert_int_equal(utf8_cut(s, 7, 0), 0);
    const char *emoji = "\xf0\x9f\x98\x80\xf0\x9f\x98\x80";
    for (size_t max = 4; max < 8; max++) assert_int_equal(utf8_cut(emoji, 8, max), 4);
    /* invalid bytes are units of one: cut exactly at max */
    assert_int_equal(utf8_cut("\x80\x80\x80\x80\x80", 5, 3), 3);
    assert_int_equal(utf8_cut("a\xe2\x82x", 4, 2), 2); /* E2 82 x starts nothing */
    assert_int_equal(utf8_cut("\xf0\xe2\x82\xac", 4, 3), 1); /* F0 stray, then a split euro */
}

static void test_truncate(void **state) {
    (void)state;
    char buf[16];
    assert_int_equal(utf8_truncate(buf, "short", 5, 8, 1), 5);
    assert_string_equal(buf, "short");
    assert_int_equal(utf8_truncate(buf, "ab\xe2\x82\xac" "cd", 7, 4, 1), 5);
    assert_string_equal(buf, "ab" UTF8_ELLIPSIS);
    assert_int_equal(utf8_truncate(buf, "ab\xe2\x82\xac" "cd", 7, 4, 0), 2);
    assert_string_equal(buf, "ab");
    assert_int_equal(utf8_truncate(buf, "abcdefgh", 8, 8, 1), 8); /* fits: no ellipsis */
    assert_string_equal(buf, "abcdefgh");
    assert_int_equal(utf8_truncate(buf, NULL, 0, 4, 1), 0);
    assert_string_equal(buf, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next),
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_cut),
        cmocka_unit_test(test_truncate),
    };
    return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
