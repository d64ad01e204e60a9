/* json_arena — per-thread bump arena for cJSON's hooks; see json_arena.h. */
#include "util/json_arena.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/xalloc.h"

#define ALIGN 16

typedef struct json_arena {
    char *base;
    size_t used;
    int on;
} json_arena;

static __thread json_arena *tl_arena;
static pthread_key_t arena_key; /* frees a thread's arena when it exits */

static void arena_destroy(void *p) {
    json_arena *a = p;
    free(a->base);
    free(a);
}

int json_arena_owns(const void *p) {
    const json_arena *a = tl_arena;
    return a && (const char *)p >= a->base && (const char *)p < a->base + JSON_ARENA_BYTES;
}

void *json_arena_alloc(size_t n) {
    json_arena *a = tl_arena;
    if (a && a->on && n <= JSON_ARENA_BYTES - a->used) {
        void *p = a->base + a->used;
        size_t step = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
        a->used = step < JSON_ARENA_BYTES - a->used ? a->used + step : JSON_ARENA_BYTES;
        return p;
    }
    /* plain malloc, not xmalloc: the hook must behave like malloc, and
     * cJSON turns NULL into a failed parse */
    return malloc(n);
}

void json_arena_free(void *p) {
    if (!json_arena_owns(p)) free(p);
}

void json_arena_begin(void) {
    json_arena *a = tl_arena;
    if (!a) {
        a = xcalloc(1, sizeof *a);
        a->base = xmalloc(JSON_ARENA_BYTES);
        if (pthread_setspecific(arena_key, a) != 0) abort();
        tl_arena = a;
    }
    a->used = 0;
    a->on = 1;
}

void json_arena_end(void) {
    json_arena *a = tl_arena;
    if (!a) return;
    a->on = 0;
    a->used = 0;
}

/* Installed when the program loads, before any thread uses cJSON: the
 * hooks are process-global and must not change under a running parse. */
__attribute__((constructor)) static void json_arena_install(void) {
    if (pthread_key_create(&arena_key, arena_destroy) != 0) abort();
    cJSON_Hooks h = {.malloc_fn = json_arena_alloc, .free_fn = json_arena_free};
    cJSON_InitHooks(&h);
}
