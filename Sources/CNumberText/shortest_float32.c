// The shortest decimal of a float32, by Giulietti's Schubfach ("The Schubfach way to render doubles", 2020): the
// value's rounding interval is scaled by a power of ten with a 64-bit significand rounded up, rounding to odd so
// that the three scaled points (interval ends and value) keep which side of an integer they fall on. Of the
// decimals inside the interval, the one with the fewest digits is taken, and of those the nearest to the value.
// `tensor-bench verify-shortest --all` checks every one of the 2^32 patterns against Swift's own printer.
#include <string.h>
#include "include/CNumberText.h"

typedef unsigned __int128 u128;

/// The most any text, and the fixed-size copies that write it, reach past the start (sign, "1234567.8" copied
/// as 9 + 8 bytes).
#define TK_SHORTEST_FLOAT32_ROOM 18

/// floor(log10(2^e)), and floor(log10(3/4 · 2^e)), for |e| <= 1500 (arithmetic shift rounds toward -infinity).
static inline int32_t floor_log10_pow2(int32_t e) { return (e * 1262611) >> 22; }
static inline int32_t floor_log10_three_quarters_pow2(int32_t e) { return (e * 1262611 - 524031) >> 22; }
/// floor(log2(10^e)) for |e| <= 1233.
static inline int32_t floor_log2_pow10(int32_t e) { return (e * 1741647) >> 19; }

/// (g · scaled) / 2^64 with its fraction below 2^-32 folded into the lowest bit (round to odd).
static inline uint32_t round_to_odd(uint64_t g, uint32_t scaled) {
    const u128 product = (u128)g * scaled;
    const uint32_t high = (uint32_t)(product >> 64);
    const uint32_t fraction = (uint32_t)((uint64_t)product >> 32);
    return high | (fraction > 1);
}

/// value = digits × 10^exponent, digits with no trailing zero.
typedef struct {
    uint32_t digits;
    int32_t exponent;
} decimal32;

static decimal32 shortest(uint32_t fraction, uint32_t biased_exponent) {
    uint32_t c;
    int32_t q;
    if (biased_exponent != 0) {
        c = fraction | (1u << 23);
        q = (int32_t)biased_exponent - 150;
        // Integers up to 2^24 are their own shortest digits.
        if (q <= 0 && q > -24 && (c & ((1u << -q) - 1)) == 0) {
            decimal32 result = {c >> -q, 0};
            while (result.digits % 10 == 0) {
                result.digits /= 10;
                result.exponent++;
            }
            return result;
        }
    } else {
        c = fraction;
        q = -149;
    }
    const int is_even = (c & 1) == 0;
    // Above a power of two the gap below is half the gap above.
    const int lower_is_closer = fraction == 0 && biased_exponent > 1;
    const uint32_t lower_bound = 4 * c - 2 + (uint32_t)lower_is_closer, value = 4 * c, upper_bound = 4 * c + 2;
    const int32_t k = lower_is_closer ? floor_log10_three_quarters_pow2(q) : floor_log10_pow2(q);
    const int32_t h = q + floor_log2_pow10(-k) + 1;  // 1...4
    const uint64_t g = tk_shortest32_powers[-k - TK_SHORTEST32_POWER_SMALLEST];
    const uint32_t scaled_lower = round_to_odd(g, lower_bound << h);
    const uint32_t scaled_value = round_to_odd(g, value << h);
    const uint32_t scaled_upper = round_to_odd(g, upper_bound << h);
    // The interval's ends belong to it when the significand is even (ties round to even).
    const uint32_t lowest = scaled_lower + (uint32_t)!is_even, highest = scaled_upper - (uint32_t)!is_even;

    decimal32 result;
    const uint32_t s = scaled_value / 4;
    int decided = 0;
    if (s >= 10) {
        // One digit fewer: the multiples of ten around the value.
        const uint32_t tens = s / 10;
        const int down_inside = lowest <= 40 * tens, up_inside = 40 * tens + 40 <= highest;
        if (down_inside != up_inside) {
            result.digits = tens + (uint32_t)up_inside;
            result.exponent = k + 1;
            decided = 1;
        }
    }
    if (!decided) {
        const int down_inside = lowest <= 4 * s, up_inside = 4 * s + 4 <= highest;
        if (down_inside != up_inside) {
            result.digits = s + (uint32_t)up_inside;
        } else {
            // Both neighbours inside: the nearer, ties to even.
            const uint32_t middle = 4 * s + 2;
            result.digits = s + (uint32_t)(scaled_value > middle || (scaled_value == middle && (s & 1)));
        }
        result.exponent = k;
    }
    while (result.digits % 10 == 0) {
        result.digits /= 10;
        result.exponent++;
    }
    return result;
}

