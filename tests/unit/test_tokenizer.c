/* Unit tests for classify/tokenizer: hand-checked pieces for the cases the
 * issue names, invalid UTF-8 counting, [CLS]/[SEP] placement, truncation,
 * literal special tokens in the text,
 * vocab loading errors, and every case of tests/fixtures/tokenizer against
 * the ids tools/tok_reference.py computed with Python's unicodedata. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify/tok_bench.h"
#include "classify/tokenizer.h"

/* A small vocab written for these tests: ids are line numbers. */
static const char *hand_vocab[] = {
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", ",", "!", ".", "$", "%", "&", ";", ":", "/",
    "?", "=", "'", "-", "aapl", "AAPL", "up", "3", "5", "1", "234", "56", "cafe", "Café", "deja", "vu", "Déjà",
    "中", "国", "股", "市", "https", "example", "com", "a", "b", "amp", "##€", "##¦", "zero", "##width", "don", "t",
    "good", "οδος", "ας", "ασ", "α", "σ", "иод", "Йод", "naïve", "naive", "e", "é", "c", "d", "istanbul", "un", "##aff",
    "##able", "stock", "stocks", "##s", "ｓ", "！", "##b", "ab", "##cd", "abcd", "مرحبا", "x", "##x", "€",
};

static char vocab_path[64];
static tok_vocab *vocab;

static int write_vocab(const char *path, const char **toks, size_t n, const char *eol) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%s", toks[i], eol);
    return fclose(f);
}

static int setup(void **state) {
    (void)state;
    snprintf(vocab_path, sizeof vocab_path, "/tmp/finsent-tok-%d.txt", (int)getpid());
    if (write_vocab(vocab_path, hand_vocab, sizeof hand_vocab / sizeof hand_vocab[0], "\n") != 0) return -1;
    char err[256];
    vocab = tok_vocab_load(vocab_path, err, sizeof err);
    return vocab ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    tok_vocab_free(vocab);
    unlink(vocab_path);
    return 0;
}

typedef struct {
    char buf[4096];
    size_t len;
} joined;

static void join_piece(int id, void *arg) {
    joined *j = arg;
    const char *tok = tok_vocab_token(vocab, id);
    j->len += (size_t)snprintf(j->buf + j->len, sizeof j->buf - j->len, "%s%s", j->len ? " " : "", tok);
}

static void join_span(const char *w, size_t n, size_t start, size_t end, void *arg) {
    joined *j = arg;
    j->len += (size_t)snprintf(j->buf + j->len, sizeof j->buf - j->len, "%s%.*s@%zu-%zu", j->len ? " " : "", (int)n,
                               w, start, end);
}

/* The pieces of text joined by single spaces; with spans, its words with
 * their raw spans instead, "word@start-end". */
static const char *joined_text(int lower, const char *text, size_t len, int spans) {
    static joined j;
    j.len = 0;
    j.buf[0] = '\0';
    tokenizer *t = tok_new(vocab, lower);
    if (spans) tok_word_spans(t, text, len, join_span, &j);
    else tok_pieces(t, text, len, join_piece, &j);
    tok_free(t);
    return j.buf;
}

static const char *pieces(int lower, const char *text, size_t len) { return joined_text(lower, text, len, 0); }

#define UNCASED(text, want) assert_string_equal(pieces(1, (text), strlen(text)), (want))
#define CASED(text, want) assert_string_equal(pieces(0, (text), strlen(text)), (want))

static void test_basic_and_punct(void **state) {
    (void)state;
    UNCASED("Hello, World!", "hello , world !");
    UNCASED("$AAPL up 3.5%", "$ aapl up 3 . 5 %");
    CASED("$AAPL up", "$ AAPL up");
    UNCASED("1,234.56", "1 , 234 . 56");
    UNCASED("https://example.com/a?b=1", "https : / / example . com / a ? b = 1");
    UNCASED("&amp;", "& amp ;");
    UNCASED("don't", "don ' t");
    UNCASED("", "");
    UNCASED("   \t\n ", "");
}

