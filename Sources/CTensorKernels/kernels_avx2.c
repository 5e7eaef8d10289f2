// AVX2 + F16C loops: 8 floats or 4 doubles per vector, scalar tails.
#include "kernels_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TK_AVX2 __attribute__((target("avx2,f16c")))

TK_AVX2 static inline __m256 leaky8(__m256 x, __m256 slope) {
    __m256 positive = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ);
    return _mm256_blendv_ps(_mm256_mul_ps(x, slope), x, positive);
}

TK_AVX2 void tk_avx2_f32(float *data, size_t count, float slope) {
    __m256 s = _mm256_set1_ps(slope);
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        __m256 a = _mm256_loadu_ps(data + i), b = _mm256_loadu_ps(data + i + 8);
        __m256 c = _mm256_loadu_ps(data + i + 16), d = _mm256_loadu_ps(data + i + 24);
        _mm256_storeu_ps(data + i, leaky8(a, s));
        _mm256_storeu_ps(data + i + 8, leaky8(b, s));
        _mm256_storeu_ps(data + i + 16, leaky8(c, s));
        _mm256_storeu_ps(data + i + 24, leaky8(d, s));
    }
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(data + i, leaky8(_mm256_loadu_ps(data + i), s));
    for (; i < count; i++) data[i] = tk_leaky_f32(data[i], slope);
}

TK_AVX2 static inline __m256d leaky4d(__m256d x, __m256d slope) {
    __m256d positive = _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_GT_OQ);
    return _mm256_blendv_pd(_mm256_mul_pd(x, slope), x, positive);
}

TK_AVX2 void tk_avx2_f64(double *data, size_t count, double slope) {
    __m256d s = _mm256_set1_pd(slope);
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m256d a = _mm256_loadu_pd(data + i), b = _mm256_loadu_pd(data + i + 4);
        __m256d c = _mm256_loadu_pd(data + i + 8), d = _mm256_loadu_pd(data + i + 12);
        _mm256_storeu_pd(data + i, leaky4d(a, s));
        _mm256_storeu_pd(data + i + 4, leaky4d(b, s));
        _mm256_storeu_pd(data + i + 8, leaky4d(c, s));
        _mm256_storeu_pd(data + i + 12, leaky4d(d, s));
    }
    for (; i + 4 <= count; i += 4) _mm256_storeu_pd(data + i, leaky4d(_mm256_loadu_pd(data + i), s));
    for (; i < count; i++) data[i] = tk_leaky_f64(data[i], slope);
}

TK_AVX2 void tk_avx2_f16(uint16_t *data, size_t count, float slope) {
    __m256 s = _mm256_set1_ps(slope);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m128i raw = _mm_loadu_si128((const __m128i *)(data + i));
        __m256 x = _mm256_cvtph_ps(raw);
        __m256 positive = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ);
        __m128i scaled = _mm256_cvtps_ph(_mm256_mul_ps(x, s), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        // Positive lanes keep their original bits; the 32-bit mask is narrowed to 16-bit lanes.
        __m128i keep = _mm_packs_epi32(_mm256_castsi256_si128(_mm256_castps_si256(positive)),
                                       _mm256_extracti128_si256(_mm256_castps_si256(positive), 1));
        _mm_storeu_si128((__m128i *)(data + i), _mm_blendv_epi8(scaled, raw, keep));
    }
    for (; i < count; i++) data[i] = tk_leaky_f16(data[i], slope);
}

TK_AVX2 static inline __m128i f32_to_bf16_8(__m256 y) {
    __m256i bits = _mm256_castps_si256(y);
    __m256i odd = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
    __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(bits, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7fff))), 16);
    __m256i quiet_nan = _mm256_or_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(0x40));
    __m256i is_nan = _mm256_castps_si256(_mm256_cmp_ps(y, y, _CMP_UNORD_Q));
    __m256i result = _mm256_blendv_epi8(rounded, quiet_nan, is_nan);
    // Values fit in 16 bits, so an unsigned saturating pack is exact.
    return _mm_packus_epi32(_mm256_castsi256_si128(result), _mm256_extracti128_si256(result, 1));
}

TK_AVX2 void tk_avx2_bf16(uint16_t *data, size_t count, float slope) {
    __m256 s = _mm256_set1_ps(slope);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m128i raw = _mm_loadu_si128((const __m128i *)(data + i));
        __m256 x = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(raw), 16));
        __m256 positive = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ);
        __m128i scaled = f32_to_bf16_8(_mm256_mul_ps(x, s));
        __m128i keep = _mm_packs_epi32(_mm256_castsi256_si128(_mm256_castps_si256(positive)),
                                       _mm256_extracti128_si256(_mm256_castps_si256(positive), 1));
        _mm_storeu_si128((__m128i *)(data + i), _mm_blendv_epi8(scaled, raw, keep));
    }
    for (; i < count; i++) data[i] = tk_leaky_bf16(data[i], slope);
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
