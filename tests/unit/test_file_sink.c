/* Unit tests for alerts/file_sink through the deliverer: alerts appended as
 * JSON lines (mode 0600) and marked delivered in the outbox; a write that
 * fails (file size limit) leaves no torn line, keeps the alert pending and
 * is retried in order; a duplicate name or an unopenable path is refused
 * with a one-line reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alerts/deliver.h"
#include "alerts/outbox.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "tests/support/curl_group.h"
#include "tests/support/outbox_dir.h"

static char dir[64];
static char path[128];
static char lines_path[160];
static const char *sinks[] = {"local"};

static int setup(void **state) {
    (void)state;
    if (outbox_dir_make("filesink", dir, sizeof dir, path, sizeof path) < 0) return -1;
    snprintf(lines_path, sizeof lines_path, "%s/alerts.jsonl", dir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    unlink(lines_path);
    outbox_dir_remove(dir, path);
    return 0;
}

/* The file's contents ("" when absent); caller frees. */
static char *slurp(const char *p) {
    FILE *f = fopen(p, "rb");
    if (!f) return xstrdup("");
    char *buf = xcalloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void put(outbox *ob, const char *id) {
    char body[64];
    snprintf(body, sizeof body, "{\"id\":\"%s\"}", id);
    assert_int_equal(outbox_put(ob, id, "entity=X", body, sinks, 1, time_now_ms(), NULL), 0);
}

/* An outbox and a deliverer with one file sink "local" at lines_path. */
static deliverer *open_deliverer(outbox **ob) {
    char err[256] = "";
    *ob = outbox_open(path, err, sizeof err);
    assert_non_null(*ob);
    deliverer *d = dlv_create(*ob);
    assert_int_equal(dlv_add_file(d, "local", lines_path, err, sizeof err), 0);
    return d;
}

static void test_appends_lines_and_marks_delivered(void **state) {
    (void)state;
    outbox *ob;
    deliverer *d = open_deliverer(&ob);
    put(ob, "a1");
    put(ob, "a2");
    assert_int_equal(dlv_poll(d, 0), 0); /* handed out and written synchronously */
    assert_int_equal(dlv_pending(d), 0);
    assert_int_equal(dlv_get_counts(d).delivered, 2);
    char *text = slurp(lines_path);
    assert_string_equal(text, "{\"id\":\"a1\"}\n{\"id\":\"a2\"}\n");
    free(text);
    struct stat sb;
    assert_int_equal(stat(lines_path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    dlv_destroy(d, 0);
    outbox_close(ob);
}

static void test_failed_write_waits_and_retries_in_order(void **state) {
    (void)state;
    outbox *ob;
    deliverer *d = open_deliverer(&ob);
    put(ob, "a1");
    dlv_poll(d, 0);
    struct stat sb;
    assert_int_equal(stat(lines_path, &sb), 0);
    /* the outbox lives in the same process: give it room, the line file none */
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    put(ob, "a2");
    put(ob, "a3");
    lim = old;
    lim.rlim_cur = (rlim_t)sb.st_size + 5; /* part of the next line fits: a torn write */
    setrlimit(RLIMIT_FSIZE, &lim);
    dlv_poll(d, 0);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    assert_int_equal(dlv_pending(d), 2);
    assert_int_equal(dlv_get_counts(d).failed, 0);
    char *text = slurp(lines_path);
    assert_string_equal(text, "{\"id\":\"a1\"}\n"); /* the torn part was cut off */
    free(text);
    for (int i = 0; i < 300 && dlv_pending(d) > 0; i++) { /* retried about once a second */
        dlv_poll(d, 0);
        usleep(10000);
    }
    assert_int_equal(dlv_pending(d), 0);
    text = slurp(lines_path);
    assert_string_equal(text, "{\"id\":\"a1\"}\n{\"id\":\"a2\"}\n{\"id\":\"a3\"}\n");
    free(text);
    dlv_destroy(d, 0);
    outbox_close(ob);
}

static void test_refusals_named(void **state) {
    (void)state;
    outbox *ob;
    deliverer *d = open_deliverer(&ob);
    char err[256] = "";
    assert_int_equal(dlv_add_file(d, "local", lines_path, err, sizeof err), -1);
    assert_non_null(strstr(err, "sink \"local\": defined twice"));
    assert_int_equal(dlv_add_file(d, "other", "/nonexistent-dir/alerts.jsonl", err, sizeof err), -1);
    assert_non_null(strstr(err, "sink \"other\": /nonexistent-dir/alerts.jsonl: No such file or directory"));
    dlv_destroy(d, 0);
    outbox_close(ob);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_appends_lines_and_marks_delivered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_waits_and_retries_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals_named, setup, teardown),
    };
    return cmocka_run_group_tests_name("file_sink", tests, curl_group_setup, curl_group_teardown);
}