static void test_accents_and_case(void **state) {
    (void)state;
    UNCASED("Café Déjà vu", "cafe deja vu");
    CASED("Café Déjà vu", "Café Déjà vu");
    /* decomposed input is composed (NFC) before lookup when cased */
    CASED("nai\xcc\x88ve", "naïve");
    UNCASED("nai\xcc\x88ve", "naive");
    UNCASED("E\xcc\x81", "e");
    CASED("e\xcc\x81", "é");
    /* Cyrillic й loses its breve when uncased (NFD then drop Mn) */
    UNCASED("Йод", "иод");
    CASED("Йод", "Йод");
    UNCASED("İstanbul", "istanbul");
    /* lower-casing is per code point (tokenize()'s do_lower_case pass, the
     * fast tokenizer): a final Σ becomes σ, never ς, so "ΟΔΟΣ" is not the
     * vocab's "οδος" (and, with no pieces for it here, one [UNK]) */
    UNCASED("ΟΔΟΣ", "[UNK]");
    UNCASED("ΑΣ", "ασ");
    UNCASED("ΑΣ.Α", "ασ . α");
    UNCASED("ας", "ας");
}

static void test_cjk_and_scripts(void **state) {
    (void)state;
    UNCASED("中国股市", "中 国 股 市");
    UNCASED("ab中cd", "ab 中 [UNK]");
    UNCASED("مرحبا", "مرحبا");
    /* full-width letters are not folded (no NFKC); full-width ! is Po */
    UNCASED("ＳＳ！", "[UNK] ！");
}

static void test_cleaning(void **state) {
    (void)state;
    UNCASED("a\x01" "b\x7f" "cd", "abcd");
    UNCASED("zero\xe2\x80\x8bwidth", "zero ##width"); /* U+200B is Cf: dropped */
    UNCASED("a\tb\nc\xc2\xa0" "d", "a b c d");       /* NBSP is Zs */
    UNCASED("a\xe2\x80\xa8" "b", "a b");             /* U+2028 splits like str.split() */
    UNCASED("a\xef\xbf\xbd" "b", "ab");              /* U+FFFD dropped */
    assert_string_equal(pieces(1, "a\0b", 3), "ab");
    UNCASED("x;\xcd\xbex", "x ; ; x");               /* U+037E becomes ';' under NFC */
}

static void test_wordpiece(void **state) {
    (void)state;
    UNCASED("unaffable", "un ##aff ##able");
    UNCASED("stocks", "stocks");
    UNCASED("good\xf0\x9f\x98\x80", "[UNK]"); /* emoji glued to a word: no ##😀 */
    UNCASED("\xf0\x9f\x98\x80 good", "[UNK] good");
    UNCASED("\xc3\xa2\xe2\x82\xac\xc2\xa6", "a ##€ ##¦"); /* mojibake of … */
    UNCASED("xxxx", "x ##x ##x ##x");
    /* 100 code points is a word, 101 is [UNK] */
    char w[10001];
    memset(w, 'x', 100);
    w[100] = '\0';
    assert_int_equal(strlen(pieces(1, w, 100)), strlen("x") + 99 * strlen(" ##x"));
    memset(w, 'x', 101);
    UNCASED(w, "[UNK]");
    memset(w, 'a', 10000);
    w[10000] = '\0';
    UNCASED(w, "[UNK]");
}

