/* Unit tests for util/dict: ids in order of first sight, copies that stay
 * put while the table grows, two-part lookups, binary keys, deletion
 * (backward shift) and id reuse checked against a plain array model over
 * a long random sequence of operations under both hashes, and clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "util/dict.h"
#include "util/rng.h"

static void test_ids_and_copies(void **state) {
    (void)state;
    for (int h = DICT_SEEDED; h <= DICT_FNV; h++) {
        dict *d = dict_new((enum dict_hash)h);
        assert_int_equal(dict_count(d), 0);
        assert_int_equal(dict_find(d, "a", 1), -1);
        int added;
        assert_int_equal(dict_add(d, "apple", 5, &added), 0);
        assert_int_equal(added, 1);
        const char *first = dict_key(d, 0, NULL);
        char buf[32];
        for (int i = 1; i < 5000; i++) {
            snprintf(buf, sizeof buf, "key-%d", i);
            assert_int_equal(dict_add(d, buf, strlen(buf), &added), i);
            assert_int_equal(added, 1);
        }
        assert_int_equal(dict_add(d, "apple", 5, &added), 0);
        assert_int_equal(added, 0);
        assert_ptr_equal(dict_key(d, 0, NULL), first); /* the copy did not move */
        assert_string_equal(first, "apple");
        size_t len;
        assert_string_equal(dict_key(d, 4321, &len), "key-4321");
        assert_int_equal(len, 8);
        assert_int_equal(dict_find(d, "key-4321", 8), 4321);
        assert_int_equal(dict_find(d, "key-4321 ", 9), -1);
        assert_int_equal(dict_find(d, "key-43210", 9), -1);
        assert_int_equal(dict_count(d), 5000);
        assert_int_equal(dict_id_limit(d), 5000);
        assert_null(dict_key(d, 5000, NULL));
        assert_null(dict_key(d, -1, NULL));
        dict_free(d);
    }
}

static void test_two_part_and_binary_keys(void **state) {
    (void)state;
    for (int h = DICT_SEEDED; h <= DICT_FNV; h++) {
        dict *d = dict_new((enum dict_hash)h);
        int ing = dict_add(d, "##ing", 5, NULL), empty = dict_add(d, "", 0, NULL);
        /* every split of the key finds it, whatever the 8-byte block edges */
        const char *longer = "##abcdefghijklmnopq";
        int lid = dict_add(d, longer, strlen(longer), NULL);
        for (size_t k = 0; k <= strlen(longer); k++)
            assert_int_equal(dict_find2(d, longer, k, longer + k, strlen(longer) - k), lid);
        assert_int_equal(dict_find2(d, "##", 2, "ing", 3), ing);
        assert_int_equal(dict_find2(d, "#", 1, "#ing", 4), ing);
        assert_int_equal(dict_find2(d, "##", 2, "in", 2), -1);
        assert_int_equal(dict_find2(d, NULL, 0, NULL, 0), empty);
        assert_int_equal(dict_find(d, NULL, 0), empty);
        /* integer keys with NUL bytes */
        uint32_t a = 7, b = 7u << 8;
        int ia = dict_add(d, &a, sizeof a, NULL), ib = dict_add(d, &b, sizeof b, NULL);
        assert_int_not_equal(ia, ib);
        assert_int_equal(dict_find(d, &b, sizeof b), ib);
        dict_free(d);
    }
}

/* The model: key i of a fixed set, present or not, with its id. */
enum { N_KEYS = 600 };

static void test_random_against_model(void **state) {
    (void)state;
    for (int h = DICT_SEEDED; h <= DICT_FNV; h++) {
        dict *d = dict_new((enum dict_hash)h);
        int id_of[N_KEYS];
        for (int i = 0; i < N_KEYS; i++) id_of[i] = -1;
        rng_pcg r;
        rng_seed(&r, 2024, (uint64_t)h);
        int live = 0;
        char buf[32];
        for (int step = 0; step < 200000; step++) {
            int k = (int)rng_below(&r, N_KEYS), op = (int)rng_below(&r, 10);
            /* short keys sharing prefixes and suffixes make long runs */
            int len = snprintf(buf, sizeof buf, "k%d/%s", k, k % 3 ? "x" : "xyz");
            if (op < 5) {
                int added, id = dict_add(d, buf, (size_t)len, &added);
                assert_int_equal(added, id_of[k] < 0);
                if (id_of[k] >= 0) assert_int_equal(id, id_of[k]);
                else live++;
                id_of[k] = id;
            } else if (op < 8) {
                int id = dict_del(d, buf, (size_t)len);
                assert_int_equal(id, id_of[k]);
                if (id >= 0) live--;
                id_of[k] = -1;
            } else {
                assert_int_equal(dict_find(d, buf, (size_t)len), id_of[k]);
            }
            if (step % 20000 == 0) { /* a full check now and then */
                int seen[N_KEYS] = {0};
                for (int i = 0; i < N_KEYS; i++) {
                    len = snprintf(buf, sizeof buf, "k%d/%s", i, i % 3 ? "x" : "xyz");
                    assert_int_equal(dict_find(d, buf, (size_t)len), id_of[i]);
                    if (id_of[i] >= 0) {
                        assert_true(id_of[i] < dict_id_limit(d));
                        assert_int_equal(seen[id_of[i] % N_KEYS]++, 0);
                        assert_string_equal(dict_key(d, id_of[i], NULL), buf);
                    }
                }
            }
        }
        assert_int_equal(dict_count(d), live);
        /* freed ids are reused, so ids stay below the most keys ever live */
        assert_true(dict_id_limit(d) <= N_KEYS);
        dict_free(d);
    }
}

static void test_delete_reuse_and_clear(void **state) {
    (void)state;
    dict *d = dict_new(DICT_FNV);
    dict_add(d, "a", 1, NULL);
    int b = dict_add(d, "b", 1, NULL);
    dict_add(d, "c", 1, NULL);
    dict_del_id(d, b);
    assert_null(dict_key(d, b, NULL));
    assert_int_equal(dict_find(d, "b", 1), -1);
    assert_int_equal(dict_del(d, "b", 1), -1);
    assert_int_equal(dict_add(d, "d", 1, NULL), b); /* the free id again */
    assert_int_equal(dict_id_limit(d), 3);
    assert_int_equal(dict_count(d), 3);
    dict_clear(d);
    assert_int_equal(dict_count(d), 0);
    assert_int_equal(dict_id_limit(d), 0);
    assert_int_equal(dict_find(d, "a", 1), -1);
    assert_int_equal(dict_add(d, "z", 1, NULL), 0);
    dict_free(d);
    dict_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_and_copies),
        cmocka_unit_test(test_two_part_and_binary_keys),
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_delete_reuse_and_clear),
    };
    return cmocka_run_group_tests_name("dict", tests, NULL, NULL);
}
