// Counting the commas of a run of JSON numbers, 64 or 32 bytes at a time: the JSON reader's first pass only needs
// to know how many numbers an innermost array holds, and where the array (or anything unexpected) stops.
#include <stdint.h>
#include "include/CNumberText.h"

static int is_stop(uint8_t byte) {
    uint8_t folded = byte | 0x20; // '[' ']' fold onto '{' '}'
    return folded == 0x7B || folded == 0x7D || byte == '"' || byte == ':';
}

static size_t scan_portable(const uint8_t *bytes, size_t length, size_t index, size_t *commas) {
    size_t count = 0;
    for (; index < length; index++) {
        uint8_t byte = bytes[index];
        if (byte == ',') count++;
        else if (is_stop(byte)) break;
    }
    *commas += count;
    return index;
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

__attribute__((target("avx512f,avx512bw")))
static size_t scan_avx512(const uint8_t *bytes, size_t length, size_t index, size_t *commas) {
    const __m512i comma = _mm512_set1_epi8(','), open = _mm512_set1_epi8(0x7B), close = _mm512_set1_epi8(0x7D);
    const __m512i quote = _mm512_set1_epi8('"'), colon = _mm512_set1_epi8(':'), fold = _mm512_set1_epi8(0x20);
    size_t count = 0;
    while (index < length) {
        size_t remaining = length - index;
        __mmask64 valid = remaining >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << remaining) - 1);
        __m512i v = _mm512_maskz_loadu_epi8(valid, bytes + index);
        __m512i folded = _mm512_or_si512(v, fold);
        __mmask64 stops = (_mm512_cmpeq_epi8_mask(folded, open) | _mm512_cmpeq_epi8_mask(folded, close)
                           | _mm512_cmpeq_epi8_mask(v, quote) | _mm512_cmpeq_epi8_mask(v, colon)) & valid;
        __mmask64 commas_here = _mm512_cmpeq_epi8_mask(v, comma) & valid;
        if (stops) {
            unsigned stop = (unsigned)__builtin_ctzll(stops);
            count += (size_t)__builtin_popcountll(commas_here & (((__mmask64)1 << stop) - 1));
            *commas += count;
            return index + stop;
        }
        count += (size_t)__builtin_popcountll(commas_here);
        index += 64;
    }
    *commas += count;
    return length;
}

static int has_avx512bw(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !((c >> 27) & 1)) return 0;
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    if ((eax & 0xe6) != 0xe6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return ((b >> 16) & 1) && ((b >> 30) & 1);
}
#endif

size_t tk_json_count_commas(const uint8_t *bytes, size_t length, size_t start, size_t *commas) {
#if defined(__x86_64__)
    static int support = -1;
    int has = __atomic_load_n(&support, __ATOMIC_RELAXED);
    if (has < 0) {
        has = has_avx512bw();
        __atomic_store_n(&support, has, __ATOMIC_RELAXED);
    }
    if (has) return scan_avx512(bytes, length, start, commas);
#endif
    return scan_portable(bytes, length, start, commas);
}
