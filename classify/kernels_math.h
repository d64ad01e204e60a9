/* kernels_math — the polynomial coefficients behind the kernels' exp and
 * erf, shared by the plain (kernels_plain.c) and SIMD (kernels_simd.h)
 * forms so that both evaluate the very same approximation.
 *
 * exp(x): x = n ln2 + r with n = round(x / ln2) and ln2 split in two
 * (Cody-Waite), exp(r) by Cephes' degree-6 polynomial, times 2^n; 1 ulp
 * relative (measured max 8.2e-8) on [-87.3, 88.4], clamped outside.
 *
 * erf(x): odd; for |x| < ERF_ONE, 1 - exp(|x| Q(|x|)) with Q of degree 8
 * a fit of log(erfc(x)) / x, weighted by erfc so as to bound the error of
 * erf itself; 1 beyond (erf(3.925) is 1 - 2.9e-8). One branch, no blend:
 * the GELU epilogue of the GEMM stays short. Fitted by weighted least
 * squares iterated towards minimax on Chebyshev nodes (float64); measured
 * in float32 against libm's double erf over [-7, 7]: max absolute error
 * 7.7e-8, about 1 ulp near 1 (GELU: 1.1e-7 times max(1, |x|)).
 *
 * And q8_row_params, the int8 activation codes of a row. */
#ifndef FINSENT_KERNELS_MATH_H
#define FINSENT_KERNELS_MATH_H

#include <math.h>
#include <stdint.h>

#define EXP_HI 88.3762626647949f
#define EXP_LO (-87.3365447504019f)
#define EXP_LOG2E 1.44269504088896341f
#define EXP_LN2_HI 0.693359375f
#define EXP_LN2_LO (-2.12194440e-4f)
#define EXP_P0 1.9875691500E-4f
#define EXP_P1 1.3981999507E-3f
#define EXP_P2 8.3334519073E-3f
#define EXP_P3 4.1665795894E-2f
#define EXP_P4 1.6666665459E-1f
#define EXP_P5 5.0000001201E-1f

#define ERF_ONE 3.925f
#define ERF_Q0 8.043842082333622e-06f
#define ERF_Q1 (-1.0602682432268862e-4f)
#define ERF_Q2 5.879513122800488e-4f
#define ERF_Q3 (-1.5767613061520606e-3f)
#define ERF_Q4 5.878275292585996e-05f
#define ERF_Q5 1.9217142275156997e-2f
#define ERF_Q6 (-1.0279921029232844e-1f)
#define ERF_Q7 (-6.3661610702927e-1f)
#define ERF_Q8 (-1.1283793324896443f)

/* Activation codes of one row whose values lie in [mn, mx] (mn <= 0 <= mx,
 * so that 0 has a code): scale and zero point of q = round(x * inv) + zp in
 * 0..127; one function so that every kernel set codes alike. */
static inline float q8_row_params(float mn, float mx, float *scale, int32_t *zp) {
    float range = mx - mn;
    float inv = range > 0 ? 127.0f / range : 0.0f;
    *scale = range > 0 ? range / 127.0f : 1.0f;
    *zp = (int32_t)nearbyintf(-mn * inv);
    return inv;
}

#endif
