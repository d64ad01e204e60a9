/* fuzz_vocab — libFuzzer target for tok_vocab_load: the input is written
 * as a vocab.txt to a scratch file; a vocab that loads must answer id and
 * token lookups consistently and encode a fixed text. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/tokenizer.h"
#include "fuzz/fuzz_scratch.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_scratch_init("vocab");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[512] = "";
    tok_vocab *v = tok_vocab_load(fuzz_scratch_write(data, size), err, sizeof err);
    fuzz_scratch_remove();
    if (!v) {
        if (!err[0]) abort();
        return 0;
    }
    int n = tok_vocab_size(v);
    if (n < 4 || tok_vocab_token(v, n) || tok_vocab_token(v, -1)) abort();
    /* A token's id is its last line: looking the text up gives an id with
     * the same text, at or after this one (tokens with a NUL inside are
     * not C strings: not checked). */
    for (int i = 0; i < n && !memchr(data, 0, size); i++) {
        const char *tok = tok_vocab_token(v, i);
        int id = tok_vocab_id(v, tok);
        if (id < i || strcmp(tok_vocab_token(v, id), tok) != 0) abort();
    }
    tokenizer *t = tok_new(v, 1);
    static const char text[] = "Apple shares fell 3% after the #earnings call; unaffable café 東京.";
    int32_t ids[32];
    int k = tok_encode(t, text, sizeof text - 1, 32, ids, NULL);
    if (k < 2 || ids[0] != tok_vocab_cls(v) || ids[k - 1] != tok_vocab_sep(v)) abort();
    tok_free(t);
    tok_vocab_free(v);
    return 0;
}
