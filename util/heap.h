/* heap — a binary min-heap of fixed-size elements kept by value, ordered
 * by the caller's `before` (qsort-style: one comparator, no per-type copy
 * of the container). Push and pop cost O(log n) comparisons; the heap
 * counts them so that tests can show a schedule stays O(n log n).
 * Not thread-safe. Out of memory aborts (util/xalloc). */
#ifndef FINSENT_HEAP_H
#define FINSENT_HEAP_H

#include <stddef.h>
#include <stdint.h>

/* Nonzero when a must leave the heap before b. Must be a strict weak
 * order; elements that tie leave in no particular order. */
typedef int (*heap_before_fn)(const void *a, const void *b);

typedef struct heap heap;

/* An empty heap of elem_size-byte elements. Never NULL. */
heap *heap_new(size_t elem_size, heap_before_fn before);
/* NULL is a no-op. */
void heap_free(heap *h);

/* Copies elem in. */
void heap_push(heap *h, const void *elem);
/* Copies the first element into out and removes it: 0, or -1 when empty. */
int heap_pop(heap *h, void *out);
/* The first element (valid until the next push or pop), NULL when empty. */
const void *heap_top(const heap *h);
size_t heap_count(const heap *h);

/* Calls of `before` made so far. */
uint64_t heap_compares(const heap *h);

#endif