static void test_invalid_utf8(void **state) {
    (void)state;
    tokenizer *t = tok_new(vocab, 1);
    int32_t ids[16];
    struct {
        const char *s;
        uint64_t bad;
        const char *want;
    } cases[] = {
        {"ab\xff" "cd", 1, "abcd"},
        {"ab\xe2\x82", 2, "ab"},           /* truncated sequence: two bad bytes */
        {"a\xed\xa0\x80" "b", 3, "##b"},   /* surrogate */
        {"\xc0\x80" "ab", 2, "ab"},        /* overlong NUL */
        {"\xf4\x90\x80\x80", 4, ""},       /* above U+10FFFF */
        {"\x80\x80 ab", 2, "ab"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tok_stats st = {0};
        int n = tok_encode(t, cases[i].s, strlen(cases[i].s), 16, ids, &st);
        assert_int_equal(st.invalid_utf8, cases[i].bad);
        assert_int_equal(st.truncated, 0);
        assert_true(n >= 2);
    }
    assert_string_equal(pieces(1, "ab\xff" "cd", 5), "abcd");
    assert_string_equal(pieces(1, "a\xed\xa0\x80" "b", 5), "ab");
    tok_free(t);
}

static void test_cls_sep_truncation(void **state) {
    (void)state;
    tokenizer *t = tok_new(vocab, 1);
    int32_t ids[8];
    tok_stats st = {0};
    int n = tok_encode(t, "", 0, 8, ids, &st);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], tok_vocab_cls(vocab));
    assert_int_equal(ids[1], tok_vocab_sep(vocab));
    n = tok_encode(t, "hello world", 11, 8, ids, &st);
    assert_int_equal(n, 4);
    assert_int_equal(ids[0], 2);
    assert_int_equal(ids[1], 5);
    assert_int_equal(ids[2], 6);
    assert_int_equal(ids[3], 3);
    assert_int_equal(st.truncated, 0);
    /* 7 pieces, max_len 5: [CLS] + 3 pieces + [SEP] */
    n = tok_encode(t, "a b c d a b c\xff", 14, 5, ids, &st);
    assert_int_equal(n, 5);
    assert_int_equal(ids[0], 2);
    assert_string_equal(tok_vocab_token(vocab, ids[1]), "a");
    assert_string_equal(tok_vocab_token(vocab, ids[2]), "b");
    assert_string_equal(tok_vocab_token(vocab, ids[3]), "c");
    assert_int_equal(ids[4], 3);
    assert_int_equal(st.truncated, 1);
    assert_int_equal(st.invalid_utf8, 1); /* counted past the cut too */
    /* exactly max_len - 2 pieces is not truncation */
    n = tok_encode(t, "a b c", 5, 5, ids, &st);
    assert_int_equal(n, 5);
    assert_int_equal(st.truncated, 1);
    n = tok_encode(t, "a b c", 5, 2, ids, &st);
    assert_int_equal(n, 2);
    assert_int_equal(ids[1], 3);
    assert_int_equal(st.truncated, 2);
    tok_free(t);
}

/* Literal special tokens, as Hugging Face's tokenize() matches them: on
 * the raw text, before lower-casing (its do_lower_case pass skips exact
 * special-token strings and lowers the rest) and before cleaning. The
 * match is case-sensitive, so "[cls]" is never [CLS], even uncased: the
 * Trie holds "[CLS]" and the text "[cls]" is lowered, not the tokens. */
