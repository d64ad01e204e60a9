/* rng — PCG32; see rng.h. */
#include "util/rng.h"

#include <math.h>

void rng_seed(rng_pcg *r, uint64_t seed, uint64_t stream) {
    r->state = 0;
    r->inc = (stream << 1u) | 1u;
    rng_u32(r);
    r->state += seed;
    rng_u32(r);
}

uint32_t rng_u32(rng_pcg *r) {
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ULL + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

uint64_t rng_u64(rng_pcg *r) {
    uint64_t hi = rng_u32(r);
    return hi << 32 | rng_u32(r);
}

uint32_t rng_below(rng_pcg *r, uint32_t n) {
    if (n == 0) return 0;
    uint64_t m = (uint64_t)rng_u32(r) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t floor = -n % n; /* 2^32 mod n: the values that would bias */
        while (low < floor) {
            m = (uint64_t)rng_u32(r) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

float rng_uniform(rng_pcg *r) { return (float)(rng_u32(r) >> 8) / 16777216.0f; }

float rng_normal(rng_pcg *r) {
    float u1 = rng_uniform(r), u2 = rng_uniform(r);
    if (u1 < 1e-7f) u1 = 1e-7f;
    return sqrtf(-2.0f * logf(u1)) * cosf(6.283185307f * u2);
}
