/* Unit tests for train/vocab_build: the BERT pre-tokenizer, and the merge
 * learner on a tiny corpus whose merges are worked out by hand:
 *   hug x3, hugs x1, pug x2 → alphabet ##u 6, ##g 6, h 4, p 2, ##s 1;
 *   merges ##u+##g=##ug (6), h+##ug=hug (4), p+##ug=pug (2), hug+##s=hugs (1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify/tokenizer.h"
#include "train/vocab_build.h"

static void join(const char *w, size_t n, void *arg) {
    char *out = arg;
    strcat(out, "[");
    strncat(out, w, n);
    strcat(out, "]");
}

static void test_pretokenize(void **state) {
    (void)state;
    char out[256] = "";
    const char *t = "H\xC3\xA9llo, WORLD!\x01 $AAPL\xFF \xE6\x9D\xB1\xE4\xBA\xAC\tup";
    vb_basic_pretokenize(t, strlen(t), 1, join, out);
    assert_string_equal(out, "[hello][,][world][!][$][aapl][\xE6\x9D\xB1][\xE4\xBA\xAC][up]");
    out[0] = 0;
    vb_basic_pretokenize(t, strlen(t), 0, join, out);
    assert_string_equal(out, "[H\xC3\xA9llo][,][WORLD][!][$][AAPL][\xE6\x9D\xB1][\xE4\xBA\xAC][up]");
    out[0] = 0;
    vb_basic_pretokenize("  \xEF\xBF\xBD  ", 7, 1, join, out);
    assert_string_equal(out, "");
}

static char *joined(char **tok, int n) {
    static char buf[512];
    buf[0] = 0;
    for (int i = 0; i < n; i++) {
        strcat(buf, tok[i]);
        strcat(buf, i + 1 < n ? " " : "");
    }
    return buf;
}

static vb_learner *hug_corpus(void) {
    vb_learner *v = vb_new(1, NULL);
    const char *lines[] = {"hug hug", "Hug hugs", "pug PUG"};
    for (int i = 0; i < 3; i++) vb_add_text(v, lines[i], strlen(lines[i]));
    assert_int_equal(vb_word_count(v), 3);
    return v;
}

static void test_learn_merges(void **state) {
    (void)state;
    char **tok;
    vb_learner *v = hug_corpus();
    int n = vb_learn(v, 100, 1, &tok);
    assert_string_equal(joined(tok, n), "[PAD] [UNK] [CLS] [SEP] [MASK] ##u ##g h p ##s ##ug hug pug hugs");
    vb_free(v);
    /* min_freq 2 stops before hugs */
    v = hug_corpus();
    n = vb_learn(v, 100, 2, &tok);
    assert_string_equal(joined(tok, n), "[PAD] [UNK] [CLS] [SEP] [MASK] ##u ##g h p ##s ##ug hug pug");
    vb_free(v);
    /* the size limit counts the special tokens */
    v = hug_corpus();
    n = vb_learn(v, 11, 1, &tok);
    assert_string_equal(joined(tok, n), "[PAD] [UNK] [CLS] [SEP] [MASK] ##u ##g h p ##s ##ug");
    vb_free(v);
    /* an alphabet larger than the room keeps the most frequent characters */
    v = hug_corpus();
    n = vb_learn(v, 7, 1, &tok);
    assert_string_equal(joined(tok, n), "[PAD] [UNK] [CLS] [SEP] [MASK] ##u ##g");
    vb_free(v);
}

static void test_write(void **state) {
    (void)state;
    char **tok, err[256], path[] = "/tmp/finsent-vb-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    vb_learner *v = hug_corpus();
    int n = vb_learn(v, 100, 1, &tok);
    assert_int_equal(vb_write(tok, n, path, err, sizeof err), 0);
    FILE *f = fopen(path, "r");
    char line[64];
    int lines = 0;
    while (fgets(line, sizeof line, f)) lines++;
    fclose(f);
    assert_int_equal(lines, n);
    remove(path);
    assert_int_equal(vb_write(tok, n, "/nonexistent-dir/vocab.txt", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent-dir/vocab.txt"));
    vb_free(v);
}

static void count_unk(int id, void *arg) {
    int *u = arg;
    u[0] += id == u[1];
}

/* With room for every merge, the learned vocabulary covers its own corpus:
 * classify/tokenizer never falls back to [UNK] on it, which checks that
 * vb_basic_pretokenize splits words as the tokenizer does. */
static void test_tokenizer_agrees(void **state) {
    (void)state;
    const char *corpus[] = {"Fed's Powell: rates \"higher for longer\" — S&P 500 -1.2%",
                            "Caf\xC3\xA9 chain NA\xC3\x8FVE beats; $SBUX +3% \xE6\x9D\xB1\xE4\xBA\xAC",
                            "U.S. yields\trise\u00a0again, ¿qué?"};
    vb_learner *v = vb_new(1, NULL);
    for (int i = 0; i < 3; i++) vb_add_text(v, corpus[i], strlen(corpus[i]));
    char **tok, err[256], path[] = "/tmp/finsent-vb-XXXXXX";
    int n = vb_learn(v, 100000, 1, &tok);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(vb_write(tok, n, path, err, sizeof err), 0);
    tok_vocab *tv = tok_vocab_load(path, err, sizeof err);
    assert_non_null(tv);
    tokenizer *t = tok_new(tv, 1);
    for (int i = 0; i < 3; i++) {
        int u[2] = {0, tok_vocab_unk(tv)};
        tok_pieces(t, corpus[i], strlen(corpus[i]), count_unk, u);
        assert_int_equal(u[0], 0);
    }
    /* a frequent word is one piece */
    int32_t ids[8];
    assert_int_equal(tok_encode(t, "yields", 6, 8, ids, NULL), 3);
    tok_free(t);
    tok_vocab_free(tv);
    remove(path);
    vb_free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pretokenize),
        cmocka_unit_test(test_learn_merges),
        cmocka_unit_test(test_write),
        cmocka_unit_test(test_tokenizer_agrees),
    };
    return cmocka_run_group_tests_name("vocab_build", tests, NULL, NULL);
}
