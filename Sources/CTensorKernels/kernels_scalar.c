// Portable loops: the compiler vectorizes them for its baseline (SSE2 on x86-64, NEON on arm64).
#include "kernels_internal.h"

// The float32 fraction loop interleaves four vectors: the compiler's two leave it at 0.7 of the scale loop on
// in-cache tensors (float64's choice is already as fast as its scale loop).
void tk_scalar_f32(float *data, size_t count, float slope) {
    if (tk_slope_is_a_fraction(slope)) {
#pragma clang loop vectorize(enable) interleave_count(4)
        for (size_t i = 0; i < count; i++) {
            float x = data[i], product = x * slope;
            data[i] = x > product ? x : product;
        }
        return;
    }
    for (size_t i = 0; i < count; i++) data[i] = tk_leaky_f32(data[i], slope);
}

void tk_scalar_f64(double *data, size_t count, double slope) {
    if (tk_slope_is_a_fraction(slope)) {
        for (size_t i = 0; i < count; i++) {
            double x = data[i], product = x * slope;
            data[i] = x > product ? x : product;
        }
        return;
    }
    for (size_t i = 0; i < count; i++) data[i] = tk_leaky_f64(data[i], slope);
}

void tk_scalar_f16(uint16_t *data, size_t count, float slope) {
    for (size_t i = 0; i < count; i++) data[i] = tk_leaky_f16(data[i], slope);
}

void tk_scalar_bf16(uint16_t *data, size_t count, float slope) {
    // Branch-free, so that the compiler vectorizes it: the product of a bfloat16 has zero lower bits, so rounding
    // needs no NaN case (a NaN comes back quiet with its payload and the rounding cannot carry out of it).
    for (size_t i = 0; i < count; i++) {
        float x = tk_bf16_to_f32(data[i]);
        uint32_t bits = tk_f32_bits(x * slope);
        uint16_t scaled = (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1)) >> 16);
        data[i] = x > 0.0f ? data[i] : scaled;
    }
}

void tk_scalar_f32_swapped(uint32_t *data, size_t count, float slope) {
    for (size_t i = 0; i < count; i++) {
        float x = tk_f32_from_bits(__builtin_bswap32(data[i]));
        data[i] = __builtin_bswap32(tk_f32_bits(tk_leaky_f32(x, slope)));
    }
}

void tk_scalar_f64_swapped(uint64_t *data, size_t count, double slope) {
    for (size_t i = 0; i < count; i++) {
        double x = tk_f64_from_bits(__builtin_bswap64(data[i]));
        data[i] = __builtin_bswap64(tk_f64_bits(tk_leaky_f64(x, slope)));
    }
}

void tk_scalar_f16_swapped(uint16_t *data, size_t count, float slope) {
    for (size_t i = 0; i < count; i++) data[i] = __builtin_bswap16(tk_leaky_f16(__builtin_bswap16(data[i]), slope));
}

void tk_scalar_scale_f32(float *data, size_t count, float factor) {
    for (size_t i = 0; i < count; i++) data[i] *= factor;
}

void tk_scalar_scale_f64(double *data, size_t count, double factor) {
    for (size_t i = 0; i < count; i++) data[i] *= factor;
}

// The benchmark's 16-bit references: widen, multiply, round back.
void tk_scalar_scale_f16(uint16_t *data, size_t count, float factor) {
    for (size_t i = 0; i < count; i++) data[i] = tk_f32_to_f16(tk_f16_to_f32(data[i]) * factor);
}

void tk_scalar_scale_bf16(uint16_t *data, size_t count, float factor) {
    for (size_t i = 0; i < count; i++) data[i] = tk_f32_to_bf16(tk_bf16_to_f32(data[i]) * factor);
}
