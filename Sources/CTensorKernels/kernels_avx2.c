// AVX2 + F16C loops: 8 floats, 4 doubles or 16 halves per vector, unrolled, scalar tails.
#include "kernels_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TK_AVX2 __attribute__((target("avx2,f16c")))

TK_AVX2 static inline __m256 leaky8(__m256 x, __m256 slope) {
    __m256 positive = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ);
    return _mm256_blendv_ps(_mm256_mul_ps(x, slope), x, positive);
}

// 0 < slope <= 1: max(x, x * slope), operands in that order (see tk_slope_is_a_fraction): two operations.
TK_AVX2 static inline __m256 leaky8_fraction(__m256 x, __m256 slope) { return _mm256_max_ps(x, _mm256_mul_ps(x, slope)); }

// One unrolled loop for both cases; `fraction` is a constant at each call, so each call compiles to its own loop.
TK_AVX2 static inline __attribute__((always_inline)) void avx2_f32_loop(float *data, size_t count, float slope, int fraction) {
    __m256 s = _mm256_set1_ps(slope);
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        // All four loaded before any is stored, as in the scale loop: the stores cannot hold the loads back.
        __m256 a = _mm256_loadu_ps(data + i), b = _mm256_loadu_ps(data + i + 8);
        __m256 c = _mm256_loadu_ps(data + i + 16), d = _mm256_loadu_ps(data + i + 24);
        _mm256_storeu_ps(data + i, fraction ? leaky8_fraction(a, s) : leaky8(a, s));
        _mm256_storeu_ps(data + i + 8, fraction ? leaky8_fraction(b, s) : leaky8(b, s));
        _mm256_storeu_ps(data + i + 16, fraction ? leaky8_fraction(c, s) : leaky8(c, s));
        _mm256_storeu_ps(data + i + 24, fraction ? leaky8_fraction(d, s) : leaky8(d, s));
    }
    for (; i + 8 <= count; i += 8) {
        __m256 x = _mm256_loadu_ps(data + i);
        _mm256_storeu_ps(data + i, fraction ? leaky8_fraction(x, s) : leaky8(x, s));
    }
    for (; i < count; i++) data[i] = tk_leaky_f32(data[i], slope);
}

TK_AVX2 void tk_avx2_f32(float *data, size_t count, float slope) {
    if (tk_slope_is_a_fraction(slope)) {
        avx2_f32_loop(data, count, slope, 1);
    } else {
        avx2_f32_loop(data, count, slope, 0);
    }
}

TK_AVX2 static inline __m256d leaky4d(__m256d x, __m256d slope) {
    __m256d positive = _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_GT_OQ);
    return _mm256_blendv_pd(_mm256_mul_pd(x, slope), x, positive);
}

TK_AVX2 static inline __m256d leaky4d_fraction(__m256d x, __m256d slope) { return _mm256_max_pd(x, _mm256_mul_pd(x, slope)); }

TK_AVX2 static inline __attribute__((always_inline)) void avx2_f64_loop(double *data, size_t count, double slope, int fraction) {
    __m256d s = _mm256_set1_pd(slope);
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m256d a = _mm256_loadu_pd(data + i), b = _mm256_loadu_pd(data + i + 4);
        __m256d c = _mm256_loadu_pd(data + i + 8), d = _mm256_loadu_pd(data + i + 12);
        _mm256_storeu_pd(data + i, fraction ? leaky4d_fraction(a, s) : leaky4d(a, s));
        _mm256_storeu_pd(data + i + 4, fraction ? leaky4d_fraction(b, s) : leaky4d(b, s));
        _mm256_storeu_pd(data + i + 8, fraction ? leaky4d_fraction(c, s) : leaky4d(c, s));
        _mm256_storeu_pd(data + i + 12, fraction ? leaky4d_fraction(d, s) : leaky4d(d, s));
    }
    for (; i + 4 <= count; i += 4) {
        __m256d x = _mm256_loadu_pd(data + i);
        _mm256_storeu_pd(data + i, fraction ? leaky4d_fraction(x, s) : leaky4d(x, s));
    }
    for (; i < count; i++) data[i] = tk_leaky_f64(data[i], slope);
}

TK_AVX2 void tk_avx2_f64(double *data, size_t count, double slope) {
    if (tk_slope_is_a_fraction(slope)) {
        avx2_f64_loop(data, count, slope, 1);
    } else {
        avx2_f64_loop(data, count, slope, 0);
    }
}

// Which 16 lanes keep their input: x > 0 exactly when the bits, read as int16, lie in 1 ... +infinity's pattern
// (above it are the NaNs; the negative ones carry the sign). An integer compare on all 16 lanes at once, instead
// of a float compare per 8 lanes narrowed to 16 bits.
TK_AVX2 static inline __m256i positive16(__m256i raw, short infinity) {
    return _mm256_and_si256(_mm256_cmpgt_epi16(raw, _mm256_setzero_si256()),
                            _mm256_cmpgt_epi16(_mm256_set1_epi16((short)(infinity + 1)), raw));
}

