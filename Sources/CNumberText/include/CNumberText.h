#ifndef CNUMBERTEXT_H
#define CNUMBERTEXT_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/// strtod and strtof in the C locale whatever the process locale is; they round correctly and honour the current
/// floating-point rounding mode.
double tk_strtod_c(const char *text);
float tk_strtof_c(const char *text);

/// From `start`, finds the first byte that cannot occur in a list of JSON numbers (one of `[ ] { } " :`) and adds
/// the commas before it to `*commas`; returns its index, or `length` when there is none.
size_t tk_json_count_commas(const uint8_t *bytes, size_t length, size_t start, size_t *commas);

/// Shortest round-trip decimal of a float/double, as Swift's `description` prints it; returns the length.
/// Implemented by the Swift runtime; declared here so the JSON writer avoids a String per element.
size_t swift_float32ToString(char *buffer, size_t bufferLength, float value, bool debug);
size_t swift_float64ToString(char *buffer, size_t bufferLength, double value, bool debug);

#endif
