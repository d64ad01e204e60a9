/* Tests of the pipeline's checkpoint restore with a source that carries
 * state of its own (the aggregate role: pl_source.save/load) and of the
 * first assignment after a restore (pipeline_restart): the restored state
 * goes on when the assignment's scored partitions are the checkpoint's,
 * and is dropped with its offsets (a rebuild) when they are not; a
 * checkpoint of the other kind of process is refused in one line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "app/pipeline.h"
#include "tests/support/alerts_fixture.h"
#include "tests/support/outbox_dir.h"
#include "util/log.h"

#define TAG 0x53525354u

static char dir[64], path[128];
static alerts_sink sink;

static int setup(void **state) {
    (void)state;
    log_set_level(LOG_OFF);
    return outbox_dir_make("plstate", dir, sizeof dir, path, sizeof path);
}

static int teardown(void **state) {
    (void)state;
    outbox_dir_remove(dir, path);
    return 0;
}

static alerts *engine(void) {
    alerts_options o = alerts_fixture_options("http://127.0.0.1:9/x", &sink, NULL, 0, WIN_SCOPE_ENTITY, path);
    char err[256];
    alerts *a = alerts_create(&o, err, sizeof err);
    assert_non_null(a);
    return a;
}

/* The source: nothing to read; its state is TAG and a count. */
static int loaded = -1;
static int next_none(void *ctx, event **out, int max, int timeout_ms) {
    (void)ctx, (void)out, (void)max;
    struct timespec ts = {0, (long)(timeout_ms > 20 ? 20 : timeout_ms) * 1000000};
    nanosleep(&ts, NULL);
    return 0;
}
static void src_save(void *ctx, cw *o) {
    (void)ctx;
    cw_u32(o, TAG);
    cw_u32(o, 7);
}
static int src_load(void *ctx, cr *in, char *err, size_t errlen) {
    (void)ctx;
    if (cr_u32(in) != TAG || !cr_ok(in)) {
        snprintf(err, errlen, "no source state");
        return -1;
    }
    loaded = (int)cr_u32(in);
    return cr_ok(in) ? 0 : -1;
}

/* A payload as the aggregate role writes it: pairs news[0] through scored
 * partitions 1 and 3, those partitions' offsets, the engine's state, and
 * (with_source) the source's. */
static void payload(cw *o, int with_source) {
    cw_init(o);
    cw_u32(o, 4);
    cw_str(o, "news\x1f" "1");
    cw_u32(o, 0);
    cw_i64(o, -1);
    cw_str(o, "news\x1f" "3");
    cw_u32(o, 0);
    cw_i64(o, -1);
    cw_str(o, "scored");
    cw_u32(o, 1);
    cw_i64(o, 500);
    cw_str(o, "scored");
    cw_u32(o, 3);
    cw_i64(o, 700);
    alerts *a = engine();
    alerts_save(a, o);
    alerts_destroy(a, 0);
    if (with_source) src_save(NULL, o);
}

static void test_kinds_of_checkpoint(void **state) {
    (void)state;
    cw o;
    char err[256];
    /* the aggregate role's payload, read by role all (no source state) */
    payload(&o, 1);
    alerts *a = engine();
    pl_options po = {.alerts = a, .window_size_ms = 1000, .queue_capacity = 4};
    pl_source plain = {.next = next_none};
    pipeline *p = pipeline_create(&po, &plain);
    assert_int_equal(pipeline_restore(p, o.buf, o.len, err, sizeof err), -1);
    assert_non_null(strstr(err, "bytes after the state (a checkpoint of `run --role aggregate`?)"));
    pipeline_free(p);
    alerts_destroy(a, 0);
    cw_free(&o);
    /* role all's payload (no source state), read by the aggregate role */
    payload(&o, 0);
    a = engine();
    po.alerts = a;
    pl_source agg = {.next = next_none, .save = src_save, .load = src_load};
    p = pipeline_create(&po, &agg);
    assert_int_equal(pipeline_restore(p, o.buf, o.len, err, sizeof err), -1);
    assert_string_equal(err, "no source state");
    assert_int_equal(pipeline_resume_offset(p, "scored", 1), -1); /* nothing of it kept */
    pipeline_free(p);
    alerts_destroy(a, 0);
    cw_free(&o);
}

static volatile sig_atomic_t stop_run;
static void *run(void *p) {
    pipeline_run(p, &stop_run);
    return NULL;
}

/* Restores the aggregate payload, then makes the first assignment of the
 * scored partitions parts[0..n): returns what pipeline_restart says, and
 * the start offsets of partitions 1 and 3 after it. */
static int first_assignment(const int32_t *parts, int n, int64_t *off1, int64_t *off3) {
    cw o;
    char err[256];
    payload(&o, 1);
    alerts *a = engine();
    pl_options po = {.alerts = a, .window_size_ms = 1000, .queue_capacity = 4};
    pl_source agg = {.next = next_none, .save = src_save, .load = src_load};
    pipeline *p = pipeline_create(&po, &agg);
    loaded = -1;
    assert_int_equal(pipeline_restore(p, o.buf, o.len, err, sizeof err), 0);
    assert_int_equal(loaded, 7);
    pipeline_go(p);
    stop_run = 0;
    pthread_t t;
    pthread_create(&t, NULL, run, p);
    pl_scored_pair pairs[8];
    for (int i = 0; i < n; i++) pairs[i] = (pl_scored_pair){"news", 0, parts[i]};
    int kept = pipeline_restart(p, pairs, n);
    *off1 = pipeline_resume_offset(p, "scored", 1);
    *off3 = pipeline_resume_offset(p, "scored", 3);
    stop_run = 1;
    pthread_join(t, NULL);
    pipeline_free(p);
    alerts_destroy(a, 0);
    cw_free(&o);
    return kept;
}

static void test_first_assignment_keeps_or_drops(void **state) {
    (void)state;
    int64_t o1, o3;
    const int32_t same[] = {3, 1};
    assert_int_equal(first_assignment(same, 2, &o1, &o3), 1);
    assert_int_equal(o1, 500);
    assert_int_equal(o3, 700);
    const int32_t more[] = {0, 1, 2, 3}; /* aggregate.instances changed */
    assert_int_equal(first_assignment(more, 4, &o1, &o3), 0);
    assert_int_equal(o1, -1);
    assert_int_equal(o3, -1);
    const int32_t fewer[] = {1};
    assert_int_equal(first_assignment(fewer, 1, &o1, &o3), 0);
    assert_int_equal(o1, -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kinds_of_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_assignment_keeps_or_drops, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
