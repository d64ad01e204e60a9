/* Unit tests for util/csv: RFC 4180 quoting, CRLF, BOM, the defects of the
 * shared data (multi-line tweets, mojibake, HTML entities, apostrophes in
 * quoted dict-like fields), malformed records, long records, and a full read
 * of the real sentiment training file when $FINSENT_DATA is set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"

static FILE *mem(const char *s) { return fmemopen((void *)s, strlen(s), "r"); }

/* Reads every record of s into a flat "f1|f2\n" dump; returns the count or
 * -1 at the first malformed record. */
static int dump(const char *s, char *out, size_t outlen) {
    FILE *f = mem(s);
    csv_reader *r = csv_open(f);
    char **fl;
    int n, recs = 0;
    out[0] = 0;
    while ((n = csv_next(r, &fl)) > 0) {
        for (int i = 0; i < n; i++) {
            strncat(out, fl[i], outlen - strlen(out) - 1);
            strncat(out, i + 1 < n ? "|" : "\n", outlen - strlen(out) - 1);
        }
        recs++;
    }
    if (n < 0) recs = -1;
    csv_close(r);
    fclose(f);
    return recs;
}

static void test_plain_and_quoted(void **state) {
    (void)state;
    char out[512];
    assert_int_equal(dump("text,label\na,0\n\"b, with comma\",1\n", out, sizeof out), 3);
    assert_string_equal(out, "text|label\na|0\nb, with comma|1\n");
    assert_int_equal(dump("\"say \"\"hi\"\"\",2\n\"\",\n", out, sizeof out), 2);
    assert_string_equal(out, "say \"hi\"|2\n|\n");
}

static void test_embedded_newlines_and_lines(void **state) {
    (void)state;
    /* a tweet spanning lines, as 184 sentiment train rows do */
    const char *s = "text,label\n\"$AAPL up\nsee thread\r\nmore\",1\nnext,2\n";
    FILE *f = mem(s);
    csv_reader *r = csv_open(f);
    char **fl;
    assert_int_equal(csv_next(r, &fl), 2);
    assert_int_equal(csv_line(r), 1);
    assert_int_equal(csv_next(r, &fl), 2);
    assert_int_equal(csv_line(r), 2);
    assert_string_equal(fl[0], "$AAPL up\nsee thread\r\nmore");
    assert_string_equal(fl[1], "1");
    assert_int_equal(csv_next(r, &fl), 2);
    assert_int_equal(csv_line(r), 5);
    assert_string_equal(fl[0], "next");
    assert_int_equal(csv_next(r, &fl), 0);
    csv_close(r);
    fclose(f);
}

static void test_crlf_bom_and_last_line(void **state) {
    (void)state;
    char out[256];
    assert_int_equal(dump("\xEF\xBB\xBFtext,label\r\n\"q\",0\r\nlast,1", out, sizeof out), 3);
    assert_string_equal(out, "text|label\nq|0\nlast|1\n");
    /* a lone 0xEF that is not a BOM stays data */
    assert_int_equal(dump("\xEF" "x,1\n", out, sizeof out), 1);
    assert_string_equal(out, "\xEFx|1\n");
    assert_int_equal(dump("\xEF\xBB" "y\n", out, sizeof out), 1);
    assert_string_equal(out, "\xEF\xBBy\n");
    assert_int_equal(dump("", out, sizeof out), 0);
    assert_int_equal(dump("\xEF\xBB\xBF", out, sizeof out), 0);
    /* blank line = one empty field */
    assert_int_equal(dump("a\n\nb\n", out, sizeof out), 3);
    assert_string_equal(out, "a\n\nb\n");
}

