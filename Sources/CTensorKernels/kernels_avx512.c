// AVX-512 loops: 16 floats or 8 doubles per vector, unrolled four times, with a masked tail instead of a scalar one.
#include "kernels_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TK_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))

TK_AVX512 static inline __m512 leaky16(__m512 x, __m512 slope) {
    __mmask16 positive = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
    return _mm512_mask_mov_ps(_mm512_mul_ps(x, slope), positive, x);
}

TK_AVX512 static inline __m512d leaky8d(__m512d x, __m512d slope) {
    __mmask8 positive = _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GT_OQ);
    return _mm512_mask_mov_pd(_mm512_mul_pd(x, slope), positive, x);
}

TK_AVX512 static inline __mmask16 tail16(size_t remaining) { return (__mmask16)((1u << remaining) - 1); }
TK_AVX512 static inline __mmask8 tail8(size_t remaining) { return (__mmask8)((1u << remaining) - 1); }

// 0 < slope <= 1: max(x, x * slope), operands in that order (see tk_slope_is_a_fraction): two operations where
// the general form takes three (compare, multiply, masked move), which decides the speed of in-cache tensors.
TK_AVX512 static inline __m512 leaky16_fraction(__m512 x, __m512 slope) { return _mm512_max_ps(x, _mm512_mul_ps(x, slope)); }
TK_AVX512 static inline __m512d leaky8d_fraction(__m512d x, __m512d slope) { return _mm512_max_pd(x, _mm512_mul_pd(x, slope)); }

// One unrolled loop for both cases; `fraction` is a constant at each call, so each call compiles to its own loop.
TK_AVX512 static inline __attribute__((always_inline)) void avx512_f32_loop(float *data, size_t count, float slope, int fraction) {
    __m512 s = _mm512_set1_ps(slope);
    size_t i = 0;
    for (; i + 64 <= count; i += 64) {
        __m512 a = _mm512_loadu_ps(data + i), b = _mm512_loadu_ps(data + i + 16);
        __m512 c = _mm512_loadu_ps(data + i + 32), d = _mm512_loadu_ps(data + i + 48);
        _mm512_storeu_ps(data + i, fraction ? leaky16_fraction(a, s) : leaky16(a, s));
        _mm512_storeu_ps(data + i + 16, fraction ? leaky16_fraction(b, s) : leaky16(b, s));
        _mm512_storeu_ps(data + i + 32, fraction ? leaky16_fraction(c, s) : leaky16(c, s));
        _mm512_storeu_ps(data + i + 48, fraction ? leaky16_fraction(d, s) : leaky16(d, s));
    }
    for (; i + 16 <= count; i += 16) {
        __m512 x = _mm512_loadu_ps(data + i);
        _mm512_storeu_ps(data + i, fraction ? leaky16_fraction(x, s) : leaky16(x, s));
    }
    if (i < count) {
        __mmask16 m = tail16(count - i);
        __m512 x = _mm512_maskz_loadu_ps(m, data + i);
        _mm512_mask_storeu_ps(data + i, m, fraction ? leaky16_fraction(x, s) : leaky16(x, s));
    }
}

TK_AVX512 void tk_avx512_f32(float *data, size_t count, float slope) {
    if (tk_slope_is_a_fraction(slope)) {
        avx512_f32_loop(data, count, slope, 1);
    } else {
        avx512_f32_loop(data, count, slope, 0);
    }
}

TK_AVX512 static inline __attribute__((always_inline)) void avx512_f64_loop(double *data, size_t count, double slope, int fraction) {
    __m512d s = _mm512_set1_pd(slope);
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        __m512d a = _mm512_loadu_pd(data + i), b = _mm512_loadu_pd(data + i + 8);
        __m512d c = _mm512_loadu_pd(data + i + 16), d = _mm512_loadu_pd(data + i + 24);
        _mm512_storeu_pd(data + i, fraction ? leaky8d_fraction(a, s) : leaky8d(a, s));
        _mm512_storeu_pd(data + i + 8, fraction ? leaky8d_fraction(b, s) : leaky8d(b, s));
        _mm512_storeu_pd(data + i + 16, fraction ? leaky8d_fraction(c, s) : leaky8d(c, s));
        _mm512_storeu_pd(data + i + 24, fraction ? leaky8d_fraction(d, s) : leaky8d(d, s));
    }
    for (; i + 8 <= count; i += 8) {
        __m512d x = _mm512_loadu_pd(data + i);
        _mm512_storeu_pd(data + i, fraction ? leaky8d_fraction(x, s) : leaky8d(x, s));
    }
    if (i < count) {
        __mmask8 m = tail8(count - i);
        __m512d x = _mm512_maskz_loadu_pd(m, data + i);
        _mm512_mask_storeu_pd(data + i, m, fraction ? leaky8d_fraction(x, s) : leaky8d(x, s));
    }
}

