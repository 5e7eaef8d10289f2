// The JSON reader's second pass: the numbers of a `data` value, in order, straight into the tensor's buffer. The
// first pass has counted them and checked the brackets; this one checks each number and the separators around it.
#include "decimal.h"

static const tk_binary_format float64_format = {52, 11}, float32_format = {23, 8};
static const tk_binary_format float16_format = {10, 5}, bfloat16_format = {7, 8};

/// Stores the scanned number as `element`; false when only its exact text can decide the rounding.
static inline bool store(const tk_decimal *number, int element, uint8_t *target) {
    const uint64_t digits = number->digits;
    const int64_t exponent = number->exponent;
    const int negative = number->is_negative;
    uint64_t pattern = 0;
    switch (element) {
    case TK_ELEMENT_FLOAT64: {
        double value;
        if (number->special != TK_DECIMAL_FINITE) {
            value = number->special == TK_DECIMAL_NAN ? __builtin_nan("") : __builtin_inf();
        } else if (!number->is_truncated && digits <= ((uint64_t)1 << 53) && exponent >= -22 && exponent <= 22) {
            // Clinger: both operands exact, so one correctly rounded operation.
            value = exponent >= 0 ? (double)digits * tk_nearest_power_of_ten((int)exponent)
                                  : (double)digits / tk_nearest_power_of_ten((int)-exponent);
        } else if (decimal_to_binary(digits, exponent, number->is_truncated, float64_format, &pattern)) {
            memcpy(&value, &pattern, 8);
        } else {
            return false;
        }
        if (negative && number->special != TK_DECIMAL_NAN) value = -value;
        memcpy(target, &value, 8);
        return true;
    }
    case TK_ELEMENT_FLOAT32: {
        float value;
        if (number->special != TK_DECIMAL_FINITE) {
            value = number->special == TK_DECIMAL_NAN ? __builtin_nanf("") : __builtin_inff();
        } else if (!number->is_truncated && digits <= ((uint64_t)1 << 24) && exponent >= -10 && exponent <= 10) {
            // Clinger in float: cheaper still than the double that tk_decimal_to_binary tries first.
            const float power = (float)tk_nearest_power_of_ten((int)(exponent >= 0 ? exponent : -exponent));
            value = exponent >= 0 ? (float)digits * power : (float)digits / power;
        } else if (decimal_to_binary(digits, exponent, number->is_truncated, float32_format, &pattern)) {
            const uint32_t bits = (uint32_t)pattern;
            memcpy(&value, &bits, 4);
        } else {
            return false;
        }
        if (negative && number->special != TK_DECIMAL_NAN) value = -value;
        memcpy(target, &value, 4);
        return true;
    }
    default: {
        const tk_binary_format format = element == TK_ELEMENT_FLOAT16 ? float16_format : bfloat16_format;
        const uint16_t infinity = element == TK_ELEMENT_FLOAT16 ? 0x7C00 : 0x7F80;
        uint16_t bits;
        if (number->special == TK_DECIMAL_NAN) {
            bits = element == TK_ELEMENT_FLOAT16 ? 0x7E00 : 0x7FC0;
        } else {
            if (number->special == TK_DECIMAL_INFINITY) {
                bits = infinity;
            } else if (decimal_to_binary(digits, exponent, number->is_truncated, format, &pattern)) {
                bits = (uint16_t)pattern;
            } else {
                return false;
            }
            if (negative) bits |= 0x8000;
        }
        memcpy(target, &bits, 2);
        return true;
    }
    }
}

int tk_read_json_numbers(const uint8_t *bytes, size_t length, size_t count, int element, void *output,
                         tk_number_cursor *cursor) {
    const size_t item_size = element == TK_ELEMENT_FLOAT64 ? 8 : element == TK_ELEMENT_FLOAT32 ? 4 : 2;
    uint8_t *target = (uint8_t *)output + cursor->written * item_size;
    size_t index = cursor->index, written = cursor->written;
    int expecting = cursor->expecting;
    int status = TK_NUMBERS_DONE;
    while (written < count) {
        if (index >= length) {
            status = TK_NUMBERS_UNEXPECTED;
            break;
        }
        const uint8_t byte = bytes[index];
        if (byte == ',') {
            if (expecting != TK_EXPECT_SEPARATOR) {
                status = TK_NUMBERS_UNEXPECTED;
                break;
            }
            expecting = TK_EXPECT_VALUE;
            index++;
        } else if (byte == ' ' || byte == '\n' || byte == '\r' || byte == '\t') {
            index++;
        } else if (byte == '[') {
            if (expecting == TK_EXPECT_SEPARATOR) {
                status = TK_NUMBERS_UNEXPECTED;
                break;
            }
            expecting = TK_EXPECT_VALUE_OR_CLOSE;
            index++;
        } else if (byte == ']') {
            if (expecting == TK_EXPECT_VALUE) {
                status = TK_NUMBERS_UNEXPECTED;
                break;
            }
            expecting = TK_EXPECT_SEPARATOR;
            index++;
        } else {
            tk_decimal number;
            if (expecting == TK_EXPECT_SEPARATOR || !scan_decimal(bytes, length, index, &number)) {
                status = TK_NUMBERS_UNEXPECTED;
                break;
            }
            if (!store(&number, element, target)) {
                status = TK_NUMBERS_NEEDS_EXACT;
                break;
            }
            index = number.end;
            expecting = TK_EXPECT_SEPARATOR;
            target += item_size;
            written++;
        }
    }
    cursor->index = index;
    cursor->written = written;
    cursor->expecting = (uint8_t)expecting;
    return status;
}
