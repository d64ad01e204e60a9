/* json_arena — a per-thread bump arena behind cJSON's allocation hooks, so
 * that a decode thread parses and frees a message's JSON tree without
 * touching malloc.
 *
 * cJSON's hooks are process-global; they are installed once when the
 * program loads (before any thread can use cJSON) and behave exactly like
 * malloc and free except on a thread that has its arena enabled:
 *   - json_arena_begin() enables the calling thread's arena (JSON_ARENA_BYTES,
 *     made on first use, freed when the thread exits);
 *   - while enabled, cJSON's allocations on that thread are carved from it
 *     (16-byte aligned); one that does not fit in what is left comes from
 *     malloc, as without the arena;
 *   - cJSON's frees of arena memory do nothing, all other frees are free();
 *   - json_arena_end() disables the arena and resets it: everything carved
 *     from it is gone.
 * Contract for callers: a cJSON tree (or string) made between begin and end
 * must be deleted on the same thread before end and never escape it; copy
 * what must outlive the decode (decode_message does: event_new_packed).
 * What cJSON prints is freed with cJSON_free, never free() (util/log.c's
 * JSON lines, which a decode may write, are). */
#ifndef FINSENT_JSON_ARENA_H
#define FINSENT_JSON_ARENA_H

#include <stddef.h>

#define JSON_ARENA_BYTES (64 * 1024)

/* Enables the calling thread's arena, empty. Aborts on out of memory (the
 * first call on a thread allocates it). */
void json_arena_begin(void);

/* Disables and resets the calling thread's arena; a no-op without one. */
void json_arena_end(void);

/* The hooks (exposed for tests): n bytes from the arena when the calling
 * thread's is enabled and has room, else malloc(n) (NULL on out of memory,
 * which cJSON handles); frees p unless it lies in the calling thread's
 * arena. */
void *json_arena_alloc(size_t n);
void json_arena_free(void *p);

/* 1 when p lies in the calling thread's arena, else 0. */
int json_arena_owns(const void *p);

#endif
