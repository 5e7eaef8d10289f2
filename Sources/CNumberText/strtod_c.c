#define _GNU_SOURCE
#include <locale.h>
#include <stdlib.h>
#include "include/CNumberText.h"

static locale_t c_locale(void) {
    static locale_t locale = (locale_t)0;
    locale_t current = __atomic_load_n(&locale, __ATOMIC_ACQUIRE);
    if (current == (locale_t)0) {
        locale_t created = newlocale(LC_ALL_MASK, "C", (locale_t)0);
        locale_t expected = (locale_t)0;
        if (!__atomic_compare_exchange_n(&locale, &expected, created, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            freelocale(created);
            created = expected;
        }
        current = created;
    }
    return current;
}

double tk_strtod_c(const char *text) { return strtod_l(text, NULL, c_locale()); }
float tk_strtof_c(const char *text) { return strtof_l(text, NULL, c_locale()); }
