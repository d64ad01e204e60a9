/* kernels_math — the polynomial coefficients behind the kernels' exp and
 * erf, shared by the plain (kernels_plain.c) and SIMD (kernels_simd.h)
 * forms so that both evaluate the very same approximation.
 *
 * exp(x): x = n ln2 + r with n = round(x / ln2) and ln2 split in two
 * (Cody-Waite), exp(r) by Cephes' degree-6 polynomial, times 2^n; 1 ulp
 * relative (measured max 8.2e-8) on [-87.3, 88.4], clamped outside.
 *
 * erf(x): odd; for |x| < ERF_SPLIT, |x| * P(x^2) (degree 5, relative
 * error 1.6e-8); for ERF_SPLIT <= |x| < ERF_ONE, 1 - exp(Q(|x|)) with Q
 * (degree 8) a fit of log erfc (absolute error 8.4e-9 in the exponent);
 * 1 beyond. Fitted by weighted least squares iterated towards minimax on
 * Chebyshev nodes (float64); measured in float32 against libm's double
 * erf over [-7, 7]: max absolute error 1.25e-7, about 2 ulp near 1.
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

#define ERF_SPLIT 0.921875f
#define ERF_ONE 3.925f
#define ERF_S0 (-5.990987636286856e-4f)
#define ERF_S1 4.993211930027441e-3f
#define ERF_S2 (-2.6766643536244777e-2f)
#define ERF_S3 1.1281817198231736e-1f
#define ERF_S4 (-3.7612493846219863e-1f)
#define ERF_S5 1.1283791496255793f
#define ERF_B0 1.6306597139145122e-6f
#define ERF_B1 (-4.589376594381464e-5f)
#define ERF_B2 5.951129166700112e-4f
#define ERF_B3 (-4.750204180750435e-3f)
#define ERF_B4 2.6390253507408888e-2f
#define ERF_B5 (-1.1001827632271138e-1f)
#define ERF_B6 (-6.318996774005515e-1f)
#define ERF_B7 (-1.1301856741436629f)
#define ERF_B8 3.0721291408331144e-4f

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
