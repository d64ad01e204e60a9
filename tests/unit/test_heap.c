/* Unit tests for util/heap: elements leave in `before` order (random
 * input against a sorted copy, with ties), by value, and a push or pop
 * costs at most 2 log2(n) comparisons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "util/heap.h"
#include "util/rng.h"

typedef struct item {
    long key;
    int tag;
} item;

static int item_before(const void *a, const void *b) { return ((const item *)a)->key < ((const item *)b)->key; }

static int cmp_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static void test_order(void **state) {
    (void)state;
    heap *h = heap_new(sizeof(item), item_before);
    item out;
    assert_int_equal(heap_pop(h, &out), -1);
    assert_null(heap_top(h));
    enum { N = 5000 };
    long *keys = malloc(sizeof *keys * N);
    rng_pcg r;
    rng_seed(&r, 3, 0);
    for (int i = 0; i < N; i++) {
        keys[i] = (long)rng_below(&r, 1000); /* many ties */
        heap_push(h, &(item){keys[i], i});
    }
    assert_int_equal(heap_count(h), N);
    qsort(keys, N, sizeof *keys, cmp_long);
    for (int i = 0; i < N; i++) {
        assert_int_equal(((const item *)heap_top(h))->key, keys[i]);
        assert_int_equal(heap_pop(h, &out), 0);
        assert_int_equal(out.key, keys[i]);
        assert_true(out.tag >= 0 && out.tag < N);
    }
    assert_int_equal(heap_count(h), 0);
    free(keys);
    heap_free(h);
}

static void test_log_cost(void **state) {
    (void)state;
    enum { N = 1 << 14 };
    heap *h = heap_new(sizeof(item), item_before);
    rng_pcg r;
    rng_seed(&r, 4, 0);
    for (int i = 0; i < N; i++) heap_push(h, &(item){(long)rng_u32(&r), i});
    item out;
    for (int i = 0; i < N; i++) heap_pop(h, &out);
    double per_op = (double)heap_compares(h) / (2.0 * N), bound = 2 * log2((double)N);
    print_message("# %d pushes and pops: %.2f comparisons per operation (bound %.0f)\n", N, per_op, bound);
    assert_true(per_op <= bound);
    heap_free(h);
    heap_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_log_cost),
    };
    return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
