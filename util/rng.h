/* rng — the one random generator: PCG32 (O'Neill 2014, pcg32_random_r):
 * a 64-bit LCG state with an odd increment choosing one of 2^63 streams,
 * output by xorshift-high and a random rotation.
 *
 * Same seed and stream, same numbers on every machine: training's
 * determinism (resume = uninterrupted run), random model weights and
 * benchmark inputs rely on it. Not for secrets (use OpenSSL's RAND_bytes). */
#ifndef FINSENT_RNG_H
#define FINSENT_RNG_H

#include <stdint.h>

typedef struct rng_pcg {
    uint64_t state, inc;
} rng_pcg;

/* Seeds r as pcg32_srandom_r(r, seed, stream) does. Can't fail. */
void rng_seed(rng_pcg *r, uint64_t seed, uint64_t stream);

/* The next 32 random bits. */
uint32_t rng_u32(rng_pcg *r);

/* 64 random bits: two draws, the first the high half. */
uint64_t rng_u64(rng_pcg *r);

/* Uniform in [0, n) without modulo bias (Lemire's multiply-shift with
 * rejection); n = 0 returns 0. */
uint32_t rng_below(rng_pcg *r, uint32_t n);

/* Uniform in [0, 1) with 24 bits (one draw). */
float rng_uniform(rng_pcg *r);

/* Standard normal by Box-Muller on two rng_uniform draws (the first kept
 * at least 1e-7 so that its log is finite). */
float rng_normal(rng_pcg *r);

#endif
