/* masking — choosing the tokens a pre-training objective predicts (BERT's
 * masked-LM corruption), token by token or by whole words.
 *
 * Each chosen token keeps its original id as its label and is replaced:
 * 80% by [MASK], 10% by a random non-special token (ids >= 5), 10% left
 * as it is; tokens not chosen get label -1. Special tokens (ids 0-4:
 * [PAD] [UNK] [CLS] [SEP] [MASK] as finsent's vocab builder orders them)
 * are never chosen.
 *
 * Token-level: each token is chosen with probability p.
 * Whole-word (Cui et al. 2019, BERT's whole-word masking): a word is a
 * token that does not start with "##" followed by the "##" tokens after
 * it; each word is chosen with probability p and then all its tokens are,
 * so a token is still chosen with probability p, but never without the
 * rest of its word (predicting "##ings" next to a visible "earn" is too
 * easy to teach much). */
#ifndef FINSENT_MASKING_H
#define FINSENT_MASKING_H

#include <stdint.h>

#include "classify/tokenizer.h"
#include "train/train_layers.h"

typedef struct mask_spec {
    double p;            /* probability that a token (or word) is chosen */
    int mask_id, vocab;  /* [MASK]'s id; random replacements are drawn from 5 .. vocab-1 */
    const uint8_t *cont; /* (vocab) 1 for "##" continuation tokens; NULL: token-level masking */
} mask_spec;

/* The continuation flags of v's tokens for mask_spec.cont (caller frees). */
uint8_t *mask_continuations(const tok_vocab *v);

/* Chooses and replaces tokens of ids[0..n) in place as the header says,
 * writing labels[0..n). Draws from r in token order. */
void mask_apply(int32_t *ids, int32_t *labels, int n, const mask_spec *s, rng_pcg *r);

#endif
