/* Counts heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc) of the process it is preloaded
 * into, and writes the running total to $MCOUNT_FILE every 50 ms, for bench/allocations.sh.
 *   cc -O2 -shared -fPIC -o malloc_count.so malloc_count.c -ldl -lpthread */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <time.h>
static atomic_long count;
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static char bootstrap[65536]; static size_t used;
static void *reporter(void *a) {
  const char *path = getenv("MCOUNT_FILE"); if (!path) return 0;
  for (;;) { struct timespec d = {0, 50000000}; nanosleep(&d, 0);
    /* Written beside and renamed over: a reader never sees the file empty. */
    char temporary[4096]; snprintf(temporary, sizeof temporary, "%s.tmp", path);
    FILE *f = fopen(temporary, "w"); if (f) { fprintf(f, "%ld\n", atomic_load(&count)); fclose(f); rename(temporary, path); } }
}
__attribute__((constructor)) static void init(void) {
  real_malloc = dlsym(RTLD_NEXT, "malloc"); real_calloc = dlsym(RTLD_NEXT, "calloc"); real_realloc = dlsym(RTLD_NEXT, "realloc");
  real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign"); real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
  pthread_t t; pthread_create(&t, 0, reporter, 0);
}
void *malloc(size_t n) { atomic_fetch_add(&count, 1); if (!real_malloc) { void *p = bootstrap + used; used += (n + 15) & ~15; return p; } return real_malloc(n); }
void *calloc(size_t a, size_t b) { atomic_fetch_add(&count, 1); if (!real_calloc) { void *p = bootstrap + used; used += (a*b + 15) & ~15; memset(p, 0, a*b); return p; } return real_calloc(a, b); }
void *realloc(void *p, size_t n) { atomic_fetch_add(&count, 1); return real_realloc(p, n); }
int posix_memalign(void **p, size_t a, size_t n) { atomic_fetch_add(&count, 1); return real_posix_memalign(p, a, n); }
void *aligned_alloc(size_t a, size_t n) { atomic_fetch_add(&count, 1); return real_aligned_alloc(a, n); }
void free(void *p) { static void (*real_free)(void *); if ((char*)p >= bootstrap && (char*)p < bootstrap + sizeof bootstrap) return; if (!real_free) real_free = dlsym(RTLD_NEXT, "free"); real_free(p); }