static void test_special_tokens(void **state) {
    (void)state;
    for (int lower = 0; lower <= 1; lower++) {
        assert_string_equal(pieces(lower, "[CLS] hello [SEP]", 17), "[CLS] hello [SEP]");
        assert_string_equal(pieces(lower, "x[MASK]x", 8), "x [MASK] x"); /* x, not ##x: a new word */
        assert_string_equal(pieces(lower, "a[SEP]b", 7), "a [SEP] b");
        assert_string_equal(pieces(lower, "[PAD][UNK]", 10), "[PAD] [UNK]");
        assert_string_equal(pieces(lower, "[[SEP]]", 7), "[UNK] [SEP] [UNK]"); /* '[' and ']' are not in this vocab */
        assert_string_equal(pieces(lower, "[cls]", 5), "[UNK] [UNK] [UNK]");
        assert_string_equal(pieces(lower, "[Sep]", 5), "[UNK] [UNK] [UNK]");
        assert_string_equal(pieces(lower, "[SEP", 4), "[UNK] [UNK]");
        assert_string_equal(pieces(lower, "[SE\xffP]", 6), "[UNK] [UNK] [UNK]");
    }
    UNCASED("HELLO[SEP]HELLO", "hello [SEP] hello");
    CASED("HELLO[SEP]Café", "[UNK] [SEP] Café");

    tokenizer *t = tok_new(vocab, 1);
    int32_t ids[8];
    tok_stats st = {0};
    /* counted like pieces: truncation, and invalid bytes on both sides */
    int n = tok_encode(t, "\xff[MASK]\xfe[MASK] [MASK]", 20, 4, ids, &st);
    assert_int_equal(n, 4);
    assert_int_equal(ids[1], 4);
    assert_int_equal(ids[2], 4);
    assert_int_equal(ids[3], 3);
    assert_int_equal(st.truncated, 1);
    assert_int_equal(st.invalid_utf8, 2);
    tok_free(t);

    /* only special tokens in the vocab count: without [MASK] it is text */
    char path[80], err[256];
    snprintf(path, sizeof path, "%s.nomask", vocab_path);
    const char *nomask[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[", "]", "mask", "MASK"};
    assert_int_equal(write_vocab(path, nomask, 8, "\n"), 0);
    tok_vocab *v = tok_vocab_load(path, err, sizeof err);
    unlink(path);
    assert_non_null(v);
    t = tok_new(v, 1);
    n = tok_encode(t, "[MASK][SEP]", 11, 8, ids, NULL);
    assert_int_equal(n, 6);
    assert_int_equal(ids[1], 4);
    assert_int_equal(ids[2], 6);
    assert_int_equal(ids[3], 5);
    assert_int_equal(ids[4], 3);
    tok_free(t);
    tok_vocab_free(v);
}

static const char *spans(int lower, const char *text, size_t len) { return joined_text(lower, text, len, 1); }

#define SPANS(text, want) assert_string_equal(spans(1, (text), strlen(text)), (want))

static void test_word_spans(void **state) {
    (void)state;
    SPANS("Hello, World!", "hello@0-5 ,@5-6 world@7-12 !@12-13");
    SPANS("  $AAPL  up ", "$@2-3 aapl@3-7 up@9-11");
    SPANS("Café Déjà vu", "cafe@0-5 deja@6-12 vu@13-15");   /* offsets of the raw bytes */
    SPANS("a\x01" "b cd", "ab@0-3 cd@4-6");                 /* a dropped byte inside the span */
    SPANS("a[SEP]b", "a@0-1 [SEP]@1-6 b@6-7");
    SPANS("中国 up", "中@0-3 国@3-6 up@7-9");
    SPANS("x;\xcd\xbex", "x@0-1 ;@1-2 ;@2-4 x@4-5");       /* U+037E is ';' after NFC: still one for one */
    SPANS("bad\xff byte", "bad@0-3 byte@5-9");
    /* "a.", U+0301, ".": the combining accent is dropped (uncased), so the
     * normalised token splits into fewer words than the raw one: every word
     * gets the whole token */
    SPANS("a.\xcc\x81. b", "a@0-5 .@0-5 .@0-5 b@6-7");
    assert_string_equal(spans(0, "a.\xcc\x81.", 5), "a@0-1 .@1-2 \xcc\x81@2-4 .@4-5");
    SPANS("", "");
}

static void test_vocab_load(void **state) {
    (void)state;
    assert_int_equal(tok_vocab_size(vocab), (int)(sizeof hand_vocab / sizeof hand_vocab[0]));
    assert_int_equal(tok_vocab_id(vocab, "hello"), 5);
    assert_int_equal(tok_vocab_id(vocab, "nope"), -1);
    assert_int_equal(tok_vocab_pad(vocab), 0);
    assert_int_equal(tok_vocab_unk(vocab), 1);
    assert_int_equal(tok_vocab_mask(vocab), 4);
    assert_null(tok_vocab_token(vocab, -1));
    assert_null(tok_vocab_token(vocab, tok_vocab_size(vocab)));
    char path[80], err[256];
    snprintf(path, sizeof path, "%s.crlf", vocab_path);
    /* CRLF, a duplicate (later id wins) and a last line without newline */
    const char *crlf[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "dup", "dup"};
    assert_int_equal(write_vocab(path, crlf, 6, "\r\n"), 0);
    tok_vocab *v = tok_vocab_load(path, err, sizeof err);
    assert_non_null(v);
    assert_int_equal(tok_vocab_size(v), 6);
    assert_int_equal(tok_vocab_id(v, "dup"), 5);
    assert_int_equal(tok_vocab_sep(v), 3);
    assert_int_equal(tok_vocab_mask(v), -1);
    tok_vocab_free(v);
    const char *nosep[] = {"[PAD]", "[UNK]", "[CLS]"};
    assert_int_equal(write_vocab(path, nosep, 3, "\n"), 0);
    assert_null(tok_vocab_load(path, err, sizeof err));
    assert_non_null(strstr(err, "[SEP]"));
    assert_non_null(strstr(err, path));
    assert_int_equal(write_vocab(path, nosep, 0, "\n"), 0);
    assert_null(tok_vocab_load(path, err, sizeof err));
    assert_non_null(strstr(err, "empty"));
    unlink(path);
    assert_null(tok_vocab_load(path, err, sizeof err));
    assert_non_null(strstr(err, path));
}

#define FIXTURE_DIR "tests/fixtures/tokenizer/"

/* Reads a JSONL file into a cJSON array of its lines; NULL when unreadable. */
static cJSON *read_jsonl(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    cJSON *arr = cJSON_CreateArray();
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        cJSON *o = cJSON_ParseWithLength(line, (size_t)n);
        if (!o) break;
        cJSON_AddItemToArray(arr, o);
    }
    free(line);
    fclose(f);
    return arr;
}