#define TK_F16_ROUND (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

// 16 float16 lanes: both halves widened by F16C, scaled, narrowed with one rounding, positives kept. With
// 0 < slope <= 1 the positives are kept by max(x, x * slope) before narrowing, as for float32 (a float16 narrows
// back to itself), which saves the compare and the blend.
TK_AVX2 static inline __m128i leaky8_f16(__m128i raw, __m256 slope, int fraction) {
    __m256 x = _mm256_cvtph_ps(raw);
    return _mm256_cvtps_ph(fraction ? leaky8_fraction(x, slope) : _mm256_mul_ps(x, slope), TK_F16_ROUND);
}

TK_AVX2 static inline __m256i leaky16_f16(__m256i raw, __m256 slope, int fraction) {
    __m128i low = leaky8_f16(_mm256_castsi256_si128(raw), slope, fraction);
    __m128i high = leaky8_f16(_mm256_extracti128_si256(raw, 1), slope, fraction);
    __m256i result = _mm256_inserti128_si256(_mm256_castsi128_si256(low), high, 1);
    return fraction ? result : _mm256_blendv_epi8(result, raw, positive16(raw, 0x7c00));
}

TK_AVX2 static inline __attribute__((always_inline)) void avx2_f16_loop(uint16_t *data, size_t count, float slope, int fraction) {
    __m256 s = _mm256_set1_ps(slope);
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(data + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(data + i + 16));
        _mm256_storeu_si256((__m256i *)(data + i), leaky16_f16(a, s, fraction));
        _mm256_storeu_si256((__m256i *)(data + i + 16), leaky16_f16(b, s, fraction));
    }
    for (; i + 16 <= count; i += 16) {
        _mm256_storeu_si256((__m256i *)(data + i), leaky16_f16(_mm256_loadu_si256((const __m256i *)(data + i)), s, fraction));
    }
    for (; i < count; i++) data[i] = tk_leaky_f16(data[i], slope);
}

TK_AVX2 void tk_avx2_f16(uint16_t *data, size_t count, float slope) {
    if (tk_slope_is_a_fraction(slope)) {
        avx2_f16_loop(data, count, slope, 1);
    } else {
        avx2_f16_loop(data, count, slope, 0);
    }
}

// float32 lanes (as bits) to bfloat16 in the low 16 bits of each 32-bit lane: round to nearest even, NaN quieted
// with its top payload bits kept.
TK_AVX2 static inline __m256i f32_to_bf16_lanes(__m256 y) {
    __m256i bits = _mm256_castps_si256(y);
    __m256i odd = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
    __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(bits, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7fff))), 16);
    __m256i quiet_nan = _mm256_or_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(0x40));
    __m256i is_nan = _mm256_castps_si256(_mm256_cmp_ps(y, y, _CMP_UNORD_Q));
    return _mm256_blendv_epi8(rounded, quiet_nan, is_nan);
}

// 16 bfloat16 lanes, as float32 in two vectors without shuffles: the even elements shifted up a half, the odd ones
// with their neighbours masked off. With 0 < slope <= 1, max(x, x * slope) keeps the positives (a bfloat16 is its
// own rounding), as for float32; otherwise a blend does. Each result y is rounded to its upper half in 16-bit lanes:
// the upper halves of both vectors are brought together into one, the lower halves into another, and an upper half
// goes up by one when lower + 0x7fff + (upper & 1) carries, that is when (int16)(lower ^ 0x8000) > -(upper & 1):
// one compare for 16 lanes where rounding each 32-bit lane takes five operations per 8. A NaN (quiet, its payload
// in the upper half, the lower half zero) never carries; 0x7f7f carrying becomes infinity, as rounding does.
TK_AVX2 static inline __m256 leaky8_bf16_wide(__m256 x, __m256 slope, int fraction) {
    return fraction ? leaky8_fraction(x, slope) : _mm256_mul_ps(x, slope);
}

TK_AVX2 static inline __m256i leaky16_bf16(__m256i raw, __m256 slope, int fraction) {
    __m256 even = _mm256_castsi256_ps(_mm256_slli_epi32(raw, 16));
    __m256 odd = _mm256_castsi256_ps(_mm256_and_si256(raw, _mm256_set1_epi32((int)0xFFFF0000u)));
    __m256i even_result = _mm256_castps_si256(leaky8_bf16_wide(even, slope, fraction));
    __m256i odd_result = _mm256_castps_si256(leaky8_bf16_wide(odd, slope, fraction));
    __m256i upper = _mm256_blend_epi16(_mm256_srli_epi32(even_result, 16), odd_result, 0xAA);
    __m256i lower = _mm256_blend_epi16(even_result, _mm256_slli_epi32(odd_result, 16), 0xAA);
    __m256i minus_odd = _mm256_sub_epi16(_mm256_setzero_si256(), _mm256_and_si256(upper, _mm256_set1_epi16(1)));
    __m256i carries = _mm256_cmpgt_epi16(_mm256_xor_si256(lower, _mm256_set1_epi16((short)0x8000)), minus_odd);
    __m256i result = _mm256_sub_epi16(upper, carries);  // a carry lane is -1
    return fraction ? result : _mm256_blendv_epi8(result, raw, positive16(raw, 0x7f80));
}