TK_AVX512 void tk_avx512_f64(double *data, size_t count, double slope) {
    if (tk_slope_is_a_fraction(slope)) {
        avx512_f64_loop(data, count, slope, 1);
    } else {
        avx512_f64_loop(data, count, slope, 0);
    }
}

// 16 float16 lanes: widen, multiply only the lanes that are not positive (a merge-masked multiply), narrow with
// round-to-nearest-even. A positive lane passes through unchanged: widening and narrowing back is exact, so no
// separate blend with the input is needed. Which lanes are positive is read from the bits, on the integer side:
// 0x0001...0x7C00 (up to +infinity) are exactly the patterns above zero, so `bits - 1` below 0x7C00 unsigned.
TK_AVX512 static inline __m256i leaky_f16x16(__m256i raw, __m512 slope) {
    __m512 x = _mm512_cvtph_ps(raw);
    __mmask16 not_positive = _mm256_cmpge_epu16_mask(_mm256_sub_epi16(raw, _mm256_set1_epi16(1)), _mm256_set1_epi16(0x7C00));
    return _mm512_cvtps_ph(_mm512_mask_mul_ps(x, not_positive, x, slope), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

TK_AVX512 void tk_avx512_f16(uint16_t *data, size_t count, float slope) {
    __m512 s = _mm512_set1_ps(slope);
    size_t i = 0;
    for (; i + 64 <= count; i += 64) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(data + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(data + i + 16));
        __m256i c = _mm256_loadu_si256((const __m256i *)(data + i + 32));
        __m256i d = _mm256_loadu_si256((const __m256i *)(data + i + 48));
        _mm256_storeu_si256((__m256i *)(data + i), leaky_f16x16(a, s));
        _mm256_storeu_si256((__m256i *)(data + i + 16), leaky_f16x16(b, s));
        _mm256_storeu_si256((__m256i *)(data + i + 32), leaky_f16x16(c, s));
        _mm256_storeu_si256((__m256i *)(data + i + 48), leaky_f16x16(d, s));
    }
    for (; i < count; i += 16) {
        __mmask16 m = count - i >= 16 ? (__mmask16)0xffff : tail16(count - i);
        __m256i raw = _mm256_maskz_loadu_epi16(m, data + i);
        _mm256_mask_storeu_epi16(data + i, m, leaky_f16x16(raw, s));
    }
}

// float32 -> bfloat16 with integer round-to-nearest-even. VCVTNEPS2BF16 is not used: it flushes subnormals.
TK_AVX512 static inline __m256i f32_to_bf16x16(__m512 y) {
    __m512i bits = _mm512_castps_si512(y);
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
    __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(bits, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7fff))), 16);
    __mmask16 is_nan = _mm512_cmp_ps_mask(y, y, _CMP_UNORD_Q);
    __m512i quiet_nan = _mm512_or_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(0x40));
    return _mm512_cvtepi32_epi16(_mm512_mask_mov_epi32(rounded, is_nan, quiet_nan));
}

TK_AVX512 static inline __m256i leaky_bf16x16(__m256i raw, __m512 slope) {
    __m512 x = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(raw), 16));
    __mmask16 positive = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
    return _mm256_mask_mov_epi16(f32_to_bf16x16(_mm512_mul_ps(x, slope)), positive, raw);
}