static void check_fixture(int lower, const char *expected_path) {
    char err[256];
    tok_vocab *v = tok_vocab_load(FIXTURE_DIR "vocab.txt", err, sizeof err);
    assert_non_null(v);
    cJSON *cases = read_jsonl(FIXTURE_DIR "cases.jsonl");
    cJSON *want = read_jsonl(expected_path);
    assert_non_null(cases);
    assert_non_null(want);
    int n = cJSON_GetArraySize(cases);
    assert_true(n >= 200);
    assert_int_equal(cJSON_GetArraySize(want), n);
    tokenizer *t = tok_new(v, lower);
    enum { CAP = 16384 };
    int32_t *ids = malloc(CAP * sizeof *ids);
    int mismatches = 0;
    for (int i = 0; i < n; i++) {
        cJSON *c = cJSON_GetArrayItem(cases, i), *w = cJSON_GetArrayItem(want, i);
        const char *text = cJSON_GetObjectItem(c, "text")->valuestring;
        cJSON *wids = cJSON_GetObjectItem(w, "ids");
        tok_stats st = {0};
        int got = tok_encode(t, text, strlen(text), CAP, ids, &st);
        int ok = got == cJSON_GetArraySize(wids) && st.truncated == 0;
        for (int k = 0; ok && k < got; k++) ok = ids[k] == cJSON_GetArrayItem(wids, k)->valueint;
        if (!ok) {
            mismatches++;
            char *ws = cJSON_PrintUnformatted(wids);
            print_message("# %s case %s: got %d ids, want %s\n", lower ? "uncased" : "cased",
                          cJSON_GetObjectItem(c, "id")->valuestring, got, ws);
            free(ws);
        }
    }
    free(ids);
    tok_free(t);
    cJSON_Delete(cases);
    cJSON_Delete(want);
    tok_vocab_free(v);
    assert_int_equal(mismatches, 0);
}

static void test_fixture_uncased(void **state) {
    (void)state;
    check_fixture(1, FIXTURE_DIR "expected_uncased.jsonl");
}

static void test_fixture_cased(void **state) {
    (void)state;
    check_fixture(0, FIXTURE_DIR "expected_cased.jsonl");
}

static void test_bench(void **state) {
    (void)state;
    tokenizer *t = tok_new(vocab, 1);
    const char *texts[] = {"$AAPL up 3.5% after earnings, Café Déjà vu 中国股市", "hello world"};
    assert_true(tok_bench_mbps(t, texts, 2, 0.01) > 0.0);
    const char *empty[] = {""};
    assert_true(tok_bench_mbps(t, empty, 1, 0.01) == 0.0);
    assert_true(tok_bench_mbps(t, texts, 0, 0.01) == 0.0);
    tok_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_and_punct), cmocka_unit_test(test_accents_and_case),
        cmocka_unit_test(test_cjk_and_scripts), cmocka_unit_test(test_cleaning),
        cmocka_unit_test(test_wordpiece),       cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_cls_sep_truncation), cmocka_unit_test(test_special_tokens),
        cmocka_unit_test(test_word_spans),      cmocka_unit_test(test_vocab_load),
        cmocka_unit_test(test_fixture_uncased), cmocka_unit_test(test_fixture_cased),
        cmocka_unit_test(test_bench),
    };
    return cmocka_run_group_tests_name("tokenizer", tests, setup, teardown);
}
