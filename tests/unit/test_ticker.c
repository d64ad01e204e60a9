/* Unit tests for ingest/ticker: each form of a Shanghai, Shenzhen and
 * Hong Kong code and its id, and plain numbers (prices, dates, bare codes)
 * that must add nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "ingest/ticker.h"

/* The ids of a scan, joined by ' '. */
typedef struct ids {
    char s[256];
} ids;

static int join(const char *id, size_t len, void *arg) {
    ids *o = arg;
    assert_int_equal(strlen(id), len);
    if (o->s[0]) strcat(o->s, " ");
    strcat(o->s, id);
    return 0;
}

static void expect(const char *text, const char *want) {
    ids got = {{0}};
    assert_int_equal(tk_scan(text, strlen(text), join, &got), 0);
    if (strcmp(got.s, want)) fail_msg("\"%s\": want \"%s\", got \"%s\"", text, want, got.s);
}

static void test_forms(void **state) {
    (void)state;
    /* $ + 6 digits with an A-share prefix */
    expect("$600519 跌停", "600519");
    expect("买入$000001", "000001");
    expect("看好$300750。", "300750");
    expect("$688981,$002594", "688981 002594");
    /* exchange prefixes, any case */
    expect("SH600519", "600519");
    expect("sz000001 平安银行", "000001");
    expect("关注SZ300750和Sh601318", "300750 601318");
    expect("SH000001 上证指数", "SH000001"); /* a Shanghai index keeps its prefix */
    expect("SZ399001", "399001");
    /* suffixes */
    expect("600519.SS fell", "600519");
    expect("600519.SH fell", "600519");
    expect("000001.SZ rose", "000001");
    expect("000001.ss", "SH000001");
    expect("0700.HK 腾讯", "0700");
    expect("00700.HK", "0700");
    expect("700.hk", "0700");
    expect("5.HK, 9988.HK", "0005 9988");
    expect("80737.HK", "80737");
    /* Xueqiu tags */
    expect("$贵州茅台(SH600519)$ 今天大跌", "600519");
    expect("$平安银行(SZ000001)$$腾讯控股(00700)$", "000001 0700");
    expect("$上证指数(SH000001)$", "SH000001");
    expect("$腾讯控股(HK00700)$", "0700");
    expect("$苹果(AAPL)$ $伯克希尔(BRK.B)$", "AAPL BRK.B");
    expect("$贵州茅台(600519)$", "600519");
    expect("$Tencent Holdings(0700)$", "0700");
    /* in running Chinese text, next to punctuation */
    expect("今天SH600519、600519.SS和0700.HK都跌了", "600519 600519 0700");
}

static void test_plain_numbers(void **state) {
    (void)state;
    /* bare codes and numbers */
    expect("600519", "");
    expect("贵州茅台600519今天跌停", "");
    expect("股价1800.50元，跌幅3.5%", "");
    expect("收于1688.00点", "");
    /* dates */
    expect("2016年3月15日", "");
    expect("20160315", "");
    expect("2016-03-15 09:30:00", "");
    expect("2016.03.15", "");
    expect("on 03/15/2016", "");
    /* prices with $ */
    expect("$600,000 in cash", "");
    expect("$300000.50 paid", "");
    expect("$100000 bonus", "");      /* no A-share prefix */
    expect("$60051 and $6005190", ""); /* 5 and 7 digits */
    expect("US$600519", "");
    expect("$$600519", "");
    expect("3.5$600519", "");         /* '$' after a digit */
    /* prefixes and suffixes that are parts of other words or numbers */
    expect("FISH600519", "");
    expect("SH6005190", "");
    expect("SH60051", "");
    expect("SH600519.5", "");
    expect("SH 600519", "");
    expect("1.600519.SS", "");
    expect("A600519.SS", "");
    expect("600519.SSE", "");
    expect("6005190.SS", "");
    expect("123456.HK", "");          /* 6 digits */
    expect("0700.HKD", "");
    expect("0.HK 00000.HK", "");      /* code 0 */
    expect("v2.0700.HK", "");
    /* Xueqiu look-alikes */
    expect("$5(about 35 yuan)$", "");
    expect("$(AAPL)$", "");           /* no name */
    expect("$名字(AAPL)", "");        /* no closing $ */
    expect("$名字(TOOLONGX)$", "");
    expect("$名字(600519.SS)$", "600519"); /* not a tag, but a suffixed code */
    expect("$a\n(AAPL)$", "");
    expect("$", "");
    expect("$名字(", "");
    expect("", "");
}

static int stop(const char *id, size_t len, void *arg) {
    (void)id, (void)len;
    ++*(int *)arg;
    return 3;
}

static void test_stop(void **state) {
    (void)state;
    int calls = 0;
    const char *t = "SH600519 SZ000001";
    assert_int_equal(tk_scan(t, strlen(t), stop, &calls), 3);
    assert_int_equal(calls, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_plain_numbers),
        cmocka_unit_test(test_stop),
    };
    return cmocka_run_group_tests_name("ticker", tests, NULL, NULL);
}