// One half of 32 bfloat16 lanes held as float32 (value in the upper 16 bits): compute, keep positives, and round
// to nearest even in place, leaving the bfloat16 result in the upper half.
TK_AVX512 static inline __m512i leaky_bf16_half(__m512i x_bits, __m512 slope) {
    __m512 x = _mm512_castsi512_ps(x_bits);
    // Positive lanes keep x: its lower 16 bits are zero, so the rounding below leaves them unchanged.
    __mmask16 not_positive = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_NGT_UQ);
    __m512 y = _mm512_mask_mul_ps(x, not_positive, x, slope);
    __m512i bits = _mm512_castps_si512(y);
    __mmask16 odd = _mm512_test_epi32_mask(bits, _mm512_set1_epi32(0x10000));
    __m512i rounded = _mm512_add_epi32(bits, _mm512_set1_epi32(0x7fff));
    // No NaN case: a product of a bfloat16 has zero lower bits (a NaN comes back quieted with its payload; infinity
    // × 0 is the default NaN), so the rounding cannot carry into the upper half and leaves a NaN as it is.
    return _mm512_mask_add_epi32(rounded, odd, rounded, _mm512_set1_epi32(1));
}

// 32 bfloat16 lanes without any shuffle: even lanes become floats by a shift, odd lanes by a mask, since a
// bfloat16 is the upper half of a float32.
TK_AVX512 static inline __m512i leaky_bf16x32(__m512i raw, __m512 slope) {
    __m512i even = leaky_bf16_half(_mm512_slli_epi32(raw, 16), slope);
    __m512i odd = leaky_bf16_half(_mm512_and_si512(raw, _mm512_set1_epi32((int)0xffff0000)), slope);
    // (odd & 0xffff0000) | (even >> 16)
    return _mm512_ternarylogic_epi32(odd, _mm512_srli_epi32(even, 16), _mm512_set1_epi32((int)0xffff0000), 0xEC);
}

TK_AVX512 void tk_avx512_bf16(uint16_t *data, size_t count, float slope) {
    __m512 s = _mm512_set1_ps(slope);
    size_t i = 0;
    for (; i + 64 <= count; i += 64) {
        __m512i a = _mm512_loadu_si512((const void *)(data + i));
        __m512i b = _mm512_loadu_si512((const void *)(data + i + 32));
        _mm512_storeu_si512((void *)(data + i), leaky_bf16x32(a, s));
        _mm512_storeu_si512((void *)(data + i + 32), leaky_bf16x32(b, s));
    }
    for (; i < count; i += 16) {
        __mmask16 m = count - i >= 16 ? (__mmask16)0xffff : tail16(count - i);
        __m256i raw = _mm256_maskz_loadu_epi16(m, data + i);
        _mm256_mask_storeu_epi16(data + i, m, leaky_bf16x16(raw, s));
    }
}

// Byte-swapped variants for big-endian .npy: one shuffle in, one shuffle out, same arithmetic.
TK_AVX512 static inline __m512i swap_bytes(__m512i v, __m512i pattern) { return _mm512_shuffle_epi8(v, pattern); }

TK_AVX512 static inline __m512i swap32_pattern(void) {
    return _mm512_set4_epi32(0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203);
}

TK_AVX512 void tk_avx512_f32_swapped(uint32_t *data, size_t count, float slope) {
    __m512 s = _mm512_set1_ps(slope);
    __m512i p = swap32_pattern();
    for (size_t i = 0; i < count; i += 16) {
        __mmask16 m = count - i >= 16 ? (__mmask16)0xffff : tail16(count - i);
        __m512 x = _mm512_castsi512_ps(swap_bytes(_mm512_maskz_loadu_epi32(m, data + i), p));
        _mm512_mask_storeu_epi32(data + i, m, swap_bytes(_mm512_castps_si512(leaky16(x, s)), p));
    }
}

TK_AVX512 void tk_avx512_f64_swapped(uint64_t *data, size_t count, double slope) {
    __m512d s = _mm512_set1_pd(slope);
    __m512i p = _mm512_set4_epi32(0x08090a0b, 0x0c0d0e0f, 0x00010203, 0x04050607);
    for (size_t i = 0; i < count; i += 8) {
        __mmask8 m = count - i >= 8 ? (__mmask8)0xff : tail8(count - i);
        __m512d x = _mm512_castsi512_pd(swap_bytes(_mm512_maskz_loadu_epi64(m, data + i), p));
        _mm512_mask_storeu_epi64(data + i, m, swap_bytes(_mm512_castpd_si512(leaky8d(x, s)), p));
    }
}

