/* Tests of copy_table (app/copy_table.h): which scored records are copies
 * (a held identity; below the pair's high water once the windows closed),
 * that a saved table loads back to the same decisions (what an aggregate
 * instance restored from its checkpoint relies on), and that a bad table
 * is refused in one line with nothing kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "app/copy_table.h"

#define WIN 60000 /* window size, ms */

/* The watermark the tables see (ct_watermark_fn). */
static int64_t wm_now = INT64_MIN;
static int64_t wm_fn(void *ud) {
    (void)ud;
    return wm_now;
}

/* ct_is_copy with the watermark at wm. */
static int is_copy_at(copy_table *t, const event *e, int64_t wm) {
    wm_now = wm;
    return ct_is_copy(t, e);
}

/* A scored record of key through news[in_partition] -> scored partition sp,
 * at scored offset 1000 + in_offset (a copy gets another with at()). */
static event rec(const char *key, int32_t in_partition, int64_t in_offset, int32_t sp, int64_t ts) {
    return (event){.agg_key = (char *)key, .in_topic = "news", .in_partition = in_partition, .in_offset = in_offset,
                   .origin_partition = sp, .origin_offset = 1000 + in_offset, .ts_ms = ts};
}

static event at(event e, int64_t scored_offset) {
    e.origin_offset = scored_offset;
    return e;
}

static void test_identity_and_high_water(void **state) {
    (void)state;
    copy_table t;
    ct_init(&t, wm_fn, NULL, WIN);
    event a = rec("entity=A", 0, 10, 1, 100000), b = rec("topic=M", 0, 10, 1, 100000);
    assert_false(is_copy_at(&t, &a, INT64_MIN));
    event a2 = at(a, 5000);
    assert_true(is_copy_at(&t, &a2, INT64_MIN)); /* same identity, another record */
    assert_false(is_copy_at(&t, &a, INT64_MIN)); /* the same record read again */
    assert_false(is_copy_at(&t, &b, INT64_MIN)); /* same input offset, other key */
    event later = rec("entity=A", 0, 20, 1, 200000);
    assert_false(is_copy_at(&t, &later, INT64_MIN));
    /* below the pair's high water, windows open: only the identity decides */
    event c = rec("entity=A", 0, 15, 1, 150000);
    assert_false(is_copy_at(&t, &c, 120000));
    /* below it with every window closed (ts < wm - WIN), after the high
     * water's record in the scored partition: a copy */
    event d = at(rec("entity=B", 0, 12, 1, 50000), 9000);
    assert_true(is_copy_at(&t, &d, 200000));
    /* the same, before that record: an original read again */
    event d0 = rec("entity=B", 0, 12, 1, 50000);
    assert_false(is_copy_at(&t, &d0, 200000));
    /* another pair (scored partition 2) has its own high water */
    event e = at(rec("entity=D", 0, 12, 2, 50000), 9000);
    assert_false(is_copy_at(&t, &e, 200000));
    /* records without a key or an input are never copies */
    event none = {.ts_ms = 1};
    assert_false(is_copy_at(&t, &none, INT64_MIN));
    assert_false(is_copy_at(&t, &none, INT64_MIN));
    ct_free(&t);
}

static void test_saved_table_makes_the_same_decisions(void **state) {
    (void)state;
    copy_table t, u;
    ct_init(&t, wm_fn, NULL, WIN);
    ct_init(&u, wm_fn, NULL, WIN);
    event a = rec("entity=A", 0, 10, 1, 100000), b = rec("entity=B", 1, 30, 3, 110000);
    ct_note(&t, &a);
    ct_note(&t, &b);
    ct_note(&t, &a); /* noting twice keeps one */
    cw w;
    cw_init(&w);
    ct_save(&t, &w);
    cr r;
    cr_init(&r, w.buf, w.len);
    char err[256] = "";
    assert_int_equal(ct_load(&u, &r, err, sizeof err), 0);
    assert_int_equal(cr_left(&r), 0);
    assert_int_equal(dict_count(u.seen), 2);
    event a2 = at(a, 7000), b2 = at(b, 7001);
    assert_true(is_copy_at(&u, &a2, INT64_MIN));
    assert_true(is_copy_at(&u, &b2, INT64_MIN));
    assert_false(is_copy_at(&u, &a, INT64_MIN)); /* re-read below the checkpoint: the pipeline skips it */
    event older = at(rec("entity=C", 1, 29, 3, 1000), 9000); /* below b's pair high water, windows closed */
    assert_true(is_copy_at(&u, &older, 200000));
    event fresh = rec("entity=C", 1, 31, 3, 120000);
    assert_false(is_copy_at(&u, &fresh, 200000));
    /* saved again, the same bytes */
    cw w2;
    cw_init(&w2);
    copy_table v;
    ct_init(&v, wm_fn, NULL, WIN);
    cr_init(&r, w.buf, w.len);
    assert_int_equal(ct_load(&v, &r, err, sizeof err), 0);
    ct_save(&v, &w2);
    assert_int_equal(w.len, w2.len);
    assert_memory_equal(w.buf, w2.buf, w.len);
    cw_free(&w);
    cw_free(&w2);
    ct_free(&t);
    ct_free(&u);
    ct_free(&v);
}

static void test_bad_tables_are_refused(void **state) {
    (void)state;
    /* a repeated pair, a pair name that is not one, a truncated identity */
    cw w;
    const char *pairs[][2] = {{"news\x1f" "0\x1f" "1", "news\x1f" "0\x1f" "1"}, {"news-0-1", NULL}};
    for (int k = 0; k < 3; k++) {
        cw_init(&w);
        if (k < 2) {
            int n = pairs[k][1] ? 2 : 1;
            cw_u32(&w, (uint32_t)n);
            for (int i = 0; i < n; i++) {
                cw_str(&w, pairs[k][i]);
                cw_i64(&w, 5);
            }
            cw_u32(&w, 0);
        } else {
            cw_u32(&w, 0);
            cw_u32(&w, 1);
            cw_str(&w, "entity=A\x1fnews\x1f" "0\x1f" "10");
        }
        copy_table t;
        ct_init(&t, wm_fn, NULL, WIN);
        cr r;
        cr_init(&r, w.buf, w.len);
        char err[256] = "";
        assert_int_equal(ct_load(&t, &r, err, sizeof err), -1);
        assert_non_null(strstr(err, "copy table: "));
        assert_null(strchr(err, '\n'));
        assert_int_equal(dict_count(t.pairs), 0);
        assert_int_equal(dict_count(t.seen), 0);
        ct_free(&t);
        cw_free(&w);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_and_high_water),
        cmocka_unit_test(test_saved_table_makes_the_same_decisions),
        cmocka_unit_test(test_bad_tables_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
