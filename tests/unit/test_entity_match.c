/* Unit tests for ingest/entity_match: NFKC + case-folding normalisation,
 * boundaries by script, overlapping and shared names, and the automaton
 * against a naive matcher on generated texts with many names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "ingest/entity_match.h"

/* Hit ids of a scan, in order. */
typedef struct hits {
    int id[64];
    int n;
} hits;

static int collect(int id, void *arg) {
    hits *h = arg;
    if (h->n < 64) h->id[h->n++] = id;
    return 0;
}

/* Scans text as decode does: raw when ASCII, else normalised. */
static hits scan(const em_matcher *m, const char *text) {
    hits h = {.n = 0};
    em_norm nb = {0};
    const char *s = text;
    size_t n = strlen(text);
    if (!em_is_ascii(s, n)) {
        assert_int_equal(em_normalize(&nb, s, n), 0);
        s = nb.s;
        n = nb.n;
    }
    em_scan(m, s, n, collect, &h);
    em_norm_free(&nb);
    return h;
}

static int found(const em_matcher *m, const char *text, int id) {
    hits h = scan(m, text);
    for (int i = 0; i < h.n; i++)
        if (h.id[i] == id) return 1;
    return 0;
}

static void test_normalize(void **state) {
    (void)state;
    em_norm nb = {0};
    const struct {
        const char *in, *out;
    } cases[] = {
        {"\xef\xbc\xb4\xef\xbd\x85\xef\xbd\x8e\xef\xbd\x83\xef\xbd\x85\xef\xbd\x8e\xef\xbd\x94", "tencent"}, /* Ｔｅｎｃｅｎｔ */
        {"\xef\xbc\x96\xef\xbc\x90\xef\xbc\x90\xef\xbc\x95\xef\xbc\x91\xef\xbc\x99", "600519"},             /* ６００５１９ */
        {"贵州\xe2\x80\x8b茅台", "贵州茅台"},                                                               /* zero-width space */
        {"Caf\x65\xcc\x81 STRASSE", "caf\xc3\xa9 strasse"},                                                 /* NFC + fold */
        {"Stra\xc3\x9f" "e", "strasse"},                                                                    /* ß folds to ss */
        {"\xef\xbc\x84\xe8\xb4\xb5\xe5\xb7\x9e\xe8\x8c\x85\xe5\x8f\xb0\xef\xbc\x88SH600519\xef\xbc\x89\xef\xbc\x84",
         "$贵州茅台(sh600519)$"}, /* full-width $ ( ) */
        {"\xe3\x88\xb1", "(株)"},  /* ㈱ */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(em_normalize(&nb, cases[i].in, strlen(cases[i].in)), 0);
        assert_string_equal(nb.s, cases[i].out);
        assert_int_equal(nb.n, strlen(cases[i].out));
    }
    assert_int_equal(em_normalize(&nb, "a\xff", 2), -1);
    /* longer than the stack buffer: the heap part */
    size_t big = 3 * EM_NORM_STACK;
    char *s = malloc(big * 3 + 1);
    for (size_t i = 0; i < big; i++) memcpy(s + 3 * i, "\xef\xbc\xa1", 3); /* Ａ */
    assert_int_equal(em_normalize(&nb, s, big * 3), 0);
    assert_int_equal(nb.n, big);
    assert_true(nb.s[0] == 'a' && nb.s[big - 1] == 'a' && nb.s[big] == '\0');
    free(s);
    em_norm_free(&nb);
    assert_true(em_is_ascii("plain ascii text, long enough for words", 39));
    assert_false(em_is_ascii("plain ascii text with é at the end", 35));
}

static void test_scripts(void **state) {
    (void)state;
    assert_true(em_spaced_word_cp('a'));
    assert_true(em_spaced_word_cp('7'));
    assert_true(em_spaced_word_cp('_'));
    assert_true(em_spaced_word_cp(0xE9));   /* é */
    assert_true(em_spaced_word_cp(0x0434)); /* д */
    assert_true(em_spaced_word_cp(0x0627)); /* Arabic alef */
    assert_false(em_spaced_word_cp(' '));
    assert_false(em_spaced_word_cp('.'));
    assert_false(em_spaced_word_cp(0x8D35));  /* 贵 */
    assert_false(em_spaced_word_cp(0x3042));  /* あ */
    assert_false(em_spaced_word_cp(0x30AB));  /* カ */
    assert_false(em_spaced_word_cp(0xC0BC));  /* 삼 */
    assert_false(em_spaced_word_cp(0x0E01));  /* Thai ko kai */
    assert_false(em_spaced_word_cp(0x20000)); /* CJK extension B */
    assert_false(em_spaced_word_cp(0xFF0C));  /* ， */
}