TK_AVX512 void tk_avx512_f16_swapped(uint16_t *data, size_t count, float slope) {
    __m512 s = _mm512_set1_ps(slope);
    __m256i p = _mm256_set_epi8(14, 15, 12, 13, 10, 11, 8, 9, 6, 7, 4, 5, 2, 3, 0, 1,
                                14, 15, 12, 13, 10, 11, 8, 9, 6, 7, 4, 5, 2, 3, 0, 1);
    for (size_t i = 0; i < count; i += 16) {
        __mmask16 m = count - i >= 16 ? (__mmask16)0xffff : tail16(count - i);
        __m256i raw = _mm256_shuffle_epi8(_mm256_maskz_loadu_epi16(m, data + i), p);
        _mm256_mask_storeu_epi16(data + i, m, _mm256_shuffle_epi8(leaky_f16x16(raw, s), p));
    }
}

TK_AVX512 void tk_avx512_scale_f32(float *data, size_t count, float factor) {
    __m512 s = _mm512_set1_ps(factor);
    size_t i = 0;
    for (; i + 64 <= count; i += 64) {
        __m512 a = _mm512_loadu_ps(data + i), b = _mm512_loadu_ps(data + i + 16);
        __m512 c = _mm512_loadu_ps(data + i + 32), d = _mm512_loadu_ps(data + i + 48);
        _mm512_storeu_ps(data + i, _mm512_mul_ps(a, s));
        _mm512_storeu_ps(data + i + 16, _mm512_mul_ps(b, s));
        _mm512_storeu_ps(data + i + 32, _mm512_mul_ps(c, s));
        _mm512_storeu_ps(data + i + 48, _mm512_mul_ps(d, s));
    }
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(data + i, _mm512_mul_ps(_mm512_loadu_ps(data + i), s));
    if (i < count) {
        __mmask16 m = tail16(count - i);
        _mm512_mask_storeu_ps(data + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, data + i), s));
    }
}

TK_AVX512 void tk_avx512_scale_f64(double *data, size_t count, double factor) {
    __m512d s = _mm512_set1_pd(factor);
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        __m512d a = _mm512_loadu_pd(data + i), b = _mm512_loadu_pd(data + i + 8);
        __m512d c = _mm512_loadu_pd(data + i + 16), d = _mm512_loadu_pd(data + i + 24);
        _mm512_storeu_pd(data + i, _mm512_mul_pd(a, s));
        _mm512_storeu_pd(data + i + 8, _mm512_mul_pd(b, s));
        _mm512_storeu_pd(data + i + 16, _mm512_mul_pd(c, s));
        _mm512_storeu_pd(data + i + 24, _mm512_mul_pd(d, s));
    }
    for (; i + 8 <= count; i += 8) _mm512_storeu_pd(data + i, _mm512_mul_pd(_mm512_loadu_pd(data + i), s));
    if (i < count) {
        __mmask8 m = tail8(count - i);
        _mm512_mask_storeu_pd(data + i, m, _mm512_mul_pd(_mm512_maskz_loadu_pd(m, data + i), s));
    }
}
// The benchmark's 16-bit references, written the plain way for AVX-512: widen, multiply, round back, 32 per
// iteration, nothing kept or compared.
TK_AVX512 void tk_avx512_scale_f16(uint16_t *data, size_t count, float factor) {
    __m512 s = _mm512_set1_ps(factor);
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        for (size_t j = 0; j < 32; j += 16) {
            __m512 x = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(data + i + j)));
            _mm256_storeu_si256((__m256i *)(data + i + j),
                                _mm512_cvtps_ph(_mm512_mul_ps(x, s), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        }
    }
    for (; i < count; i++) data[i] = tk_f32_to_f16(tk_f16_to_f32(data[i]) * factor);
}

TK_AVX512 void tk_avx512_scale_bf16(uint16_t *data, size_t count, float factor) {
    __m512 s = _mm512_set1_ps(factor);
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        for (size_t j = 0; j < 32; j += 16) {
            __m512i wide = _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(data + i + j))), 16);
            __m512 y = _mm512_mul_ps(_mm512_castsi512_ps(wide), s);
            __m512i bits = _mm512_castps_si512(y);
            __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
            __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(bits, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7fff))), 16);
            __m512i quiet_nan = _mm512_or_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(0x40));
            __m512i result = _mm512_mask_blend_epi32(_mm512_cmp_ps_mask(y, y, _CMP_UNORD_Q), rounded, quiet_nan);
            _mm256_storeu_si256((__m256i *)(data + i + j), _mm512_cvtepi32_epi16(result));
        }
    }
    for (; i < count; i++) data[i] = tk_f32_to_bf16(tk_bf16_to_f32(data[i]) * factor);
}
#endif
