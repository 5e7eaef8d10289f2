// The shortest decimal of a float64, by Giulietti's Schubfach as in shortest_float32.c, with a 128-bit power of
// ten: the value's rounding interval is scaled by 10^-k rounded up and each scaled point rounded to odd, which keeps
// which side of an integer it falls on. `tensor-bench verify-shortest` checks random patterns, every power of two
// and its neighbours, integers around 2^53 and short decimals against Swift's own printer.
#include <string.h>
#include "include/CNumberText.h"
#include "shortest.h"

/// (g · scaled) / 2^128, truncated, with its lowest bit set when the fraction (taken to 64 bits) is above 2^-64:
/// Schubfach's round to odd, which keeps which side of an integer the exact product lies on.
static inline uint64_t round_to_odd(tk_uint128 g, uint64_t scaled) {
    const u128 low = (u128)g.low * scaled;
    const u128 high = (u128)g.high * scaled;
    const u128 sum = high + (uint64_t)(low >> 64);  // cannot overflow: high < 2^128 - 2^64
    return (uint64_t)(sum >> 64) | ((uint64_t)sum > 1);
}

/// scaled × 10^power rounded to odd.
static inline uint64_t scale(int32_t power, uint64_t scaled) {
    return round_to_odd(tk_shortest64_powers[power - TK_SHORTEST64_POWER_SMALLEST], scaled);
}

static shortest_decimal shortest(uint64_t fraction, uint32_t biased_exponent) {
    return schubfach(fraction, biased_exponent, 52, 1075, scale);
}

/// 10^e for e in 0...17.
static const uint64_t powers_of_ten[18] = {1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u,
                                           100000000u, 1000000000u, 10000000000u, 100000000000u, 1000000000000u,
                                           10000000000000u, 100000000000000u, 1000000000000000u,
                                           10000000000000000u, 100000000000000000u};

/// The number of decimal digits of 0 < n < 10^17: its bit length times log10(2) (1233 / 4096) is the count or one
/// less, and comparing n with that power of ten tells which.
static inline int digit_count(uint64_t n) {
    const int estimate = ((64 - __builtin_clzll(n)) * 1233) >> 12;
    return estimate + (n >= powers_of_ten[estimate]);
}

static inline size_t write_shortest(double number, uint8_t *output) {
    uint64_t bits;
    memcpy(&bits, &number, 8);
    const uint64_t fraction = bits & ((UINT64_C(1) << 52) - 1);
    const uint32_t biased_exponent = (uint32_t)(bits >> 52) & 0x7FF;
    if (biased_exponent == 0x7FF) return write_non_finite(fraction != 0, (int)(bits >> 63), output);
    uint8_t *cursor = output;
    if (bits >> 63) *cursor++ = '-';
    if (fraction == 0 && biased_exponent == 0) {
        memcpy(cursor, "0.0", 3);
        return (size_t)(cursor - output) + 3;
    }
    const shortest_decimal decimal = shortest(fraction, biased_exponent);
    const int count = digit_count(decimal.digits);  // 1...17

    // The digits, left-aligned to 17 places and padded with '0's to 33 bytes, so that every copy below has a fixed
    // size (a variable one is a call to memcpy). Copies write past the text, never past TK_SHORTEST_FLOAT64_ROOM
    // bytes from `output`.
    const uint64_t aligned = decimal.digits * powers_of_ten[17 - count];
    const uint64_t rest = aligned % 10000000000000000u;
    uint8_t text[33];
    text[0] = (uint8_t)('0' + aligned / 10000000000000000u);
    store8(text + 1, eight_ascii_digits((uint32_t)(rest / 100000000u)));
    store8(text + 9, eight_ascii_digits((uint32_t)(rest % 100000000u)));
    store8(text + 17, 0x3030303030303030u);
    store8(text + 25, 0x3030303030303030u);

    // value = 0.digits × 10^point; Swift switches to scientific below 10^-4 and above 2^53.
    const int point = decimal.exponent + count;
    if (point < -3 || (bits & ~(UINT64_C(1) << 63)) > 0x4340000000000000u) {
        cursor[0] = text[0];
        cursor[1] = '.';
        memcpy(cursor + 2, text + 1, 16);
        cursor += count == 1 ? 1 : count + 1;
        cursor += write_exponent(point - 1, cursor);
        return (size_t)(cursor - output);
    }
    if (point <= 0) {
        // "0." and up to three zeros, then the digits.
        store8(cursor, 0x3030303030302E30u);  // "0.000000"
        cursor += 2 - point;
        memcpy(cursor, text, 17);
        return (size_t)(cursor - output) + (size_t)count;
    }
    if (point < count) {
        memcpy(cursor, text, 16);  // point <= 16
        cursor[point] = '.';
        memcpy(cursor + point + 1, text + point, 16);  // count - point <= 16 digits
        return (size_t)(cursor - output) + (size_t)count + 1;
    }
    // An integer up to 2^53: the digits, the '0's up to the point (from the padding), and ".0".
    memcpy(cursor, text, 16);
    memcpy(cursor + point, ".0", 2);
    return (size_t)(cursor - output) + (size_t)point + 2;
}

size_t tk_write_shortest_float64(double value, uint8_t *output) { return write_shortest(value, output); }

static inline size_t write_shortest_at(const uint8_t *value, uint8_t *output) {
    double number;
    memcpy(&number, value, 8);
    return write_shortest(number, output);
}

size_t tk_write_shortest_float64_row(const void *values, size_t count, uint8_t *output) {
    return write_row(values, count, 8, write_shortest_at, output);
}
