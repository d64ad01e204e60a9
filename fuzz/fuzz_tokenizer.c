/* fuzz_tokenizer — libFuzzer target for tok_encode and tok_pieces over the
 * test vocab (tests/fixtures/tokenizer/vocab.txt, or $FUZZ_VOCAB; run from
 * the repository root).
 *
 * Input: first byte: bit 0 selects the uncased tokenizer, the other bits
 * max_len - 2 (max_len 2..129); the rest is the text, passed without a
 * terminating NUL so that any read past len is caught. Checked: [CLS]
 * first and [SEP] last, every id in the vocab, the ids between them the
 * first pieces tok_pieces gives, truncation counted exactly when pieces
 * were cut, and a second encoding equal to the first. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/tokenizer.h"
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
    free(text);
    return 0;
}
