/* tok_vocab_internal — what tokenizer.c needs from vocab.c beyond the
 * public API: a length-delimited lookup (no copy, no NUL) with an optional
 * "##" prefix, and the longest token lengths so WordPiece can skip
 * substrings no entry can match. Not for use outside classify/. */
#ifndef FINSENT_TOK_VOCAB_INTERNAL_H
#define FINSENT_TOK_VOCAB_INTERNAL_H

#include <stddef.h>

#include "classify/tokenizer.h"

/* Id of ("##" if cont) + s[0..n), or -1 when absent. Can't fail. */
int tok_vocab_lookup(const tok_vocab *v, int cont, const char *s, size_t n);

/* Longest byte length a lookup can match: of any token (cont == 0), or of
 * the part after "##" of a continuation token (cont == 1). */
size_t tok_vocab_max_len(const tok_vocab *v, int cont);

#endif
