#define _GNU_SOURCE
#include "CMappingGuard.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

// Slots are read by the signal handler, so they are plain atomics: no lock, no allocation.
#define SLOTS 256

typedef struct {
    _Atomic uintptr_t base;
    _Atomic size_t length;
    atomic_int faulted;
} guard_slot;

static guard_slot slots[SLOTS];
static atomic_flag slot_claims[SLOTS];
static struct sigaction previous;
static pthread_once_t installed = PTHREAD_ONCE_INIT;
static uintptr_t page_mask;

// Hands a SIGBUS that is not ours to what was installed before, without uninstalling the guard.
static void pass_on(int signal_number, siginfo_t *info, void *context) {
    if (previous.sa_flags & SA_SIGINFO) {
        previous.sa_sigaction(signal_number, info, context);
    } else if (previous.sa_handler == SIG_IGN) {
        return;
    } else if (previous.sa_handler != SIG_DFL) {
        previous.sa_handler(signal_number);
    } else if (info->si_code > 0) {
        // A real fault outside our ranges: restore the default and return, so the instruction faults again and
        // the process ends as it would have without us.
        sigaction(SIGBUS, &previous, NULL);
    } else {
        // Sent by kill or sigqueue: the default action, at once.
        sigaction(SIGBUS, &previous, NULL);
        raise(SIGBUS);
    }
}

static void on_sigbus(int signal_number, siginfo_t *info, void *context) {
    int saved_errno = errno;
    // Only an access past the end of a mapped file is repaired; a hardware memory error is not ours to hide.
    if (info->si_code == BUS_ADRERR) {
        uintptr_t address = (uintptr_t)info->si_addr;
        for (int index = 0; index < SLOTS; index++) {
            uintptr_t base = atomic_load(&slots[index].base);
            size_t length = atomic_load(&slots[index].length);
            if (base == 0 || address < base || address - base >= length) continue;
            uintptr_t page = address & page_mask;
            // mmap is async-signal-safe on Linux; MAP_FIXED replaces the shared pages with private zero pages.
            if (mmap((void *)page, base + length - page, PROT_READ | PROT_WRITE,
                     MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) {
                break;
            }
            atomic_store(&slots[index].faulted, 1);
            errno = saved_errno;
            return;
        }
    }
    pass_on(signal_number, info, context);
    errno = saved_errno;
}

static void install(void) {
    page_mask = ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous);
}

void tk_mapping_guard_install(void) { pthread_once(&installed, install); }

int tk_mapping_guard_add(void *base, size_t length) {
    tk_mapping_guard_install();
    for (int index = 0; index < SLOTS; index++) {
        if (atomic_flag_test_and_set(&slot_claims[index])) continue;
        atomic_store(&slots[index].faulted, 0);
        atomic_store(&slots[index].length, length);
        atomic_store(&slots[index].base, (uintptr_t)base);
        return index;
    }
    return -1;
}

void tk_mapping_guard_remove(int slot) {
    if (slot < 0 || slot >= SLOTS) return;
    atomic_store(&slots[slot].base, 0);
    atomic_store(&slots[slot].length, 0);
    atomic_flag_clear(&slot_claims[slot]);
}

int tk_mapping_guard_faulted(int slot) {
    if (slot < 0 || slot >= SLOTS) return 0;
    return atomic_load(&slots[slot].faulted);
}

int tk_mapping_guard_capacity(void) { return SLOTS; }
