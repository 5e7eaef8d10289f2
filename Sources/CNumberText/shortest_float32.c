// The shortest decimal of a float32, by Giulietti's Schubfach ("The Schubfach way to render doubles", 2020): the
// value's rounding interval is scaled by a power of ten with a 64-bit significand rounded up, rounding to odd so
// that the three scaled points (interval ends and value) keep which side of an integer they fall on. Of the
// decimals inside the interval, the one with the fewest digits is taken, and of those the nearest to the value.
// `tensor-bench verify-shortest --all` checks every one of the 2^32 patterns against Swift's own printer.
#include <string.h>
#include "include/CNumberText.h"
#include "shortest.h"

/// The most any text, and the fixed-size copies that write it, reach past the start (sign, "1234567.8" copied
/// as 9 + 8 bytes).
#define TK_SHORTEST_FLOAT32_ROOM 18

/// (g · scaled) / 2^64 with its fraction below 2^-32 folded into the lowest bit (round to odd).
static inline uint32_t round_to_odd(uint64_t g, uint32_t scaled) {
    const u128 product = (u128)g * scaled;
    const uint32_t high = (uint32_t)(product >> 64);
    const uint32_t fraction = (uint32_t)((uint64_t)product >> 32);
    return high | (fraction > 1);
}

/// scaled × 10^power rounded to odd; scaled is below 2^32 (4 · 2^24 · 2^4).
static inline uint64_t scale(int32_t power, uint64_t scaled) {
    return round_to_odd(tk_shortest32_powers[power - TK_SHORTEST32_POWER_SMALLEST], (uint32_t)scaled);
}

static shortest_decimal shortest(uint32_t fraction, uint32_t biased_exponent) {
    return schubfach(fraction, biased_exponent, 23, 150, scale);
}

static inline int digit_count(uint32_t n) {
    return 1 + (n >= 10) + (n >= 100) + (n >= 1000) + (n >= 10000) + (n >= 100000) + (n >= 1000000) +
           (n >= 10000000) + (n >= 100000000) + (n >= 1000000000);
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

static inline size_t write_shortest(float number, uint8_t *output) {
    uint32_t bits;
    memcpy(&bits, &number, 4);
    const uint32_t fraction = bits & 0x7FFFFF, biased_exponent = (bits >> 23) & 0xFF;
    uint8_t *cursor = output;
    if (biased_exponent == 0xFF) return write_non_finite(fraction != 0, (int)(bits >> 31), output);
    if (bits >> 31) *cursor++ = '-';
    if (fraction == 0 && biased_exponent == 0) {
        memcpy(cursor, "0.0", 3);
        return (size_t)(cursor - output) + 3;
    }
    const shortest_decimal decimal = shortest(fraction, biased_exponent);
    const uint32_t digits_value = (uint32_t)decimal.digits;  // below 10^9
    // The digits, first digit lowest, then '0's. Every store below has a fixed size (a variable one is a call to
    // memcpy); some write past the text, never past TK_SHORTEST_FLOAT32_ROOM bytes from `output`.
    const int count = digit_count(digits_value);
    const u128 digits = digit_text(digits_value, count);
    const uint64_t first8 = (uint64_t)digits;
    // value = 0.digits × 10^point; Swift switches to scientific below 10^-4 and above 2^24.
    const int point = decimal.exponent + count;
    if (point < -3 || (bits & 0x7FFFFFFF) > 0x4B800000) {
        cursor[0] = (uint8_t)first8;
        cursor[1] = '.';
        store8(cursor + 2, (uint64_t)(digits >> 8));
        cursor += count == 1 ? 1 : count + 1;
        cursor += write_exponent(point - 1, cursor);
        return (size_t)(cursor - output);
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

static inline size_t write_shortest_at(const uint8_t *value, uint8_t *output) {
    float number;
    memcpy(&number, value, 4);
    return write_shortest(number, output);
}

size_t tk_write_shortest_float32_row(const void *values, size_t count, uint8_t *output) {
    return write_row(values, count, 4, write_shortest_at, output);
}
