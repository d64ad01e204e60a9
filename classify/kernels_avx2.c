/* kernels_avx2 — the kernel set for AVX2 + FMA: kernels_simd.h over 8-float
 * vectors. Built with -mavx2 -mfma (Makefile); only called after kern_get
 * has seen the CPU run AVX2 and FMA. */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

typedef __m256 vf;
typedef __m256i vi;

#define VW 8
#define KSUF(f) f##_avx2
#define KSUF_NAME "avx2"
#define Q8_MR 3 /* 6 accumulators: the int8 step needs 8 more registers */

/* lanes 0..n-1 set: a window into -1 x 8, 0 x 8 */
static inline __m256i avx2_first(int n) {
    static const int32_t t[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(t + 8 - n));
}

static inline float avx2_hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

static inline float avx2_hmax(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
}

/* low bytes of the first n of 8 int32 lanes (each 0..127) to p */
static inline void avx2_store_u8n(uint8_t *p, __m256i v, int n) {
    __m256i b = _mm256_packus_epi16(_mm256_packs_epi32(v, v), _mm256_setzero_si256());
    uint64_t lo = (uint32_t)_mm256_extract_epi32(b, 0), hi = (uint32_t)_mm256_extract_epi32(b, 4);
    uint64_t all = lo | hi << 32;
    memcpy(p, &all, (size_t)n);
}

static inline __m256i avx2_bcast4(const uint8_t *p) {
    int32_t x;
    memcpy(&x, p, 4);
    return _mm256_set1_epi32(x);
}

#define VF_LOAD(p) _mm256_loadu_ps(p)
#define VF_STORE(p, v) _mm256_storeu_ps((p), (v))
#define VF_LOADN(p, n) _mm256_maskload_ps((p), avx2_first(n))
#define VF_STOREN(p, v, n) _mm256_maskstore_ps((p), avx2_first(n), (v))
#define VF_SET1(x) _mm256_set1_ps(x)
#define VF_ADD _mm256_add_ps
#define VF_SUB _mm256_sub_ps
#define VF_MUL _mm256_mul_ps
#define VF_MAX _mm256_max_ps
#define VF_MIN _mm256_min_ps
#define VF_FMA _mm256_fmadd_ps
#define VF_ABS(v) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), (v))
#define VF_COPYSIGN(m, s) _mm256_or_ps(VF_ABS(m), _mm256_and_ps(_mm256_set1_ps(-0.0f), (s)))
#define VF_ROUND(v) _mm256_round_ps((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VF_POW2I(n) \
    _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23))
#define VF_HSUM avx2_hsum
#define VF_HMAX avx2_hmax
#define VF_TO_VI _mm256_cvtps_epi32
#define VI_ZERO _mm256_setzero_si256
#define VI_SET1 _mm256_set1_epi32
#define VI_SUB _mm256_sub_epi32
#define VI_MULLO _mm256_mullo_epi32
#define VI_LOAD32(p) _mm256_loadu_si256((const __m256i *)(p))
#define VI_LOAD32N(p, n) _mm256_maskload_epi32((const int *)(p), avx2_first(n))
#define VI_TO_VF _mm256_cvtepi32_ps
#define VI_STORE_U8N avx2_store_u8n
#define VI_LOADW(p) _mm256_loadu_si256((const __m256i *)(p))
#define VI_BCAST4 avx2_bcast4
#define VI_PAIRS _mm256_maddubs_epi16
#define VI_ADD16 _mm256_add_epi16
#define VI_WIDEN(t) _mm256_madd_epi16((t), _mm256_set1_epi16(1))
#define VI_ADD _mm256_add_epi32

#include "classify/kernels_simd.h"
#endif
