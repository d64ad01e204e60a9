/* fuzz_tokenizer — libFuzzer target for tok_encode and tok_pieces over the
 * test vocab (tests/fixtures/tokenizer/vocab.txt, or $FUZZ_VOCAB; run from
 * the repository root).
 *
 * Input: first byte: bit 0 selects the uncased tokenizer, the other bits
 * max_len - 2 (max_len 2..129); the rest is the text, passed without a
 * terminating NUL so that any read past len is caught. Checked: [CLS]
 * first and [SEP] last, every id in the vocab, the ids between them the
 * first pieces tok_pieces gives, truncation counted exactly when pieces
 * were cut, and a second encoding equal to the first. Then the n-gram
 * features of the same text (classify/ngram.h, word orders 1 and 2 and
 * character orders 1, 3 and 5): buckets strictly ascending and in range,
 * counts that add up to the n-grams the words allow (counted here from
 * tok_words' words and their code points), and unit L2 norm once
 * weighed. Then tok_word_spans: the same words as tok_words, in order, each
 * span inside the text, non-empty, after the one before it or equal to it
 * (words of one token sharing its span); and every tracked n-gram naming
 * words that exist. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include "classify/ngram.h"
#include "classify/tokenizer.h"
#include "util/fnv.h"
#include "util/xalloc.h"

#define MAX_IDS 129

static tok_vocab *vocab;
static tokenizer *toks[2]; /* cased, uncased */

typedef struct pieces { int32_t ids[MAX_IDS]; size_t n; } pieces;

static void add_piece(int id, void *arg) {
    pieces *p = arg;
    if (p->n < MAX_IDS) p->ids[p->n] = id;
    p->n++;
}

/* tok_words callback: the n-grams a word brings, counted by hand. */
typedef struct expect { long words, grams; } expect;
static const int char_orders[3] = {1, 3, 5};

static void count_word(const char *w, size_t n, void *arg) {
    expect *e = arg;
    long cps = 2; /* the padding spaces */
    for (size_t i = 0; i < n; i++) cps += ((unsigned char)w[i] & 0xC0) != 0x80;
    for (int k = 0; k < 3; k++) e->grams += cps >= char_orders[k] ? cps - char_orders[k] + 1 : 0;
    e->words++;
}

static void check_ngrams(tokenizer *t, const char *text, size_t len) {
    static ngram_vec v;
    static float idf[1009];
    if (idf[0] == 0)
        for (int b = 0; b < 1009; b++) idf[b] = 1;
    ngram_settings s = {.buckets = 1009, .n_orders = 2, .orders = {1, 2}, .n_char_orders = 3,
                        .char_orders = {char_orders[0], char_orders[1], char_orders[2]}};
    expect e = {0, 0};
    tok_words(t, text, len, count_word, &e);
    long want = e.grams + e.words + (e.words > 1 ? e.words - 1 : 0);
    ngram_count(t, &s, text, len, &v);
    double total = 0;
    for (int i = 0; i < v.n; i++) {
        if (v.idx[i] < 0 || v.idx[i] >= 1009 || (i && v.idx[i] <= v.idx[i - 1]) || v.val[i] < 1) abort();
        total += v.val[i];
    }
    if ((long)total != want) abort();
    ngram_weigh(&v, idf);
    double ss = 0;
    for (int i = 0; i < v.n; i++) ss += (double)v.val[i] * v.val[i];
    if (v.n && fabs(ss - 1) > 1e-3) abort();
}

/* Words as a hash of "w1\0w2\0…" and a count, from tok_words or tok_word_spans. */
typedef struct word_sum {
    uint64_t h;
    long n;
    size_t len, last_start, last_end;
} word_sum;

static void sum_word(const char *w, size_t n, void *arg) {
    word_sum *s = arg;
    s->h = fnv1a64_more(fnv1a64_more(s->h, w, n), "", 1);
    s->n++;
}

static void sum_span(const char *w, size_t n, size_t start, size_t end, void *arg) {
    word_sum *s = arg;
    if (start >= end || end > s->len) abort();
    int same = start == s->last_start && end == s->last_end;
    if (s->n && !same && start < s->last_end) abort();
    s->last_start = start;
    s->last_end = end;
    sum_word(w, n, arg);
}

static void check_spans(tokenizer *t, const char *text, size_t len) {
    word_sum a = {FNV1A64_OFFSET, 0, len, 0, 0}, b = a;
    tok_words(t, text, len, sum_word, &a);
    tok_word_spans(t, text, len, sum_span, &b);
    if (a.h != b.h || a.n != b.n) abort();
    static ngram_vec v;
    ngram_settings s = {.buckets = 1009, .n_orders = 2, .orders = {1, 2}, .n_char_orders = 1, .char_orders = {3}};
    v.track = 1;
    ngram_count(t, &s, text, len, &v);
    for (int i = 0; i < v.n_occ; i++)
        if (v.occ[i].first < 0 || v.occ[i].n_words < 1 || v.occ[i].first + v.occ[i].n_words > a.n) abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *path = getenv("FUZZ_VOCAB");
    char err[512];
    vocab = tok_vocab_load(path ? path : "tests/fixtures/tokenizer/vocab.txt", err, sizeof err);
    if (!vocab) {
        fprintf(stderr, "fuzz_tokenizer: %s (run from the repository root or set FUZZ_VOCAB)\n", err);
        exit(1);
    }
    toks[0] = tok_new(vocab, 0);
    toks[1] = tok_new(vocab, 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    tokenizer *t = toks[data[0] & 1];
    int max_len = 2 + (data[0] >> 1);
    size_t len = size - 1;
    char *text = xmalloc(len ? len : 1);
    memcpy(text, data + 1, len);

    int32_t ids[MAX_IDS], again[MAX_IDS];
    tok_stats st = {0};
    int n = tok_encode(t, text, len, max_len, ids, &st);
    if (n < 2 || n > max_len || ids[0] != tok_vocab_cls(vocab) || ids[n - 1] != tok_vocab_sep(vocab)) abort();
    for (int i = 0; i < n; i++)
        if (!tok_vocab_token(vocab, ids[i])) abort();

    pieces p = {.n = 0};
    tok_pieces(t, text, len, add_piece, &p);
    size_t kept = p.n < (size_t)(max_len - 2) ? p.n : (size_t)(max_len - 2);
    if ((size_t)n != kept + 2 || st.truncated != (p.n > kept)) abort();
    for (size_t i = 0; i < kept; i++)
        if (ids[i + 1] != p.ids[i]) abort();

    if (tok_encode(t, text, len, max_len, again, NULL) != n || memcmp(ids, again, (size_t)n * sizeof ids[0]) != 0)
        abort();
    check_ngrams(t, text, len);
    check_spans(t, text, len);
    free(text);
    return 0;
}
