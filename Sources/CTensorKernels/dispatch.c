// Runtime CPU dispatch: the binary targets baseline x86-64 and picks the widest path the CPU and OS enable.
#include "kernels_internal.h"

#if defined(__x86_64__)
#include <cpuid.h>

static uint64_t read_xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

static int detect(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return TK_PATH_SCALAR;
    int has_osxsave = (c >> 27) & 1, has_avx = (c >> 28) & 1, has_f16c = (c >> 29) & 1;
    if (!has_osxsave || !has_avx || !has_f16c) return TK_PATH_SCALAR;
    uint64_t xcr0 = read_xcr0();
    if ((xcr0 & 0x6) != 0x6) return TK_PATH_SCALAR; // the OS saves XMM and YMM state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return TK_PATH_SCALAR;
    int has_avx2 = (b >> 5) & 1;
    int has_avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1); // F, DQ, BW, VL
    if (has_avx512 && (xcr0 & 0xe6) == 0xe6) return TK_PATH_AVX512; // and opmask + ZMM state
    return has_avx2 ? TK_PATH_AVX2 : TK_PATH_SCALAR;
}
#else
static int detect(void) { return TK_PATH_SCALAR; }
#endif

static int best_path = -1;

tk_path tk_best_path(void) {
    // A benign race: every thread computes the same value.
    int path = __atomic_load_n(&best_path, __ATOMIC_RELAXED);
    if (path < 0) {
        path = detect();
        __atomic_store_n(&best_path, path, __ATOMIC_RELAXED);
    }
    return (tk_path)path;
}

bool tk_path_supported(tk_path path) { return (int)path <= (int)tk_best_path(); }

static tk_path usable(tk_path path) { return tk_path_supported(path) ? path : tk_best_path(); }

#if defined(__x86_64__)
#define TK_DISPATCH(path, scalar, avx2, avx512, ...) \
    switch (usable(path)) { \
    case TK_PATH_AVX512: avx512(__VA_ARGS__); return; \
    case TK_PATH_AVX2: avx2(__VA_ARGS__); return; \
    default: scalar(__VA_ARGS__); return; \
    }
#else
#define TK_DISPATCH(path, scalar, avx2, avx512, ...) scalar(__VA_ARGS__);
#endif

void tk_leaky_relu_f32(tk_path path, float *data, size_t count, float slope) {
    TK_DISPATCH(path, tk_scalar_f32, tk_avx2_f32, tk_avx512_f32, data, count, slope)
}
void tk_leaky_relu_f64(tk_path path, double *data, size_t count, double slope) {
    TK_DISPATCH(path, tk_scalar_f64, tk_avx2_f64, tk_avx512_f64, data, count, slope)
}
void tk_leaky_relu_f16(tk_path path, uint16_t *data, size_t count, float slope) {
    TK_DISPATCH(path, tk_scalar_f16, tk_avx2_f16, tk_avx512_f16, data, count, slope)
}
void tk_leaky_relu_bf16(tk_path path, uint16_t *data, size_t count, float slope) {
    TK_DISPATCH(path, tk_scalar_bf16, tk_avx2_bf16, tk_avx512_bf16, data, count, slope)
}
// The AVX2 path has no swapped loops of its own; the portable loop vectorizes the byte swaps well enough there.
void tk_leaky_relu_f32_swapped(tk_path path, uint32_t *data, size_t count, float slope) {
    TK_DISPATCH(path, tk_scalar_f32_swapped, tk_scalar_f32_swapped, tk_avx512_f32_swapped, data, count, slope)
}
void tk_leaky_relu_f64_swapped(tk_path path, uint64_t *data, size_t count, double slope) {
    TK_DISPATCH(path, tk_scalar_f64_swapped, tk_scalar_f64_swapped, tk_avx512_f64_swapped, data, count, slope)
}
void tk_leaky_relu_f16_swapped(tk_path path, uint16_t *data, size_t count, float slope) {
    TK_DISPATCH(path, tk_scalar_f16_swapped, tk_scalar_f16_swapped, tk_avx512_f16_swapped, data, count, slope)
}
void tk_scale_f32(tk_path path, float *data, size_t count, float factor) {
    TK_DISPATCH(path, tk_scalar_scale_f32, tk_avx2_scale_f32, tk_avx512_scale_f32, data, count, factor)
}
void tk_scale_f64(tk_path path, double *data, size_t count, double factor) {
    TK_DISPATCH(path, tk_scalar_scale_f64, tk_avx2_scale_f64, tk_avx512_scale_f64, data, count, factor)
}
void tk_scale_f16(tk_path path, uint16_t *data, size_t count, float factor) {
    TK_DISPATCH(path, tk_scalar_scale_f16, tk_avx2_scale_f16, tk_avx512_scale_f16, data, count, factor)
}
void tk_scale_bf16(tk_path path, uint16_t *data, size_t count, float factor) {
    TK_DISPATCH(path, tk_scalar_scale_bf16, tk_avx2_scale_bf16, tk_avx512_scale_bf16, data, count, factor)
}
