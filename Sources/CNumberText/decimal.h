// The decimal scanner and the decimal-to-binary rounding as inline functions, so the JSON number loop
// (json_numbers.c) runs without a call per element; decimal_scan.c and decimal_to_binary.c export them.
#ifndef CNUMBERTEXT_DECIMAL_H
#define CNUMBERTEXT_DECIMAL_H
#include <string.h>
#include "include/CNumberText.h"

// MARK: - Scanning: the first 19 significant digits and a decimal exponent, eight digits at a time where eight
// are there.
static inline int is_digit(uint8_t byte) { return (uint8_t)(byte - '0') < 10; }

static inline uint64_t load_eight(const uint8_t *bytes) {
    uint64_t word;
    memcpy(&word, bytes, 8);
    return word;  // little-endian on every target we build for
}

/// All eight bytes are '0'...'9': no byte below '0' (the subtraction borrows) and none above '9' (+0x46 carries).
static inline int are_eight_digits(uint64_t word) {
    return !(((word + 0x4646464646464646u) | (word - 0x3030303030303030u)) & 0x8080808080808080u);
}

/// The value of eight ASCII digits, first digit in the lowest byte: pairs, then fours, then the eight.
static inline uint64_t eight_digits_value(uint64_t word) {
    word -= 0x3030303030303030u;
    word = (word * 10) + (word >> 8);
    const uint64_t mask = 0x000000FF000000FFu;
    word = (((word & mask) * 0x000F424000000064u) + (((word >> 16) & mask) * 0x0000271000000001u)) >> 32;
    return word & 0xFFFFFFFFu;
}

/// Index of the first non-digit at or after `index`.
static inline size_t skip_digits(const uint8_t *bytes, size_t length, size_t index) {
    while (index + 8 <= length && are_eight_digits(load_eight(bytes + index))) index += 8;
    while (index < length && is_digit(bytes[index])) index++;
    return index;
}

/// Appends the digits in [index, end) to `value`; at most 19 digits in all, which fit in 64 bits.
static inline uint64_t accumulate(const uint8_t *bytes, size_t index, size_t end, uint64_t value) {
    while (index + 8 <= end) {
        value = value * 100000000u + eight_digits_value(load_eight(bytes + index));
        index += 8;
    }
    while (index < end) value = value * 10 + (uint64_t)(bytes[index++] - '0');
    return value;
}

/// Bit 7 of each byte of `word` that is not an ASCII digit. Only the lowest flagged byte is reliable (a byte below
/// '0' borrows from the next), which is the only one used.
static inline uint64_t non_digit_bytes(uint64_t word) {
    return ((word + 0x4646464646464646u) | (word - 0x3030303030303030u)) & 0x8080808080808080u;
}

/// The value of the first `count` (1...8) ASCII digits of `word`.
static inline uint64_t leading_digits_value(uint64_t word, int count) {
    // Move the digits to the top bytes and fill the bytes below with '0'.
    const int shift = 8 * (8 - count);
    const uint64_t zeros = count == 8 ? 0 : 0x3030303030303030u >> (8 * count);
    return eight_digits_value(count == 8 ? word : (word << shift) | zeros);
}