static void test_data_defects_pass_through(void **state) {
    (void)state;
    char out[512];
    /* mojibake, U+FFFD, HTML entities are bytes the reader keeps as they are */
    assert_int_equal(dump("\"Stocks fall \xC3\xA2\xE2\x82\xAC\xC2\xA6 \xEF\xBF\xBD\",0\nAT&amp;T beats,5\n", out, sizeof out), 2);
    assert_string_equal(out, "Stocks fall \xC3\xA2\xE2\x82\xAC\xC2\xA6 \xEF\xBF\xBD|0\nAT&amp;T beats|5\n");
    /* SEntFiN: a Python-style dict with an apostrophe inside a name */
    assert_int_equal(dump("1,\"Moody's cuts X\",\"{'Moody's': 'neutral', 'X': 'negative'}\"\n", out, sizeof out), 1);
    assert_string_equal(out, "1|Moody's cuts X|{'Moody's': 'neutral', 'X': 'negative'}\n");
}

static void test_malformed(void **state) {
    (void)state;
    const char *s = "ok,1\nbad \"quote\",2\nfine,3\n\"unterminated,4\n";
    FILE *f = mem(s);
    csv_reader *r = csv_open(f);
    char **fl;
    assert_int_equal(csv_next(r, &fl), 2);
    assert_int_equal(csv_next(r, &fl), -1);
    assert_non_null(strstr(csv_error(r), "line 2"));
    assert_non_null(strstr(csv_error(r), "quote inside an unquoted field"));
    /* the reader resumes on the next line */
    assert_int_equal(csv_next(r, &fl), 2);
    assert_string_equal(fl[0], "fine");
    assert_int_equal(csv_next(r, &fl), -1);
    assert_non_null(strstr(csv_error(r), "unterminated"));
    assert_non_null(strstr(csv_error(r), "line 4"));
    csv_close(r);
    fclose(f);
    char out[64];
    assert_int_equal(dump("\"a\"b,1\n", out, sizeof out), -1);
}

static void test_long_record(void **state) {
    (void)state;
    /* 1 MB field and 3000 fields: no fixed limit */
    size_t big = 1 << 20;
    char *s = malloc(big + 3 * 3000 + 16);
    size_t k = 0;
    s[k++] = '"';
    for (size_t i = 0; i < big; i++) s[k++] = (char)('a' + i % 26);
    s[k++] = '"';
    for (int i = 0; i < 3000; i++) { s[k++] = ','; s[k++] = 'x'; }
    s[k++] = '\n';
    s[k] = 0;
    FILE *f = mem(s);
    csv_reader *r = csv_open(f);
    char **fl;
    assert_int_equal(csv_next(r, &fl), 3001);
    assert_int_equal(strlen(fl[0]), big);
    assert_string_equal(fl[3000], "x");
    assert_int_equal(csv_next(r, &fl), 0);
    csv_close(r);
    fclose(f);
    free(s);
}

static void test_real_sentiment_train(void **state) {
    (void)state;
    const char *dir = getenv("FINSENT_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/twitter-financial-news-sentiment/sent_train.csv", dir ? dir : "");
    FILE *f = dir ? fopen(path, "rb") : NULL;
    if (!f) {
        print_message("# SKIP: $FINSENT_DATA/twitter-financial-news-sentiment/sent_train.csv not present\n");
        skip();
    }
    csv_reader *r = csv_open(f);
    char **fl;
    int n, rows = 0, multiline = 0;
    assert_int_equal(csv_next(r, &fl), 2);
    assert_string_equal(fl[0], "text");
    while ((n = csv_next(r, &fl)) > 0) {
        assert_int_equal(n, 2);
        assert_true(strcmp(fl[1], "0") == 0 || strcmp(fl[1], "1") == 0 || strcmp(fl[1], "2") == 0);
        if (strchr(fl[0], '\n')) multiline++;
        rows++;
    }
    assert_int_equal(n, 0);
    assert_int_equal(rows, 9543); /* the data README's row count */
    assert_int_equal(multiline, 184);
    csv_close(r);
    fclose(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_quoted),     cmocka_unit_test(test_embedded_newlines_and_lines),
        cmocka_unit_test(test_crlf_bom_and_last_line), cmocka_unit_test(test_data_defects_pass_through),
        cmocka_unit_test(test_malformed),            cmocka_unit_test(test_long_record),
        cmocka_unit_test(test_real_sentiment_train),
    };
    return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
