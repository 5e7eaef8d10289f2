#ifndef TK_KERNELS_INTERNAL_H
#define TK_KERNELS_INTERNAL_H

#include "include/CTensorKernels.h"
#include <string.h>

// Bit casts that compile to register moves.
static inline uint32_t tk_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float tk_f32_from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint64_t tk_f64_bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static inline double tk_f64_from_bits(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }

// float16 -> float32, exact (subnormals included; NaN payload kept, as F16C's VCVTPH2PS does).
static inline float tk_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1f;
    uint32_t mantissa = h & 0x3ff;
    if (exponent == 0x1f) return tk_f32_from_bits(sign | 0x7f800000u | (mantissa << 13));
    if (exponent != 0) return tk_f32_from_bits(sign | ((exponent + 112) << 23) | (mantissa << 13));
    // Subnormal or zero: mantissa * 2^-24 is exact in float.
    float magnitude = (float)mantissa * 0x1p-24f;
    return tk_f32_from_bits(sign | tk_f32_bits(magnitude));
}

// float32 -> float16, round to nearest even. NaN keeps its top payload bits and is made quiet, like VCVTPS2PH.
static inline uint16_t tk_f32_to_f16(float f) {
    uint32_t x = tk_f32_bits(f);
    uint32_t sign = (x >> 16) & 0x8000;
    x &= 0x7fffffffu;
    if (x > 0x7f800000u) return (uint16_t)(sign | 0x7e00 | ((x >> 13) & 0x3ff));
    if (x >= 0x477ff000u) return (uint16_t)(sign | 0x7c00); // 65520 and up round to infinity
    if (x < 0x38800000u) {
        // Below 2^-14 the result is subnormal: adding 0.5 lets the FPU round at the 2^-24 position.
        float rounded = tk_f32_from_bits(x) + 0.5f;
        return (uint16_t)(sign | (tk_f32_bits(rounded) - 0x3f000000u));
    }
    uint32_t odd = (x >> 13) & 1;
    x += 0xc8000fffu + odd; // rebias the exponent by -112 and round half to even
    return (uint16_t)(sign | (x >> 13));
}

static inline float tk_bf16_to_f32(uint16_t b) { return tk_f32_from_bits((uint32_t)b << 16); }

// float32 -> bfloat16, round to nearest even; NaN keeps its top payload bits and is made quiet.
static inline uint16_t tk_f32_to_bf16(float f) {
    uint32_t x = tk_f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40);
    x += 0x7fffu + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

// For 0 < slope <= 1, leaky_relu_ is the larger of x and x * slope, written so that it is one multiply and one
// "x > y ? x : y", which x86 computes with a single MAXPS/MAXPD: it returns the second operand when either is NaN
// or both are equal, so a NaN comes back as x * slope (quiet, payload kept) and ±0 and exact products as the
// product, bit for bit what x > 0 ? x : x * slope gives (for x > 0, x * slope <= x; for x < 0, x * slope >= x).
static inline int tk_slope_is_a_fraction(double slope) { return slope > 0.0 && slope <= 1.0; }

static inline float tk_leaky_f32(float x, float slope) { return x > 0.0f ? x : x * slope; }
static inline double tk_leaky_f64(double x, double slope) { return x > 0.0 ? x : x * slope; }
static inline uint16_t tk_leaky_f16(uint16_t h, float slope) {
    float x = tk_f16_to_f32(h);
    return x > 0.0f ? h : tk_f32_to_f16(x * slope);
}
static inline uint16_t tk_leaky_bf16(uint16_t b, float slope) {
    float x = tk_bf16_to_f32(b);
    return x > 0.0f ? b : tk_f32_to_bf16(x * slope);
}

// Per-path entry points; each file is compiled with its own target attributes.
void tk_scalar_f32(float *, size_t, float);
void tk_scalar_f64(double *, size_t, double);
void tk_scalar_f16(uint16_t *, size_t, float);
void tk_scalar_bf16(uint16_t *, size_t, float);
void tk_scalar_f32_swapped(uint32_t *, size_t, float);
void tk_scalar_f64_swapped(uint64_t *, size_t, double);
void tk_scalar_f16_swapped(uint16_t *, size_t, float);
void tk_scalar_scale_f32(float *, size_t, float);
void tk_scalar_scale_f64(double *, size_t, double);
void tk_scalar_scale_f16(uint16_t *, size_t, float);
void tk_scalar_scale_bf16(uint16_t *, size_t, float);

#if defined(__x86_64__)
void tk_avx2_f32(float *, size_t, float);
void tk_avx2_f64(double *, size_t, double);
void tk_avx2_f16(uint16_t *, size_t, float);
void tk_avx2_bf16(uint16_t *, size_t, float);
void tk_avx2_scale_f32(float *, size_t, float);
void tk_avx2_scale_f64(double *, size_t, double);
void tk_avx2_scale_f16(uint16_t *, size_t, float);
void tk_avx2_scale_bf16(uint16_t *, size_t, float);

void tk_avx512_f32(float *, size_t, float);
void tk_avx512_f64(double *, size_t, double);
void tk_avx512_f16(uint16_t *, size_t, float);
void tk_avx512_bf16(uint16_t *, size_t, float);
void tk_avx512_f32_swapped(uint32_t *, size_t, float);
void tk_avx512_f64_swapped(uint64_t *, size_t, double);
void tk_avx512_f16_swapped(uint16_t *, size_t, float);
void tk_avx512_scale_f32(float *, size_t, float);
void tk_avx512_scale_f64(double *, size_t, double);
void tk_avx512_scale_f16(uint16_t *, size_t, float);
void tk_avx512_scale_bf16(uint16_t *, size_t, float);
#endif

#endif