TK_AVX2 static inline __attribute__((always_inline)) void avx2_bf16_loop(uint16_t *data, size_t count, float slope, int fraction) {
    __m256 s = _mm256_set1_ps(slope);
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(data + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(data + i + 16));
        _mm256_storeu_si256((__m256i *)(data + i), leaky16_bf16(a, s, fraction));
        _mm256_storeu_si256((__m256i *)(data + i + 16), leaky16_bf16(b, s, fraction));
    }
    for (; i + 16 <= count; i += 16) {
        _mm256_storeu_si256((__m256i *)(data + i), leaky16_bf16(_mm256_loadu_si256((const __m256i *)(data + i)), s, fraction));
    }
    for (; i < count; i++) data[i] = tk_leaky_bf16(data[i], slope);
}

TK_AVX2 void tk_avx2_bf16(uint16_t *data, size_t count, float slope) {
    if (tk_slope_is_a_fraction(slope)) {
        avx2_bf16_loop(data, count, slope, 1);
    } else {
        avx2_bf16_loop(data, count, slope, 0);
    }
}

// The benchmark's 16-bit references, written the plain way for AVX2: widen, multiply, round back, 32 per
// iteration, nothing kept or compared.
TK_AVX2 void tk_avx2_scale_f16(uint16_t *data, size_t count, float factor) {
    __m256 s = _mm256_set1_ps(factor);
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        for (size_t j = 0; j < 32; j += 8) {
            __m256 x = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(data + i + j)));
            _mm_storeu_si128((__m128i *)(data + i + j), _mm256_cvtps_ph(_mm256_mul_ps(x, s), TK_F16_ROUND));
        }
    }
    for (; i < count; i++) data[i] = tk_f32_to_f16(tk_f16_to_f32(data[i]) * factor);
}

TK_AVX2 void tk_avx2_scale_bf16(uint16_t *data, size_t count, float factor) {
    __m256 s = _mm256_set1_ps(factor);
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        for (size_t j = 0; j < 32; j += 16) {
            __m256i raw = _mm256_loadu_si256((const __m256i *)(data + i + j));
            __m256 low = _mm256_castsi256_ps(_mm256_unpacklo_epi16(_mm256_setzero_si256(), raw));
            __m256 high = _mm256_castsi256_ps(_mm256_unpackhi_epi16(_mm256_setzero_si256(), raw));
            _mm256_storeu_si256((__m256i *)(data + i + j),
                                _mm256_packus_epi32(f32_to_bf16_lanes(_mm256_mul_ps(low, s)),
                                                    f32_to_bf16_lanes(_mm256_mul_ps(high, s))));
        }
    }
    for (; i < count; i++) data[i] = tk_f32_to_bf16(tk_bf16_to_f32(data[i]) * factor);
}

TK_AVX2 void tk_avx2_scale_f32(float *data, size_t count, float factor) {
    __m256 s = _mm256_set1_ps(factor);
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        __m256 a = _mm256_loadu_ps(data + i), b = _mm256_loadu_ps(data + i + 8);
        __m256 c = _mm256_loadu_ps(data + i + 16), d = _mm256_loadu_ps(data + i + 24);
        _mm256_storeu_ps(data + i, _mm256_mul_ps(a, s));
        _mm256_storeu_ps(data + i + 8, _mm256_mul_ps(b, s));
        _mm256_storeu_ps(data + i + 16, _mm256_mul_ps(c, s));
        _mm256_storeu_ps(data + i + 24, _mm256_mul_ps(d, s));
    }
    for (; i < count; i++) data[i] *= factor;
}

TK_AVX2 void tk_avx2_scale_f64(double *data, size_t count, double factor) {
    __m256d s = _mm256_set1_pd(factor);
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m256d a = _mm256_loadu_pd(data + i), b = _mm256_loadu_pd(data + i + 4);
        __m256d c = _mm256_loadu_pd(data + i + 8), d = _mm256_loadu_pd(data + i + 12);
        _mm256_storeu_pd(data + i, _mm256_mul_pd(a, s));
        _mm256_storeu_pd(data + i + 4, _mm256_mul_pd(b, s));
        _mm256_storeu_pd(data + i + 8, _mm256_mul_pd(c, s));
        _mm256_storeu_pd(data + i + 12, _mm256_mul_pd(d, s));
    }
    for (; i < count; i++) data[i] *= factor;
}
#endif
