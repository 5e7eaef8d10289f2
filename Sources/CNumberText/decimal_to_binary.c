#include "decimal.h"

bool tk_decimal_to_binary(uint64_t digits, int64_t exponent, bool is_truncated, tk_binary_format format,
                          uint64_t *pattern) {
    return decimal_to_binary(digits, exponent, is_truncated, format, pattern);
}
