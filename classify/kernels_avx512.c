/* kernels_avx512 — the kernel set for AVX-512 F + BW: kernels_simd.h over
 * 16-float vectors. Built with -mavx512f -mavx512bw -mfma (Makefile); only
 * called after kern_get has seen the CPU run AVX-512 F and BW. */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

typedef __m512 vf;
typedef __m512i vi;

#define VW 16
#define KSUF(f) f##_avx512
#define KSUF_NAME "avx512"
#define Q8_MR 8

#define AVX512_FIRST(n) ((__mmask16)((1u << (n)) - 1u))
#define AVX512_SIGN _mm512_set1_epi32(INT32_MIN)

static inline __m512i avx512_bcast4(const uint8_t *p) {
    int32_t x;
    memcpy(&x, p, 4);
    return _mm512_set1_epi32(x);
}

#define VF_LOAD(p) _mm512_loadu_ps(p)
#define VF_STORE(p, v) _mm512_storeu_ps((p), (v))
#define VF_LOADN(p, n) _mm512_maskz_loadu_ps(AVX512_FIRST(n), (p))
#define VF_STOREN(p, v, n) _mm512_mask_storeu_ps((p), AVX512_FIRST(n), (v))
#define VF_SET1(x) _mm512_set1_ps(x)
#define VF_ADD _mm512_add_ps
#define VF_SUB _mm512_sub_ps
#define VF_MUL _mm512_mul_ps
#define VF_MAX _mm512_max_ps
#define VF_MIN _mm512_min_ps
#define VF_FMA _mm512_fmadd_ps
#define VF_ABS(v) _mm512_castsi512_ps(_mm512_andnot_si512(AVX512_SIGN, _mm512_castps_si512(v)))
#define VF_COPYSIGN(m, s) \
    _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(VF_ABS(m)), \
                                        _mm512_and_si512(AVX512_SIGN, _mm512_castps_si512(s))))
#define VF_ROUND(v) _mm512_roundscale_ps((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VF_POW2I(n) \
    _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23))
#define VF_HSUM _mm512_reduce_add_ps
#define VF_HMAX _mm512_reduce_max_ps
#define VF_TO_VI _mm512_cvtps_epi32
#define VI_ZERO _mm512_setzero_si512
#define VI_SET1 _mm512_set1_epi32
#define VI_SUB _mm512_sub_epi32
#define VI_MULLO _mm512_mullo_epi32
#define VI_LOAD32(p) _mm512_loadu_si512((const void *)(p))
#define VI_LOAD32N(p, n) _mm512_maskz_loadu_epi32(AVX512_FIRST(n), (const void *)(p))
#define VI_TO_VF _mm512_cvtepi32_ps
#define VI_STORE_U8N(p, v, n) _mm512_mask_cvtepi32_storeu_epi8((void *)(p), AVX512_FIRST(n), (v))
#define VI_LOADW(p) _mm512_loadu_si512((const void *)(p))
#define VI_BCAST4 avx512_bcast4
#define VI_PAIRS _mm512_maddubs_epi16
#define VI_ADD16 _mm512_add_epi16
#define VI_WIDEN(t) _mm512_madd_epi16((t), _mm512_set1_epi16(1))
#define VI_ADD _mm512_add_epi32

#include "classify/kernels_simd.h"
#endif
