// What the float32 and float64 Schubfach printers share: the logarithm estimates that pick the power of ten, and
// writing digits as ASCII in a register.
#ifndef TK_SHORTEST_H
#define TK_SHORTEST_H

#include <stdint.h>
#include <string.h>

typedef unsigned __int128 u128;

/// floor(log10(2^e)), and floor(log10(3/4 · 2^e)), for |e| <= 1650 (arithmetic shift rounds toward -infinity).
static inline int32_t floor_log10_pow2(int32_t e) { return (e * 1262611) >> 22; }
static inline int32_t floor_log10_three_quarters_pow2(int32_t e) { return (e * 1262611 - 524031) >> 22; }
/// floor(log2(10^e)) for |e| <= 1233.
static inline int32_t floor_log2_pow10(int32_t e) { return (e * 1741647) >> 19; }

/// value = digits × 10^exponent.
typedef struct {
    uint64_t digits;
    int32_t exponent;
} shortest_decimal;

static inline shortest_decimal without_trailing_zeros(shortest_decimal decimal) {
    while (decimal.digits % 10 == 0) {
        decimal.digits /= 10;
        decimal.exponent++;
    }
    return decimal;
}

/// Schubfach's choice, once the value's rounding interval has been scaled by 10^-k and rounded to odd: of the
/// decimals inside the interval the one with the fewest digits, and of those the nearest to the value, ties to
/// even. The interval's ends belong to it when the binary significand is even (reading rounds ties to even).
static inline shortest_decimal choose_shortest(uint64_t scaled_lower, uint64_t scaled_value, uint64_t scaled_upper,
                                               int is_even, int32_t k) {
    const uint64_t lowest = scaled_lower + (uint64_t)!is_even, highest = scaled_upper - (uint64_t)!is_even;
    const uint64_t s = scaled_value / 4;
    if (s >= 10) {
        // One digit fewer: the multiples of ten around the value.
        const uint64_t tens = s / 10;
        const int down_inside = lowest <= 40 * tens, up_inside = 40 * tens + 40 <= highest;
        if (down_inside != up_inside) return without_trailing_zeros((shortest_decimal){tens + (uint64_t)up_inside, k + 1});
    }
    const int down_inside = lowest <= 4 * s, up_inside = 4 * s + 4 <= highest;
    if (down_inside != up_inside) return without_trailing_zeros((shortest_decimal){s + (uint64_t)up_inside, k});
    // Both neighbours inside: the nearer, ties to even.
    const uint64_t middle = 4 * s + 2;
    const uint64_t digits = s + (uint64_t)(scaled_value > middle || (scaled_value == middle && (s & 1)));
    return without_trailing_zeros((shortest_decimal){digits, k});
}

/// Schubfach's shortest decimal of a positive finite value of a binary format with `fraction_bits` stored fraction
/// bits: value = significand × 2^(biased_exponent - exponent_offset) (offset = bias + fraction_bits). `scale(e, x)`
/// is x × 10^e rounded to odd, with the format's table of powers of ten. Always inlined, so each format gets its own
/// code with its constants.
__attribute__((always_inline)) static inline shortest_decimal schubfach(uint64_t fraction, uint32_t biased_exponent,
                                                                        int fraction_bits, int32_t exponent_offset,
                                                                        uint64_t (*scale)(int32_t, uint64_t)) {
    uint64_t c;
    int32_t q;
    if (biased_exponent != 0) {
        c = fraction | (UINT64_C(1) << fraction_bits);
        q = (int32_t)biased_exponent - exponent_offset;
        // Integers up to 2^(fraction_bits + 1) are their own shortest digits: a shorter decimal is another integer,
        // at least 1 away, while the rounding interval reaches 1/2 at most.
        if (q <= 0 && q > -(fraction_bits + 1) && (c & ((UINT64_C(1) << -q) - 1)) == 0) {
            return without_trailing_zeros((shortest_decimal){c >> -q, 0});
        }
    } else {
        c = fraction;
        q = 1 - exponent_offset;
    }
    // Above a power of two the gap below is half the gap above.
    const int lower_is_closer = fraction == 0 && biased_exponent > 1;
    const uint64_t lower_bound = 4 * c - 2 + (uint64_t)lower_is_closer, value = 4 * c, upper_bound = 4 * c + 2;
    const int32_t k = lower_is_closer ? floor_log10_three_quarters_pow2(q) : floor_log10_pow2(q);
    const int32_t h = q + floor_log2_pow10(-k) + 1;  // 1...4
    return choose_shortest(scale(-k, lower_bound << h), scale(-k, value << h), scale(-k, upper_bound << h),
                           (c & 1) == 0, k);
}

/// Eight ASCII digits of n < 10^8, leading zeros included, the first digit in the lowest byte: both halves are
/// split into pairs, then digits, in parallel lanes of one register (no stores and reloads of a digit buffer).
static inline uint64_t eight_ascii_digits(uint32_t n) {
    const uint64_t halves = (uint64_t)(n / 10000) | ((uint64_t)(n % 10000) << 32);
    const uint64_t hundreds = ((halves * 10486) >> 20) & 0x0000007F0000007Fu;    // each lane / 100
    const uint64_t pairs = ((halves - 100 * hundreds) << 16) + hundreds;           // 16-bit lanes, < 100
    uint64_t tens = ((pairs * 103) >> 10) & 0x000F000F000F000Fu;                   // each lane / 10
    tens += (pairs - 10 * tens) << 8;
    return tens + 0x3030303030303030u;
}

static inline void store8(uint8_t *at, uint64_t bytes) { memcpy(at, &bytes, 8); }

/// How Python's json module spells what JSON has no number for; returns the length.
static inline size_t write_non_finite(int is_nan, int is_negative, uint8_t *output) {
    if (is_nan) {
        memcpy(output, "NaN", 3);
        return 3;
    }
    if (is_negative) {
        memcpy(output, "-Infinity", 9);
        return 9;
    }
    memcpy(output, "Infinity", 8);
    return 8;
}

/// Writes "e+05", "e-05", "e+100" for the exponent of scientific notation, as Swift prints it (at least two
/// digits); returns the length.
static inline size_t write_exponent(int32_t exponent, uint8_t *output) {
    output[0] = 'e';
    output[1] = exponent < 0 ? '-' : '+';
    if (exponent < 0) exponent = -exponent;
    if (exponent >= 100) {
        output[2] = (uint8_t)('0' + exponent / 100);
        output[3] = (uint8_t)('0' + exponent / 10 % 10);
        output[4] = (uint8_t)('0' + exponent % 10);
        return 5;
    }
    output[2] = (uint8_t)('0' + exponent / 10);
    output[3] = (uint8_t)('0' + exponent % 10);
    return 4;
}

/// `count` (> 0) values of `size` bytes each, little-endian at any alignment, as their texts separated by commas;
/// returns the text's length. Always inlined, so `write_one` is a direct call.
__attribute__((always_inline)) static inline size_t write_row(const void *values, size_t count, size_t size,
                                                              size_t (*write_one)(const uint8_t *value, uint8_t *output),
                                                              uint8_t *output) {
    const uint8_t *source = values;
    uint8_t *cursor = output;
    for (size_t index = 0; index < count; index++) {
        cursor += write_one(source + size * index, cursor);
        *cursor++ = ',';
    }
    return (size_t)(cursor - output) - 1;  // no comma after the last
}

#endif
