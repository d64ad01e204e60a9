/* encoder — the BERT forward pass: embeddings + LayerNorm, post-LN layers
 * of multi-head self-attention and exact-erf GELU feed-forward, the tanh
 * pooler on [CLS], linear heads and softmax.
 *
 * Two paths, one model (model.h):
 *  - the fast path (encoder.c): sequences packed back to back, T tokens in
 *    all, no padding anywhere; every dense layer is one OpenBLAS sgemm over
 *    the (T, C) activations, attention runs per sequence.
 *  - the reference path (encoder_ref.c): plain loops over a padded (B, T)
 *    batch with an attention mask, written to be checked against Hugging
 *    Face's BertModel by eye. Slow; for tests.
 * Shapes: T tokens, C hidden, NH heads of HS = C/NH, I intermediate,
 * B sequences, K = n_out logits per sequence (all heads, concatenated).
 *
 * Numerics follow Hugging Face: LayerNorm with biased variance and eps
 * inside the square root, attention scores scaled by 1/sqrt(HS), masked
 * keys get float32 min added before softmax, GELU 0.5x(1+erf(x/sqrt2)). */
#ifndef FINSENT_ENCODER_H
#define FINSENT_ENCODER_H

#include <stddef.h>
#include <stdint.h>

#include "classify/model.h"

/* ---- building blocks (fast path; each usable alone, e.g. by training) ---- */

/* out (T,C) = word_emb[ids] + pos_emb[position in its sequence] + type_emb[0].
 * ids (T) are n_seq sequences packed back to back, lens[s] each. Callers
 * guarantee 0 <= id < V and lens[s] <= max_position. */
void enc_embed_forward(const cls_model *m, float *out, const int32_t *ids, const int *lens, int n_seq);

/* out (T,C) = LayerNorm(inp (T,C)) * w + b; out may equal inp. */
void enc_layernorm_forward(float *out, const float *inp, const float *w, const float *b, int T, int C, float eps);

/* out (T,OUT) = inp (T,IN) W^T + b with W (OUT,IN): one sgemm. b may be NULL. */
void enc_matmul_forward(float *out, const float *inp, const float *w, const float *b, int T, int IN, int OUT);

/* Multi-head self-attention per sequence, no mask needed (sequences never
 * see each other). qkv (T,3C) rows are [q | k | v]; out (T,C) is the
 * heads' outputs concatenated. scratch holds max(lens)^2 floats. */
void enc_attention_forward(float *out, const float *qkv, const int *lens, int n_seq, int C, int NH, float *scratch);

/* x (n) = gelu(x), exact erf form. */
void enc_gelu_forward(float *x, size_t n);

/* x (n) += y (n). */
void enc_residual_forward(float *x, const float *y, size_t n);

/* In-place softmax of x (n), max-subtracted. */
void enc_softmax(float *x, int n);

/* Sets OpenBLAS's thread count (process-wide); n < 1 means 1. */
void enc_set_threads(int n);

/* ---- the whole forward ---- */

/* Activations for up to max_tokens packed tokens and sequences of at most
 * max_len tokens. One workspace per thread; its memory is
 * about max_tokens * (6C + I) floats. Never NULL. */
typedef struct enc_ws enc_ws;
enc_ws *enc_ws_new(const cls_model *m, int max_tokens, int max_len);
void enc_ws_free(enc_ws *ws);
int enc_ws_max_tokens(const enc_ws *ws);
/* Token rows the dense layers of every enc_forward on ws ran on so far:
 * what was computed, counted where it is computed (padding included, were
 * there any). */
uint64_t enc_ws_rows(const enc_ws *ws);

/* Runs n_seq packed sequences (ids as in enc_embed_forward, 1 <= lens[s] <=
 * min(max_len, max_position), sum(lens) <= max_tokens) and writes
 * logits (n_seq, K). Can't fail. */
void enc_forward(const cls_model *m, enc_ws *ws, const int32_t *ids, const int *lens, int n_seq, float *logits);

/* Reference forward on a padded batch: ids and type_ids (B,T) (type_ids NULL
 * means all 0), mask (B,T) 1 for real tokens and 0 for padding (NULL means
 * all real). Writes logits (B,K). Allocates its own scratch; can't fail. */
void enc_ref_forward(const cls_model *m, const int32_t *ids, const int32_t *type_ids, const float *mask, int B, int T,
                     float *logits);

/* FLOPs of enc_forward on these lengths (multiply-adds count 2): dense
 * layers, attention scores and weighted sums, pooler and heads. */
double enc_flops(const cls_model *m, const int *lens, int n_seq);

#endif
