/* heap — binary min-heap by value; see heap.h. */
#include "util/heap.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct heap {
    unsigned char *a; /* n elements of size es */
    size_t es, n, cap;
    heap_before_fn before;
    uint64_t compares;
    unsigned char *tmp; /* one element, for swaps */
};

heap *heap_new(size_t elem_size, heap_before_fn before) {
    heap *h = xcalloc(1, sizeof *h);
    h->es = elem_size;
    h->before = before;
    h->tmp = xmalloc(elem_size);
    return h;
}

void heap_free(heap *h) {
    if (!h) return;
    free(h->a);
    free(h->tmp);
    free(h);
}

static inline unsigned char *at(const heap *h, size_t i) { return h->a + i * h->es; }

static int before(heap *h, size_t i, size_t j) {
    h->compares++;
    return h->before(at(h, i), at(h, j));
}

static void swap(heap *h, size_t i, size_t j) {
    memcpy(h->tmp, at(h, i), h->es);
    memcpy(at(h, i), at(h, j), h->es);
    memcpy(at(h, j), h->tmp, h->es);
}

void heap_push(heap *h, const void *elem) {
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 64;
        h->a = xrealloc(h->a, h->cap * h->es);
    }
    size_t i = h->n++;
    memcpy(at(h, i), elem, h->es);
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!before(h, i, up)) break;
        swap(h, i, up);
        i = up;
    }
}

int heap_pop(heap *h, void *out) {
    if (!h->n) return -1;
    memcpy(out, at(h, 0), h->es);
    if (--h->n) memcpy(at(h, 0), at(h, h->n), h->es);
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        if (l < h->n && before(h, l, best)) best = l;
        if (r < h->n && before(h, r, best)) best = r;
        if (best == i) break;
        swap(h, i, best);
        i = best;
    }
    return 0;
}

const void *heap_top(const heap *h) { return h->n ? h->a : NULL; }

size_t heap_count(const heap *h) { return h->n; }

uint64_t heap_compares(const heap *h) { return h->compares; }