static const uint64_t small_powers_of_ten[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

/// The common case, a word of eight bytes at a time: at most 7 integer digits, optionally a '.' and fraction digits
/// (at most 19 digits in all), optionally an exponent of at most 3 digits. The caller guarantees 48 readable bytes
/// from `index`. False when the number is not of that form (it is then scanned the general way), or not a number.
static inline bool scan_short_decimal(const uint8_t *bytes, size_t index, tk_decimal *number) {
    const uint64_t integer_word = load_eight(bytes + index);
    const uint64_t integer_stops = non_digit_bytes(integer_word);
    if (integer_stops == 0) return false;
    const int integer_count = __builtin_ctzll(integer_stops) / 8;
    // A leading zero must stand alone ("0", "0.5"); no digits at all is not a number.
    if (integer_count == 0 || (bytes[index] == '0' && integer_count > 1)) return false;
    uint64_t digits;
    int64_t exponent = 0;
    // Most often the whole number fits in this word: with the '.' taken out, all its digits are read at once.
    const uint64_t integer_mask = ((uint64_t)1 << (8 * integer_count)) - 1;  // integer_count <= 7
    const uint64_t joined = (integer_word & integer_mask) | ((integer_word >> 8) & ~integer_mask);
    const int joined_count = __builtin_ctzll(non_digit_bytes(joined)) / 8;  // at most 7: the top byte is 0
    // The byte after the number must not be a digit: below 7 it is the one that stopped the count; at 7 it is the
    // byte past the word (one test for both, so no branch depends on the number's length).
    if (bytes[index + (size_t)integer_count] == '.' && joined_count > integer_count &&
        !is_digit(bytes[index + (size_t)joined_count + 1])) {
        digits = leading_digits_value(joined, joined_count);
        exponent = integer_count - joined_count;
        index += (size_t)joined_count + 1;
    } else {
        digits = leading_digits_value(integer_word, integer_count);
        index += (size_t)integer_count;
        if (bytes[index] == '.') {
            // Whole words of eight digits, then the digits before the first non-digit; at most 19 digits in all
            // (leading zeros included), so the value cannot overflow.
            size_t at = index + 1;
            int fraction_count = 0;
            uint64_t word = load_eight(bytes + at);
            uint64_t stops = non_digit_bytes(word);
            while (stops == 0) {
                if (integer_count + fraction_count + 8 > 19) return false;
                digits = digits * 100000000u + eight_digits_value(word);
                fraction_count += 8;
                at += 8;
                word = load_eight(bytes + at);
                stops = non_digit_bytes(word);
            }
            const int tail = __builtin_ctzll(stops) / 8;
            if (tail > 0) {
                if (integer_count + fraction_count + tail > 19) return false;
                digits = digits * small_powers_of_ten[tail] + leading_digits_value(word, tail);
                fraction_count += tail;
            }
            if (fraction_count == 0) return false;
            exponent = -fraction_count;
            index = at + (size_t)tail;
        }
    }
    if ((bytes[index] | 0x20) == 'e') {
        index++;
        const int exponent_negative = bytes[index] == '-';
        index += (size_t)(exponent_negative || bytes[index] == '+');
        // Up to three exponent digits here; longer exponents are left to the general scan.
        int64_t written = 0;
        int count = 0;
        while (count < 4 && is_digit(bytes[index + (size_t)count])) {
            written = written * 10 + (bytes[index + (size_t)count] - '0');
            count++;
        }
        if (count == 0 || count == 4) return false;
        exponent += exponent_negative ? -written : written;
        index += (size_t)count;
    }
    number->digits = digits;
    number->exponent = exponent;
    number->end = index;
    return true;
}

static inline int matches(const uint8_t *bytes, size_t length, size_t index, const char *token) {
    size_t count = strlen(token);
    return index + count <= length && memcmp(bytes + index, token, count) == 0;
}

static inline bool scan_decimal(const uint8_t *bytes, size_t length, size_t start, tk_decimal *number) {
    size_t index = start;
    number->digits = 0;
    number->exponent = 0;
    number->is_negative = 0;
    number->is_truncated = 0;
    number->special = TK_DECIMAL_FINITE;
    // Branch-free: in a tensor the sign is as good as random, and a mispredicted branch costs more than this.
    const int negative = index < length && bytes[index] == '-';
    number->is_negative = (uint8_t)negative;
    index += (size_t)negative;
    if (index >= length) return false;
    if (index + 48 <= length && scan_short_decimal(bytes, index, number)) return true;
    if (!is_digit(bytes[index])) {
        if (bytes[index] == 'N' && !number->is_negative && matches(bytes, length, index, "NaN")) {
            number->special = TK_DECIMAL_NAN;
            number->end = index + 3;
            return true;
        }
        if (bytes[index] == 'I' && matches(bytes, length, index, "Infinity")) {
            number->special = TK_DECIMAL_INFINITY;
            number->end = index + 8;
            return true;
        }
        return false;
    }
    // Integer part: a single 0, or a non-zero digit and more.
    const size_t integer_start = index;
    index = bytes[index] == '0' ? index + 1 : skip_digits(bytes, length, index);
    const size_t integer_end = index;
    size_t fraction_start = index, fraction_end = index;
    if (index < length && bytes[index] == '.') {
        fraction_start = index + 1;
        fraction_end = skip_digits(bytes, length, fraction_start);
        if (fraction_end == fraction_start) return false;
        index = fraction_end;
    }
    int64_t written_exponent = 0;
    if (index < length && (bytes[index] | 0x20) == 'e') {
        index++;
        int negative = 0;
        if (index < length && (bytes[index] == '+' || bytes[index] == '-')) negative = bytes[index++] == '-';
        if (index >= length || !is_digit(bytes[index])) return false;
        for (; index < length && is_digit(bytes[index]); index++) {
            // Clamp: any exponent this large already means 0 or infinity.
            if (written_exponent < 100000) written_exponent = written_exponent * 10 + (bytes[index] - '0');
        }
        if (negative) written_exponent = -written_exponent;
    }
    number->end = index;

    // Significant digits start at the first non-zero one; leading zeros only move the decimal point.
    size_t integer_first = integer_start, fraction_first = fraction_start;
    if (bytes[integer_start] == '0') {
        integer_first = integer_end;
        while (fraction_first < fraction_end && bytes[fraction_first] == '0') fraction_first++;
    }
    const size_t integer_count = integer_end - integer_first, fraction_count = fraction_end - fraction_first;
    const int64_t fraction_digits = (int64_t)(fraction_end - fraction_start);
    if (integer_count + fraction_count <= 19) {
        uint64_t digits = accumulate(bytes, integer_first, integer_end, 0);
        number->digits = accumulate(bytes, fraction_first, fraction_end, digits);
        number->exponent = written_exponent - fraction_digits;
        return true;
    }
    // More than 19: keep the first 19, note whether any dropped digit is not zero, and scale for the dropped ones.
    const size_t from_integer = integer_count < 19 ? integer_count : 19;
    uint64_t digits = accumulate(bytes, integer_first, integer_first + from_integer, 0);
    const size_t fraction_taken_end = fraction_first + (19 - from_integer);
    digits = accumulate(bytes, fraction_first, fraction_taken_end, digits);
    int truncated = 0;
    for (size_t at = integer_first + from_integer; at < integer_end && !truncated; at++) truncated = bytes[at] != '0';
    for (size_t at = fraction_taken_end; at < fraction_end && !truncated; at++) truncated = bytes[at] != '0';
    number->digits = digits;
    number->is_truncated = (uint8_t)truncated;
    number->exponent = written_exponent - fraction_digits + (int64_t)(integer_count + fraction_count - 19);
    return true;
}

// MARK: - Rounding
// Decimal to binary floating point, correctly rounded, after Eisel and Lemire (Lemire, "Number Parsing at a
// Gigabyte per Second", 2021): the decimal's digits times a 128-bit approximation of its power of ten gives the
// value's leading bits. The approximation is at most one unit low, so the exact product lies in [P, P + W): finding
// that the whole interval rounds to one pattern proves it is the answer, with no case analysis to trust; where it
// does not (an exact tie with a negative power, or digits cut off right at a rounding boundary), the caller
// decides exactly.
// One routine serves all four formats, so float16 and bfloat16 are rounded once, straight from the decimal.
typedef unsigned __int128 u128;

/// Where a value falls in `format`: its leading bit is bit 62 or 63 of `high`, the top word of a 192-bit integer
/// whose value is multiplied by 2^scale. `kept` is how many bits the pattern keeps (fewer below the normal range;
/// none or less means below half the smallest subnormal), `round_bit` the first bit of `high` it drops.
typedef struct {
    int64_t exponent;  // value in [2^exponent, 2^(exponent + 1))
    int64_t kept;
    int64_t round_bit;
    int64_t bias;
    uint64_t infinity;
} rounding_place;

__attribute__((always_inline)) static inline rounding_place locate(uint64_t high, int64_t scale, tk_binary_format format) {
    rounding_place place;
    place.bias = ((int64_t)1 << (format.exponent_bits - 1)) - 1;
    place.infinity = (((uint64_t)1 << format.exponent_bits) - 1) << format.fraction_bits;
    const int64_t top = 62 + (int64_t)(high >> 63);
    const int64_t min_exponent = 1 - place.bias;
    place.exponent = 128 + top + scale;
    place.kept = format.fraction_bits + 1 - (place.exponent >= min_exponent ? 0 : min_exponent - place.exponent);
    place.round_bit = top - place.kept;  // >= 9 when kept >= 0: precision is at most 53
    return place;
}

/// The pattern for a located value with 0 <= kept and exponent <= bias; `sticky_below` says whether any bit below
/// `high` is set. Ties round to even. Adding the significand (leading bit included) to the biased exponent's
/// place carries correctly from subnormal to normal, from one binade to the next, and to infinity.
__attribute__((always_inline)) static inline uint64_t round_located(uint64_t high, int sticky_below, rounding_place place,
                                                                    tk_binary_format format) {
    const uint64_t significand = place.kept == 0 ? 0 : high >> (place.round_bit + 1);
    const uint64_t half = (high >> place.round_bit) & 1;
    const int sticky = (high & (((uint64_t)1 << place.round_bit) - 1)) != 0 || sticky_below;
    const uint64_t rounded = significand + (half & (uint64_t)(sticky | (int)(significand & 1)));
    const int64_t min_exponent = 1 - place.bias;
    const int64_t biased_place = place.exponent >= min_exponent ? place.exponent - min_exponent : 0;
    const uint64_t pattern = ((uint64_t)biased_place << format.fraction_bits) + rounded;
    return pattern >= place.infinity ? place.infinity : pattern;
}

/// The pattern nearest to the 192-bit integer (high, middle, low) × 2^scale, which must have bit 190 or 191 set.
__attribute__((always_inline)) static inline uint64_t round_to_format(uint64_t high, uint64_t middle, uint64_t low, int64_t scale, tk_binary_format format) {
    const rounding_place place = locate(high, scale, format);
    if (place.exponent > place.bias) return place.infinity;
    if (place.kept < 0) return 0;
    return round_located(high, middle != 0 || low != 0, place, format);
}

/// The pattern nearest to the 128-bit product (high, low) × 2^(scale + 64), if the upper end of its interval,
/// (high, low) + addend, must round the same: true then. Checking which bits the addition can reach is cheaper than
/// rounding the upper end too: without a carry out of `low`, only the sticky bit could change, and only if the
/// lower end's were all zero; with one, only a run of ones through every bit below the rounding bit carries into it.
__attribute__((always_inline)) static inline bool round_interval(uint64_t high, uint64_t low, uint64_t addend, int64_t scale,
                                                                 tk_binary_format format, uint64_t *pattern) {
    const rounding_place place = locate(high, scale, format);
    if (place.exponent > place.bias) {
        *pattern = place.infinity;  // and the upper end is larger still
        return true;
    }
    if (place.kept <= 0) return false;  // near zero: left to rounding both ends
    const uint64_t below = ((uint64_t)1 << place.round_bit) - 1;
    const int carries = low + addend < low;
    if (carries ? (high & below) == below : (low == 0 && (high & below) == 0)) return false;
    *pattern = round_located(high, low != 0, place, format);
    return true;
}

/// The pattern nearest to digits × power, with the power's approximation taken as it is (`upper` false) or one unit
/// higher (`upper` true), which bound the exact product from below and above.
__attribute__((always_inline)) static inline uint64_t round_product(uint64_t digits, const tk_power_of_ten *power, int upper, tk_binary_format format) {
    const int leading_zeros = __builtin_clzll(digits);
    const uint64_t normalized = digits << leading_zeros;
    const u128 first = (u128)normalized * power->high;
    const u128 second = (u128)normalized * power->low;
    uint64_t low = (uint64_t)second;
    const u128 middle_sum = (u128)(uint64_t)first + (uint64_t)(second >> 64);
    uint64_t middle = (uint64_t)middle_sum;
    uint64_t high = (uint64_t)(first >> 64) + (uint64_t)(middle_sum >> 64);
    if (upper) {
        // + normalized × 1: the product cannot reach 2^192, since both factors stay below 2^64 and 2^128.
        const u128 low_sum = (u128)low + normalized;
        low = (uint64_t)low_sum;
        const u128 carried = (u128)middle + (uint64_t)(low_sum >> 64);
        middle = (uint64_t)carried;
        high += (uint64_t)(carried >> 64);
    }
    return round_to_format(high, middle, low, (int64_t)power->exponent - leading_zeros, format);
}

/// For a format narrower than float64 and a decimal of at most 2^53 as digits and 10^-22...10^22 as its power:
/// the pattern nearest to digits × 10^exponent, decided through one double multiplication, if the double decides
/// it. The double d = digits × 10^exponent, both factors rounded to double at most once each, is within 2 units in
/// its last place of the exact value x (relative error below 2 · 2^-53 + 2^-106), so when d lies more than 3 such
/// units from every midpoint between two patterns, no midpoint lies between d and x and both round the same way;
/// a power of two between them is a pattern both round to. False, storing nothing, near a midpoint and where the
/// double falls outside the format's normal binades (subnormal, or past the largest finite one). Costs a multiplication, against Eisel–Lemire's 128-bit product and
/// rounding logic, for the short decimals most tensors are written with.
__attribute__((always_inline)) static inline bool round_through_double(uint64_t digits, int64_t exponent,
                                                                       tk_binary_format format, uint64_t *pattern) {
    const double nearest = (double)(int64_t)digits * tk_nearest_power_of_ten((int)exponent);  // signed: one instruction
    uint64_t bits;
    memcpy(&bits, &nearest, 8);
    const int64_t bias = ((int64_t)1 << (format.exponent_bits - 1)) - 1;
    const int64_t biased_exponent = (int64_t)(bits >> 52) - 1023 + bias;
    const int dropped = 52 - format.fraction_bits;
    const uint64_t midpoint = (uint64_t)1 << (dropped - 1);
    const uint64_t below = bits & (((uint64_t)1 << dropped) - 1);
    // |below - midpoint| <= 3, with one unsigned comparison.
    if (below - midpoint + 3 <= 6 || biased_exponent < 1 || biased_exponent > 2 * bias) return false;
    // The kept bits with the exponent rebiased, plus the first dropped bit: a carry moves on to the next binade,
    // and from the largest finite value to infinity, as rounding does.
    *pattern = (bits >> dropped) - ((uint64_t)(1023 - bias) << format.fraction_bits) + ((bits >> (dropped - 1)) & 1);
    return true;
}

__attribute__((always_inline)) static inline bool decimal_to_binary(uint64_t digits, int64_t exponent, bool is_truncated,
                                                                   tk_binary_format format, uint64_t *pattern) {
    if (digits == 0) {
        *pattern = 0;
        return true;
    }
    // Past the table's ends every decimal with at most 19 digits is below half of float64's smallest subnormal,
    // or above its largest finite value; narrower formats are no wider.
    if (exponent < TK_POWER_OF_TEN_SMALLEST) {
        *pattern = 0;
        return true;
    }
    if (exponent > TK_POWER_OF_TEN_LARGEST) {
        *pattern = (((uint64_t)1 << format.exponent_bits) - 1) << format.fraction_bits;
        return true;
    }
    if (format.fraction_bits < 52 && !is_truncated && digits <= ((uint64_t)1 << 53) && exponent >= -22 &&
        exponent <= 22 && round_through_double(digits, exponent, format, pattern)) {
        return true;
    }
    const tk_power_of_ten *power = &tk_powers_of_ten[exponent - TK_POWER_OF_TEN_SMALLEST];
    if (!is_truncated) {
        // First with the power's high half alone: one multiplication bounds the product within 2^-62 of itself,
        // which decides nearly every decimal for every format.
        const int leading_zeros = __builtin_clzll(digits);
        const uint64_t normalized = digits << leading_zeros;
        const u128 product = (u128)normalized * power->high;  // the exact one is below (high + 1) × normalized
        const int64_t scale = (int64_t)power->exponent - leading_zeros;
        if (round_interval((uint64_t)(product >> 64), (uint64_t)product, normalized, scale, format, pattern)) return true;
    }
    const uint64_t below = round_product(digits, power, 0, format);
    if (power->is_exact && !is_truncated) {
        *pattern = below;
        return true;
    }
    const uint64_t above = is_truncated ? round_product(digits + 1, power, 1, format) : round_product(digits, power, 1, format);
    if (below != above) return false;
    *pattern = below;
    return true;
}

#endif
