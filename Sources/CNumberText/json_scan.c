// Counting the commas of a run of JSON numbers, 64, 32 or 8 bytes at a time: the JSON reader's first pass only needs
// to know how many numbers an innermost array holds, and where the array (or anything unexpected) stops. Each width
// finds the same stop and counts the same commas; the widest the CPU has is used.
#include <stdint.h>
#include <string.h>
#include "include/CNumberText.h"

static size_t scan_bytes(const uint8_t *bytes, size_t length, size_t index, size_t *commas) {
    size_t count = 0;
    for (; index < length; index++) {
        uint8_t byte = bytes[index];
        if (byte == ',') count++;
        else if (tk_json_ends_numbers(byte)) break;
    }
    *commas += count;
    return index;
}

/// Bit 7 of each byte of `word` that equals `byte`, exactly: the low seven bits are added separately, so no byte
/// borrows from or carries into its neighbour.
static inline uint64_t bytes_equal(uint64_t word, uint8_t byte) {
    const uint64_t low_bits = 0x7F7F7F7F7F7F7F7Fu;
    const uint64_t difference = word ^ (0x0101010101010101u * byte);
    return ~(((difference & low_bits) + low_bits) | difference | low_bits);
}

/// Bytes flagged (bit 7) in `flags`, without a popcount instruction (baseline x86-64 has none).
static inline size_t flagged_count(uint64_t flags) { return (size_t)(((flags >> 7) * 0x0101010101010101u) >> 56); }

/// Eight bytes at a time in a 64-bit register: for CPUs without AVX2, and arm64.
static size_t scan_words(const uint8_t *bytes, size_t length, size_t index, size_t *commas) {
    size_t count = 0;
    while (index + 8 <= length) {
        uint64_t word;
        memcpy(&word, bytes + index, 8);
        const uint64_t folded = word | 0x2020202020202020u;
        const uint64_t stops = bytes_equal(folded, 0x7B) | bytes_equal(folded, 0x7D) | bytes_equal(word, '"')
                               | bytes_equal(word, ':');
        const uint64_t commas_here = bytes_equal(word, ',');
        if (stops) {
            const unsigned stop = (unsigned)__builtin_ctzll(stops) / 8;
            count += flagged_count(commas_here & ((UINT64_C(1) << (8 * stop)) - 1));
            *commas += count;
            return index + stop;
        }
        count += flagged_count(commas_here);
        index += 8;
    }
    *commas += count;
    return scan_bytes(bytes, length, index, commas);
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

__attribute__((target("avx512f,avx512bw,popcnt")))
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

__attribute__((target("avx2,popcnt")))
static size_t scan_avx2(const uint8_t *bytes, size_t length, size_t index, size_t *commas) {
    const __m256i comma = _mm256_set1_epi8(','), open = _mm256_set1_epi8(0x7B), close = _mm256_set1_epi8(0x7D);
    const __m256i quote = _mm256_set1_epi8('"'), colon = _mm256_set1_epi8(':'), fold = _mm256_set1_epi8(0x20);
    size_t count = 0;
    while (index + 32 <= length) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(bytes + index));
        const __m256i folded = _mm256_or_si256(v, fold);
        const __m256i stop_bytes = _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi8(folded, open), _mm256_cmpeq_epi8(folded, close)),
            _mm256_or_si256(_mm256_cmpeq_epi8(v, quote), _mm256_cmpeq_epi8(v, colon)));
        const uint32_t stops = (uint32_t)_mm256_movemask_epi8(stop_bytes);
        const uint32_t commas_here = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, comma));
        if (stops) {
            const unsigned stop = (unsigned)__builtin_ctz(stops);
            count += (size_t)__builtin_popcount(commas_here & ((UINT32_C(1) << stop) - 1));
            *commas += count;
            return index + stop;
        }
        count += (size_t)__builtin_popcount(commas_here);
        index += 32;
    }
    *commas += count;
    return scan_words(bytes, length, index, commas);
}

/// The widest scan this CPU and OS support: AVX-512 BW, AVX2 (both with POPCNT), or words.
static int widest_scan(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return TK_JSON_SCAN_WORDS;
    const int has_osxsave = (c >> 27) & 1, has_avx = (c >> 28) & 1, has_popcnt = (c >> 23) & 1;
    if (!has_osxsave || !has_avx || !has_popcnt) return TK_JSON_SCAN_WORDS;
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    if ((eax & 0x6) != 0x6) return TK_JSON_SCAN_WORDS;  // the OS saves YMM state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return TK_JSON_SCAN_WORDS;
    const int has_avx2 = (b >> 5) & 1, has_avx512bw = ((b >> 16) & 1) && ((b >> 30) & 1);
    if (!has_avx2) return TK_JSON_SCAN_WORDS;
    // AVX2 is required for AVX-512 too, so every scan up to the widest one can run (`tk_json_use_scan`).
    if (has_avx512bw && (eax & 0xe6) == 0xe6) return TK_JSON_SCAN_AVX512;  // and opmask + ZMM state
    return TK_JSON_SCAN_AVX2;
}
#else
static int widest_scan(void) { return TK_JSON_SCAN_WORDS; }
#endif

/// The scan in use: the widest supported, unless a benchmark asked for a narrower one. A benign race: every
/// thread that finds it unset computes the same value.
static int chosen_scan = -1;

static int supported_scan(void) {
    static int widest = -1;
    int scan = __atomic_load_n(&widest, __ATOMIC_RELAXED);
    if (scan < 0) {
        scan = widest_scan();
        __atomic_store_n(&widest, scan, __ATOMIC_RELAXED);
    }
    return scan;
}

int tk_json_use_scan(int scan) {
    const int widest = supported_scan();
    const int used = scan < 0 || scan > widest ? widest : scan;
    __atomic_store_n(&chosen_scan, used, __ATOMIC_RELAXED);
    return used;
}

size_t tk_json_count_commas_with(int scan, const uint8_t *bytes, size_t length, size_t start, size_t *commas) {
    if (scan < 0 || scan > supported_scan()) scan = supported_scan();
    switch (scan) {
#if defined(__x86_64__)
    case TK_JSON_SCAN_AVX512: return scan_avx512(bytes, length, start, commas);
    case TK_JSON_SCAN_AVX2: return scan_avx2(bytes, length, start, commas);
#endif
    default: return scan_words(bytes, length, start, commas);
    }
}

size_t tk_json_count_commas(const uint8_t *bytes, size_t length, size_t start, size_t *commas) {
    int scan = __atomic_load_n(&chosen_scan, __ATOMIC_RELAXED);
    if (scan < 0) scan = tk_json_use_scan(-1);
    return tk_json_count_commas_with(scan, bytes, length, start, commas);
}
