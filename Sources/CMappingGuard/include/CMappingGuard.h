#ifndef C_MAPPING_GUARD_H
#define C_MAPPING_GUARD_H

#include <stddef.h>

// Keeps a shared mapping whose object shrinks under it from ending the process.
//
// Touching a page of a MAP_SHARED mapping past the end of its file (or a page tmpfs has no room for) raises SIGBUS.
// For each guarded range, the SIGBUS handler replaces the pages from the faulting one to the range's end with private
// zero pages (the access is then retried and succeeds) and marks the range as faulted, so the caller can fail that
// request instead of the process. Any other SIGBUS (elsewhere, a hardware memory error, one sent by kill) goes to
// the previous disposition (by default: the process ends).

// Installs the handler once; safe to call from any thread, any number of times.
void tk_mapping_guard_install(void);
// Guards [base, base + length); base is page-aligned. Returns a slot, or -1 when every slot is taken.
int tk_mapping_guard_add(void *base, size_t length);
// Stops guarding a slot (before the range is unmapped).
void tk_mapping_guard_remove(int slot);
// Whether a fault was repaired in the slot's range since it was added.
int tk_mapping_guard_faulted(int slot);
// How many ranges can be guarded at once.
int tk_mapping_guard_capacity(void);

#endif