static void test_boundaries(void **state) {
    (void)state;
    em_matcher *m = em_new();
    assert_int_equal(em_add(m, "贵州茅台", 0), 0);
    assert_int_equal(em_add(m, "Apple", 1), 0);
    assert_int_equal(em_add(m, "\xef\xbc\xb4\xef\xbd\x85\xef\xbd\x8e\xef\xbd\x83\xef\xbd\x85\xef\xbd\x8e\xef\xbd\x94", 2), 0);
    assert_int_equal(em_add(m, "600519", 3), 0);
    assert_int_equal(em_add(m, "トヨタ", 4), 0);
    assert_int_equal(em_add(m, "Société Générale", 5), 0);
    em_build(m);
    assert_int_equal(em_count(m), 6);
    /* unsegmented Chinese: no boundary needed */
    assert_true(found(m, "贵州茅台股价暴跌", 0));
    assert_true(found(m, "今天贵州茅台大涨", 0));
    assert_true(found(m, "贵州茅台 股价暴跌", 0));
    assert_false(found(m, "贵州茅股价暴跌", 0));
    /* Latin needs word boundaries, but not next to Han */
    assert_true(found(m, "APPLE shares fell", 1));
    assert_false(found(m, "Pineapple fell", 1));
    assert_false(found(m, "Applebee's fell", 1));
    assert_false(found(m, "Appleé fell", 1));
    assert_true(found(m, "买入Apple股票", 1));
    assert_true(found(m, "(apple)", 1));
    /* full-width in the name or in the text */
    assert_true(found(m, "腾讯Tencent控股", 2));
    assert_true(found(m, "\xef\xbc\xb4\xef\xbd\x85\xef\xbd\x8e\xef\xbd\x83\xef\xbd\x85\xef\xbd\x8e\xef\xbd\x94跌了", 2));
    assert_false(found(m, "Tencents", 2));
    /* digits are spaced word characters: a code inside a longer number is not it */
    assert_true(found(m, "茅台600519涨停", 3));
    assert_true(found(m, "\xef\xbc\x96\xef\xbc\x90\xef\xbc\x90\xef\xbc\x95\xef\xbc\x91\xef\xbc\x99 涨停", 3));
    assert_false(found(m, "1600519", 3));
    assert_false(found(m, "6005190", 3));
    assert_false(found(m, "600519x", 3));
    /* Japanese, and a Latin name with accents written decomposed and upper-cased */
    assert_true(found(m, "トヨタ自動車の株価", 4));
    assert_true(found(m, "SOCIE\xcc\x81TE\xcc\x81 GE\xcc\x81NE\xcc\x81RALE cuts jobs", 5));
    assert_false(found(m, "Société Généraleux", 5));
    em_free(m);

    m = em_new();
    assert_int_equal(em_add(m, "", 0), -1);
    assert_int_equal(em_add(m, "\xe2\x80\x8b", 0), -1); /* only an ignorable */
    assert_int_equal(em_add(m, "bad\xff", 0), -1);
    em_build(m);
    assert_int_equal(em_count(m), 0);
    assert_int_equal(scan(m, "anything").n, 0);
    em_free(m);
}

static void test_overlaps(void **state) {
    (void)state;
    em_matcher *m = em_new();
    em_add(m, "贵州", 0);
    em_add(m, "贵州茅台", 1);
    em_add(m, "茅台", 2);
    em_add(m, "Bank of China", 3);
    em_add(m, "中国银行", 3); /* two names, one id */
    em_add(m, "china", 4);
    em_add(m, "China", 5); /* one name, two ids */
    em_build(m);
    hits h = scan(m, "贵州茅台");
    /* matches end at 州 (贵州), then at 台 (贵州茅台, and 茅台 by its suffix link) */
    assert_int_equal(h.n, 3);
    assert_int_equal(h.id[0], 0);
    assert_true((h.id[1] == 1 && h.id[2] == 2) || (h.id[1] == 2 && h.id[2] == 1));
    h = scan(m, "Bank of China and 中国银行");
    int n3 = 0, n4 = 0, n5 = 0;
    for (int i = 0; i < h.n; i++) n3 += h.id[i] == 3, n4 += h.id[i] == 4, n5 += h.id[i] == 5;
    assert_int_equal(n3, 2);
    assert_int_equal(n4, 1);
    assert_int_equal(n5, 1);
    em_free(m);
}

