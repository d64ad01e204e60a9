/* train_layers — forward/backward pairs of the encoder's layers for
 * training, on plain float arrays (llm.c style).
 *
 * Layout: a batch is N tokens of S sequences packed back to back without
 * padding; sequence s covers tokens off[s] .. off[s+1]-1 (off has S+1
 * entries, off[0] = 0). Hidden size H, heads nh, head size d = H / nh.
 * Weights follow PyTorch Linear: w is [OUT, IN] row-major.
 *
 * Every backward ADDS into its gradient arrays (d* +=), so the caller zeroes
 * gradients once per step and shared tensors (tied embeddings) accumulate.
 * None of these functions allocate except where noted; none can fail. */
#ifndef FINSENT_TRAIN_LAYERS_H
#define FINSENT_TRAIN_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "util/rng.h"

/* out (N,H) = wte[ids] + wpe[pos] + wtt[types]; ids/pos/types are (N). */
void tl_embed_forward(float *out, const int32_t *ids, const int32_t *pos, const int32_t *types, const float *wte,
                      const float *wpe, const float *wtt, int N, int H);
/* dwte/dwpe/dwtt += scatter of dout (N,H). */
void tl_embed_backward(float *dwte, float *dwpe, float *dwtt, const float *dout, const int32_t *ids,
                       const int32_t *pos, const int32_t *types, int N, int H);

/* out (N,H) = (inp - mean) * rstd * w + b; mean, rstd (N) are cached. */
void tl_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b,
                          int N, int H, float eps);
/* dinp (N,H), dw (H), db (H) += ; dinp may be NULL. */
void tl_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                           const float *mean, const float *rstd, int N, int H);

/* out (N,OUT) = inp (N,IN) @ w^T + bias, w (OUT,IN), bias (OUT) or NULL.
 * OpenBLAS sgemm. */
void tl_matmul_forward(float *out, const float *inp, const float *w, const float *bias, int N, int IN, int OUT);
/* The same with plain loops and double accumulation: the reference the
 * sgemm path is tested against. */
void tl_matmul_forward_ref(float *out, const float *inp, const float *w, const float *bias, int N, int IN, int OUT);
/* dinp (N,IN) += dout @ w; dw (OUT,IN) += dout^T @ inp; dbias (OUT) +=
 * column sums of dout. dinp and dbias may be NULL. */
void tl_matmul_backward(float *dinp, float *dw, float *dbias, const float *dout, const float *inp, const float *w,
                        int N, int IN, int OUT);

/* Floats needed by the attention probabilities of one layer:
 * nh * sum over s of L_s^2. */
size_t tl_attention_size(const int *off, int S, int nh);
/* q, k, v, out are (N,H); att holds the softmax probabilities per sequence
 * and head (layout: sequence-major, then head, then query row, then key),
 * tl_attention_size floats. Every token attends to all tokens of its own
 * sequence; scores are scaled by 1/sqrt(d). */
void tl_attention_forward(float *out, float *att, const float *q, const float *k, const float *v, const int *off,
                          int S, int H, int nh);
/* dq, dk, dv (N,H) += from dout (N,H) and the cached att. */
void tl_attention_backward(float *dq, float *dk, float *dv, const float *dout, const float *att, const float *q,
                           const float *k, const float *v, const int *off, int S, int H, int nh);

/* out = x * Phi(x), the exact erf GELU, over n floats. */
void tl_gelu_forward(float *out, const float *inp, size_t n);
void tl_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n);

/* out = tanh(inp), n floats; backward uses the cached out. */
void tl_tanh_forward(float *out, const float *inp, size_t n);
void tl_tanh_backward(float *dinp, const float *dout, const float *out, size_t n);

/* Inverted dropout: keeps each value with probability 1-p and scales it by
 * 1/(1-p); mask (n) records what was kept. p = 0 copies and sets the mask. */
void tl_dropout_forward(float *out, uint8_t *mask, const float *inp, size_t n, float p, rng_pcg *rng);
void tl_dropout_backward(float *dinp, const float *dout, const uint8_t *mask, size_t n, float p);

/* Softmax cross-entropy of one head over B examples of C classes, averaged
 * over the labelled examples (labels[b] = -1: no label for this head; it
 * contributes nothing). probs (B,C) is filled for every example. Returns the
 * mean loss, 0 when no example is labelled; *n_labelled gets the count. */
float tl_xent_forward(float *probs, const float *logits, const int32_t *labels, int B, int C, int *n_labelled);
/* dlogits (B,C) += dloss * (probs - onehot) / n_labelled on labelled rows. */
void tl_xent_backward(float *dlogits, const float *probs, const int32_t *labels, int B, int C, float dloss);

#endif
