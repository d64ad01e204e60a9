/* encoder — the BERT forward pass: embeddings + LayerNorm, post-LN layers
 * of multi-head self-attention and exact-erf GELU feed-forward, the tanh
 * pooler on [CLS], linear heads and softmax.
 *
 * Two paths, one model (model.h):
 *  - the fast path (encoder.c): sequences packed back to back, T tokens in
 *    all, no padding anywhere. One thread pool (enc_set_threads) owns the
 *    cores: token rows are split across its workers, each running the
 *    dense layers on its rows with the SIMD kernels of kernels.h on
 *    weights packed once by enc_prepare (fp32, or int8), bias and GELU
 *    applied in the kernel's registers, residual and LayerNorm in one pass
 *    after; attention runs per (sequence, head), no BLAS call on tiny
 *    matrices. With enough sequences each worker runs whole sequences
 *    through every layer and the workers never wait for each other.
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

/* In-place softmax of x (n), max-subtracted. */
void enc_softmax(float *x, int n);

/* Sizes the encoder's thread pool to n workers (n < 1 means 1), the
 * calling thread included, and sets OpenBLAS to one thread (process-wide:
 * the pool is what runs in parallel). Not while a forward runs. Until the
 * first call the pool has one worker. */
void enc_set_threads(int n);
/* The pool's size. */
int enc_threads(void);

typedef enum enc_precision { ENC_FP32 = 0, ENC_INT8 = 1 } enc_precision;

/* Packs m's dense layers for enc_forward (wpack.h): in fp32 (a second
 * copy of those weights in the kernels' layout), or in int8 (weights per
 * output channel; activations quantised per row at run time, int32
 * accumulation), when embeddings, attention, pooler and heads stay fp32.
 * Must run before enc_ws_new on m; calling it again repacks. Not while a
 * forward on m runs. Can't fail. */
void enc_prepare(cls_model *m, enc_precision p);

/* ---- the whole forward ---- */

/* Activations for up to max_tokens packed tokens and sequences of at most
 * max_len tokens, on a model enc_prepare has packed (else it aborts with a
 * message: a programming error). One workspace per thread; its memory is
 * about max_tokens * (6C + I) floats. Never NULL. */
typedef struct enc_ws enc_ws;
enc_ws *enc_ws_new(const cls_model *m, int max_tokens, int max_len);
void enc_ws_free(enc_ws *ws);
int enc_ws_max_tokens(const enc_ws *ws);
/* Token rows the dense layers of every enc_forward on ws ran on so far:
 * what was computed, counted where it is computed (padding included, were
 * there any). */
uint64_t enc_ws_rows(const enc_ws *ws);
/* Runs this workspace's forwards on kernel set k (kernels.h) instead of
 * kern_get()'s: how tests run every set the CPU has. */
typedef struct kern_ops kern_ops;
void enc_ws_use_kernels(enc_ws *ws, const kern_ops *k);

/* Runs n_seq sequences packed back to back in ids (lens[s] tokens each,
 * 1 <= lens[s] <= min(max_len, max_position), sum(lens) <= max_tokens,
 * 0 <= id < V) and writes logits (n_seq, K). Token type 0 throughout.
 * Can't fail. */
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