static inline int digit_count(uint32_t n) {
    return 1 + (n >= 10) + (n >= 100) + (n >= 1000) + (n >= 10000) + (n >= 100000) + (n >= 1000000) +
           (n >= 10000000) + (n >= 100000000) + (n >= 1000000000);
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

/// The `count` (1...9) digits of `n` as 16 ASCII bytes, first digit lowest, padded with '0's.
static inline u128 digit_text(uint32_t n, int count) {
    const u128 zeros = ((u128)0x3030303030303030u << 64) | 0x3030303030303030u;
    if (count == 9) {
        const u128 rest = (u128)eight_ascii_digits(n % 100000000) << 8;
        return (zeros << 72) | rest | (uint8_t)('0' + n / 100000000);
    }
    const int shift = 8 * (8 - count);
    return ((u128)eight_ascii_digits(n) >> shift) | (zeros << (8 * count));
}

static inline void store8(uint8_t *at, uint64_t bytes) { memcpy(at, &bytes, 8); }

static inline size_t write_shortest(float number, uint8_t *output) {
    uint32_t bits;
    memcpy(&bits, &number, 4);
    const uint32_t fraction = bits & 0x7FFFFF, biased_exponent = (bits >> 23) & 0xFF;
    uint8_t *cursor = output;
    if (biased_exponent == 0xFF) {
        const char *text = fraction != 0 ? "NaN" : (bits >> 31) ? "-Infinity" : "Infinity";
        const size_t length = strlen(text);
        memcpy(output, text, length);
        return length;
    }
    if (bits >> 31) *cursor++ = '-';
    if (fraction == 0 && biased_exponent == 0) {
        memcpy(cursor, "0.0", 3);
        return (size_t)(cursor - output) + 3;
    }
    const decimal32 decimal = shortest(fraction, biased_exponent);
    // The digits, first digit lowest, then '0's. Every store below has a fixed size (a variable one is a call to
    // memcpy); some write past the text, never past TK_SHORTEST_FLOAT32_ROOM bytes from `output`.
    const int count = digit_count(decimal.digits);
    const u128 digits = digit_text(decimal.digits, count);
    const uint64_t first8 = (uint64_t)digits;
    // value = 0.digits × 10^point; Swift switches to scientific below 10^-4 and above 2^24.
    const int point = decimal.exponent + count;
    if (point < -3 || (bits & 0x7FFFFFFF) > 0x4B800000) {
        cursor[0] = (uint8_t)first8;
        cursor[1] = '.';
        store8(cursor + 2, (uint64_t)(digits >> 8));
        cursor += count == 1 ? 1 : count + 1;
        int exponent = point - 1;
        cursor[0] = 'e';
        cursor[1] = exponent < 0 ? '-' : '+';
        if (exponent < 0) exponent = -exponent;
        cursor[2] = (uint8_t)('0' + exponent / 10);
        cursor[3] = (uint8_t)('0' + exponent % 10);
        return (size_t)(cursor - output) + 4;
    }
    if (point <= 0) {
        // "0." and up to three zeros, then the digits (at most 9).
        store8(cursor, 0x3030303030302E30u);  // "0.000000"
        cursor += 2 - point;
        store8(cursor, first8);
        cursor[8] = (uint8_t)(digits >> 64);
        return (size_t)(cursor - output) + (size_t)count;
    }
    if (point < count) {
        store8(cursor, first8);
        cursor[8] = (uint8_t)(digits >> 64);
        cursor[point] = '.';
        store8(cursor + point + 1, (uint64_t)(digits >> (8 * point)));  // count - point <= 8 digits
        return (size_t)(cursor - output) + (size_t)count + 1;
    }
    // An integer below 2^24: the digits, the '0's up to the point (from the padding), and ".0".
    store8(cursor, first8);
    cursor[8] = (uint8_t)(digits >> 64);
    memcpy(cursor + point, ".0", 2);
    return (size_t)(cursor - output) + (size_t)point + 2;
}

size_t tk_write_shortest_float32(float value, uint8_t *output) { return write_shortest(value, output); }

size_t tk_write_shortest_float32_row(const void *values, size_t count, uint8_t *output) {
    const uint8_t *source = values;
    uint8_t *cursor = output;
    for (size_t index = 0; index < count; index++) {
        float value;
        memcpy(&value, source + 4 * index, 4);
        cursor += write_shortest(value, cursor);
        *cursor++ = ',';
    }
    return (size_t)(cursor - output) - 1;  // no comma after the last
}
