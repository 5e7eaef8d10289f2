#ifndef CTENSORKERNELS_H
#define CTENSORKERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/// Vector instruction sets a kernel can be built for. The dispatcher picks the best one the CPU and OS support.
typedef enum {
    TK_PATH_SCALAR = 0, ///< portable C (the compiler's baseline vectors: SSE2 on x86-64, NEON on arm64)
    TK_PATH_AVX2 = 1,   ///< AVX2 + F16C
    TK_PATH_AVX512 = 2, ///< AVX-512 F, BW, VL
} tk_path;

/// True when this CPU and OS can run `path`.
bool tk_path_supported(tk_path path);

/// The fastest supported path.
tk_path tk_best_path(void);

/// leaky_relu_ in place over `count` little-endian elements starting at `data` (any alignment).
/// float16 and bfloat16 are widened to float, multiplied by `slope` and rounded once, to nearest even.
/// A path the CPU does not support falls back to the best one that it does.
void tk_leaky_relu_f32(tk_path path, float *data, size_t count, float slope);
void tk_leaky_relu_f64(tk_path path, double *data, size_t count, double slope);
void tk_leaky_relu_f16(tk_path path, uint16_t *data, size_t count, float slope);
void tk_leaky_relu_bf16(tk_path path, uint16_t *data, size_t count, float slope);

/// The same over byte-swapped (big-endian) elements: swap, compute and swap back in one pass.
void tk_leaky_relu_f32_swapped(tk_path path, uint32_t *data, size_t count, float slope);
void tk_leaky_relu_f64_swapped(tk_path path, uint64_t *data, size_t count, double slope);
void tk_leaky_relu_f16_swapped(tk_path path, uint16_t *data, size_t count, float slope);

/// `data[i] *= factor`: the benchmark's reference loop, same footprint and traffic as the kernel, one multiply.
void tk_scale_f32(tk_path path, float *data, size_t count, float factor);
void tk_scale_f64(tk_path path, double *data, size_t count, double factor);
/// float16 and bfloat16 widened, multiplied by `factor` and rounded back: the plain loop for the path, to which the
/// benchmark compares the 16-bit kernels (which do that and keep their positive lanes).
void tk_scale_f16(tk_path path, uint16_t *data, size_t count, float factor);
void tk_scale_bf16(tk_path path, uint16_t *data, size_t count, float factor);

#endif
