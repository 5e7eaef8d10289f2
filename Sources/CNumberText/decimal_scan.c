#include "decimal.h"

bool tk_scan_decimal(const uint8_t *bytes, size_t length, size_t start, tk_decimal *number) {
    return scan_decimal(bytes, length, start, number);
}