/* ---- against a naive matcher ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

static const char *const syll[] = {"ab", "ba", "c", "da", "e", "茅", "台", "银", "行", "中", " ", "-", "7", "x"};
#define NSYLL (sizeof syll / sizeof syll[0])

static void random_word(char *out, int parts) {
    out[0] = '\0';
    for (int i = 0; i < parts; i++) strcat(out, syll[rnd() % NSYLL]);
}

/* The code point starting at s (valid UTF-8). */
static int32_t cp_of(const char *s) {
    utf8proc_int32_t c = -1;
    utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &c);
    return c;
}

/* The start of the character before s + i (i > 0). */
static const char *prev_char(const char *s, size_t i) {
    size_t j = i - 1;
    while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80) j--;
    return s + j;
}

/* The matches a naive scan finds: every position, every name, the
 * boundary rule of the header, counted per id. Names and texts of the
 * generated alphabet are already normal. */
static void naive(char names[][64], int nn, const char *text, int *count) {
    size_t n = strlen(text);
    for (int k = 0; k < nn; k++) {
        size_t len = strlen(names[k]);
        for (size_t i = 0; i + len <= n; i++) {
            if (memcmp(text + i, names[k], len)) continue;
            int left = i > 0 && em_spaced_word_cp(cp_of(prev_char(text, i))) && em_spaced_word_cp(cp_of(names[k]));
            int right = i + len < n && em_spaced_word_cp(cp_of(text + i + len)) &&
                        em_spaced_word_cp(cp_of(prev_char(names[k], len)));
            if (!left && !right) count[k]++;
        }
    }
}

static int count_hit(int id, void *arg) {
    ((int *)arg)[id]++;
    return 0;
}

static void test_against_naive(void **state) {
    (void)state;
    enum { NN = 300, NT = 200 };
    static char names[NN][64];
    em_matcher *m = em_new();
    int nn = 0;
    while (nn < NN) {
        random_word(names[nn], 1 + (int)(rnd() % 4));
        /* names are already normal (lower-case, no ignorables); skip blank ones and repeats */
        size_t len = strlen(names[nn]);
        if (names[nn][0] == ' ' || names[nn][len - 1] == ' ') continue;
        int dup = 0;
        for (int k = 0; k < nn; k++) dup |= strcmp(names[k], names[nn]) == 0;
        if (dup) continue;
        assert_int_equal(em_add(m, names[nn], nn), 0);
        nn++;
    }
    em_build(m);
    long total = 0;
    for (int t = 0; t < NT; t++) {
        char text[400];
        random_word(text, 1 + (int)(rnd() % 60));
        int want[NN] = {0}, got[NN] = {0};
        naive(names, nn, text, want);
        em_scan(m, text, strlen(text), count_hit, got);
        for (int k = 0; k < nn; k++) total += want[k];
        for (int k = 0; k < nn; k++)
            if (want[k] != got[k]) fail_msg("text \"%s\", name \"%s\": naive %d, automaton %d", text, names[k], want[k], got[k]);
    }
    printf("# %ld matches in %d texts\n", total, NT);
    assert_true(total > 10 * NT); /* the comparison is over many matches, not none */
    em_free(m);
}

static int stop_at_first(int id, void *arg) {
    *(int *)arg = id;
    return 7;
}

static void test_stop(void **state) {
    (void)state;
    em_matcher *m = em_new();
    em_add(m, "a", 1);
    em_add(m, "b", 2);
    em_build(m);
    int first = -1;
    assert_int_equal(em_scan(m, "x b a", 5, stop_at_first, &first), 7);
    assert_int_equal(first, 2);
    em_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),  cmocka_unit_test(test_scripts),       cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_overlaps),   cmocka_unit_test(test_against_naive), cmocka_unit_test(test_stop),
    };
    return cmocka_run_group_tests_name("entity_match", tests, NULL, NULL);
}
