// Portable loops: the compiler vectorizes them for its baseline (SSE2 on x86-64, NEON on arm64).
#include "kernels_internal.h"

void tk_scalar_f32(float *data, size_t count, float slope) {
    for (size_t i = 0; i < count; i++) data[i] = tk_leaky_f32(data[i], slope);
}

void tk_scalar_f64(double *data, size_t count, double slope) {
    for (size_t i = 0; i < count; i++) data[i] = tk_leaky_f64(data[i], slope);
}

void tk_scalar_f16(uint16_t *data, size_t count, float slope) {
    for (size_t i = 0; i < count; i++) data[i] = tk_leaky_f16(data[i], slope);
}

void tk_scalar_bf16(uint16_t *data, size_t count, float slope) {
    for (size_t i = 0; i < count; i++) data[i] = tk_leaky_bf16(data[i], slope);
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
