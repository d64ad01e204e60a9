/* Unit tests for util/timeutil: RFC 3339 and epoch-ms parsing, formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/timeutil.h"

static void test_parse_rfc3339_utc(void **state) {
    (void)state;
    int64_t ms;
    assert_int_equal(time_parse("1970-01-01T00:00:00Z", &ms), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(time_parse("2024-05-01T12:30:00Z", &ms), 0);
    assert_int_equal(ms, 1714566600000LL); /* date -d 2024-05-01T12:30:00Z +%s */
    assert_int_equal(time_parse("2024-05-01T12:30:00.250Z", &ms), 0);
    assert_int_equal(ms, 1714566600250LL);
    assert_int_equal(time_parse("2024-02-29T00:00:00.5Z", &ms), 0);
    assert_int_equal(ms, 1709164800500LL);
}

static void test_parse_rfc3339_offsets(void **state) {
    (void)state;
    int64_t ms;
    assert_int_equal(time_parse("2024-05-01T14:30:00+02:00", &ms), 0);
    assert_int_equal(ms, 1714566600000LL);
    assert_int_equal(time_parse("2024-05-01T07:30:00-05:00", &ms), 0);
    assert_int_equal(ms, 1714566600000LL);
}

static void test_parse_epoch_ms(void **state) {
    (void)state;
    int64_t ms;
    assert_int_equal(time_parse("1714566600250", &ms), 0);
    assert_int_equal(ms, 1714566600250LL);
    assert_int_equal(time_parse("-9223372036854775807", &ms), -1); /* 20 characters: not epoch ms */
    assert_int_equal(time_parse("9223372036854775807", &ms), 0);
    assert_int_equal(ms, INT64_MAX);
}

/* Found by fuzz/fuzz_time: an integer beyond int64 was clamped to INT64_MAX. */
static void test_parse_epoch_overflow_rejected(void **state) {
    (void)state;
    int64_t ms = 42;
    assert_int_equal(time_parse("9666002171454546666", &ms), -1);
    assert_int_equal(time_parse("9223372036854775808", &ms), -1);
    assert_int_equal(time_parse("-9223372036854775809", &ms), -1);
    assert_int_equal(ms, 42);
}

static void test_parse_rejects_garbage(void **state) {
    (void)state;
    int64_t ms;
    const char *bad[] = {"", "yesterday", "2024-13-01T00:00:00Z", "2024-05-01 12:30", "2024-05-01T12:30:00",
                         "2024-05-01T12:30:00Zjunk", "12abc", "2024-05-01T12:30:00.Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_int_equal(time_parse(bad[i], &ms), -1);
}

static void test_format_round_trip(void **state) {
    (void)state;
    char buf[40];
    time_format(1714566600250LL, buf, sizeof buf);
    assert_string_equal(buf, "2024-05-01T12:30:00.250Z");
    int64_t ms;
    assert_int_equal(time_parse(buf, &ms), 0);
    assert_int_equal(ms, 1714566600250LL);
    time_format(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
}

/* Years before 1000 keep four digits, and times RFC 3339 cannot write come
 * out as epoch ms, so both parse back (strftime's %Y wrote "24-05-01...",
 * which does not; found by fuzz_config's round trip of a silence's until). */
static void test_format_far_years_round_trip(void **state) {
    (void)state;
    char buf[40];
    int64_t ms, again;
    assert_int_equal(time_parse("0024-05-01T10:30:00.500Z", &ms), 0);
    time_format(ms, buf, sizeof buf);
    assert_string_equal(buf, "0024-05-01T10:30:00.500Z");
    const int64_t far[] = {ms, -62167219200001LL /* 0000-01-01 less 1 ms */, 253402300800000LL /* year 10000 */,
                           INT64_MAX, -999999999999999999LL};
    for (size_t i = 0; i < sizeof far / sizeof far[0]; i++) {
        time_format(far[i], buf, sizeof buf);
        assert_int_equal(time_parse(buf, &again), 0);
        assert_int_equal(again, far[i]);
    }
    time_format(253402300800000LL, buf, sizeof buf);
    assert_string_equal(buf, "253402300800000");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_rfc3339_utc),   cmocka_unit_test(test_parse_rfc3339_offsets),
        cmocka_unit_test(test_parse_epoch_ms),      cmocka_unit_test(test_parse_rejects_garbage),
        cmocka_unit_test(test_format_round_trip),   cmocka_unit_test(test_parse_epoch_overflow_rejected),
        cmocka_unit_test(test_format_far_years_round_trip),
    };
    return cmocka_run_group_tests_name("timeutil", tests, NULL, NULL);
}
