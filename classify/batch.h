/* batch — padding-free batched inference over the encoder.
 *
 * Sequences of any lengths are grouped into forwards of at most
 * token_budget tokens in all and packed back to back: the dense layers run
 * on (sum of lengths, C) activations and attention runs per sequence
 * (encoder.h), so no padding is ever computed. Within each window of
 * sort_window sequences they are taken shortest first so that a forward's
 * sequences have similar lengths; results always come back in input order.
 * A batcher owns one encoder workspace: use one per thread. Its model must
 * have been packed by enc_prepare. */
#ifndef FINSENT_BATCH_H
#define FINSENT_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "classify/encoder.h"

typedef struct batch_stats {
    uint64_t sequences;       /* sequences classified */
    uint64_t tokens;          /* their real tokens (from the caller's lengths) */
    uint64_t computed_tokens; /* token rows the dense layers ran on (counted by
                                 the encoder: enc_ws_rows) */
    uint64_t forwards;        /* enc_forward calls */
    uint64_t padded_rows;     /* rows a padded (B, longest) batch of the same
                                 forwards would have run: for comparison */
    double flops;             /* enc_flops of those forwards */
} batch_stats;

typedef struct batcher batcher;

/* A batcher for m (borrowed; must outlive it). token_budget >= max_len >= 2;
 * max_len is also capped at the model's max_position. sort_window >= 1 (1:
 * keep input order). Never NULL. */
batcher *batch_new(const cls_model *m, int token_budget, int max_len, int sort_window);
void batch_free(batcher *b);
/* The longest sequence accepted (after the max_position cap). */
int batch_max_len(const batcher *b);

/* Classifies n sequences ids[i][0..lens[i]) and writes logits (n, K) in
 * input order. Returns 0, or -1 with one line in err when a length is
 * outside 1..batch_max_len or an id outside the vocabulary (then nothing is
 * computed). stats (may be NULL) is added to. */
int batch_run(batcher *b, const int32_t *const *ids, const int *lens, int n, float *logits, batch_stats *stats,
              char *err, size_t errlen);

/* Share of computed token rows that were padding: (computed - real) /
 * computed, 0 when nothing was computed. */
double batch_padding_share(const batch_stats *s);

#endif
