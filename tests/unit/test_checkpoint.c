/* Unit tests for app/checkpoint: the lock (one process per directory),
 * atomic snapshots and their validation (truncated, corrupt, foreign
 * format, not a checkpoint), the fallback to the previous snapshot, and a
 * full disk (RLIMIT_FSIZE makes every write past a size fail, as ENOSPC
 * would): the write fails visibly, nothing durable is lost, the next one
 * succeeds. */
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
#include <time.h>
#include <unistd.h>

#include "app/checkpoint.h"
#include "util/log.h"
#include "util/xalloc.h"

static char *make_dir(void) {
    char *d = xstrdup("/tmp/finsent-ckpt-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void remove_dir(char *d) {
    const char *names[] = {"LOCK", "state.ckpt", "state.prev.ckpt", "state.ckpt.tmp"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char *p = xasprintf("%s/%s", d, names[i]);
        unlink(p);
        free(p);
    }
    rmdir(d);
    free(d);
}

static unsigned char *payload(size_t n, int seed) {
    unsigned char *p = xmalloc(n);
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(i * 31 + (size_t)seed);
    return p;
}

/* Submits and waits (bounded) until seq is durable or its write failed;
 * returns 0 or -1. */
static int write_wait(ckpt_store *s, size_t n, int seed, uint64_t seq) {
    int64_t failed = ckpt_get_stats(s).failed;
    assert_int_equal(ckpt_submit(s, payload(n, seed), n, seq), 0);
    for (int i = 0; i < 500 && ckpt_durable(s) < seq && ckpt_get_stats(s).failed == failed; i++) {
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    return ckpt_durable(s) >= seq ? 0 : -1;
}

static void expect_read(ckpt_store *s, size_t n, int seed, uint64_t seq) {
    unsigned char *p = NULL;
    size_t len = 0;
    uint64_t got = 0;
    char err[512];
    assert_int_equal(ckpt_read(s, &p, &len, &got, err, sizeof err), 1);
    assert_int_equal(len, n);
    assert_true(got == seq);
    unsigned char *want = payload(n, seed);
    assert_memory_equal(p, want, n);
    free(want);
    free(p);
}

static void corrupt(const char *dir, const char *name, long at, int truncate_to) {
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    if (truncate_to >= 0) {
        assert_int_equal(ftruncate(fileno(f), truncate_to), 0);
    } else {
        fseek(f, at, SEEK_SET);
        int c = fgetc(f);
        fseek(f, at, SEEK_SET);
        fputc(c ^ 0x01, f);
    }
    fclose(f);
    free(path);
}

static void test_lock(void **state) {
    (void)state;
    char *d = make_dir();
    char err[512];
    ckpt_store *a = ckpt_open(d, err, sizeof err);
    assert_non_null(a);
    ckpt_store *b = ckpt_open(d, err, sizeof err);
    assert_null(b);
    char pid[64];
    snprintf(pid, sizeof pid, "(pid %ld)", (long)getpid());
    assert_non_null(strstr(err, "in use by another finsent process"));
    assert_non_null(strstr(err, pid));
    assert_null(strchr(err, '\n'));
    ckpt_close(a, 1000);
    b = ckpt_open(d, err, sizeof err); /* released on close */
    assert_non_null(b);
    ckpt_close(b, 1000);
    remove_dir(d);
}

static void test_write_read_fallback(void **state) {
    (void)state;
    char *d = make_dir();
    char err[512];
    ckpt_store *s = ckpt_open(d, err, sizeof err);
    unsigned char *p;
    size_t len;
    uint64_t seq;
    assert_int_equal(ckpt_read(s, &p, &len, &seq, err, sizeof err), 0); /* nothing yet */
    assert_int_equal(write_wait(s, 5000, 1, 1), 0);
    assert_int_equal(write_wait(s, 7000, 2, 2), 0);
    expect_read(s, 7000, 2, 2);
    /* newest corrupt: the previous one, with a warning */
    corrupt(d, "state.ckpt", 3000, -1);
    expect_read(s, 5000, 1, 1);
    /* both bad: an error naming both files and what is wrong */
    corrupt(d, "state.prev.ckpt", 0, 20);
    assert_int_equal(ckpt_read(s, &p, &len, &seq, err, sizeof err), -1);
    assert_non_null(strstr(err, "state.ckpt: checksum mismatch"));
    assert_non_null(strstr(err, "state.prev.ckpt: truncated"));
    ckpt_close(s, 1000);
    remove_dir(d);
}

static void test_bad_files(void **state) {
    (void)state;
    char *d = make_dir();
    char err[512];
    ckpt_store *s = ckpt_open(d, err, sizeof err);
    assert_int_equal(write_wait(s, 100, 3, 1), 0);
    char *path = xasprintf("%s/state.ckpt", d);
    FILE *f = fopen(path, "rb");
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    const unsigned char *pl;
    size_t len;
    uint64_t seq;
    assert_int_equal(ckpt_parse(buf, n, &pl, &len, &seq, err, sizeof err), 0);
    assert_int_equal(len, 100);
    /* every proper prefix is refused */
    for (size_t k = 0; k < n; k++) assert_int_equal(ckpt_parse(buf, k, &pl, &len, &seq, err, sizeof err), -1);
    /* a later format */
    buf[8] = 2;
    assert_int_equal(ckpt_parse(buf, n, &pl, &len, &seq, err, sizeof err), -1);
    assert_non_null(strstr(err, "format 2"));
    buf[8] = 1;
    /* not a checkpoint */
    memcpy(buf, "{\"json\"", 7);
    assert_int_equal(ckpt_parse(buf, n, &pl, &len, &seq, err, sizeof err), -1);
    assert_string_equal(err, "not a finsent checkpoint");
    free(path);
    ckpt_close(s, 1000);
    remove_dir(d);
}

static void test_full_disk(void **state) {
    (void)state;
    char *d = make_dir();
    char err[512];
    ckpt_store *s = ckpt_open(d, err, sizeof err);
    assert_int_equal(write_wait(s, 2000, 4, 1), 0);
    struct rlimit old, small = {1024, 1024};
    getrlimit(RLIMIT_FSIZE, &old);
    small.rlim_max = old.rlim_max;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    assert_int_equal(write_wait(s, 50000, 5, 2), -1); /* the write fails ... */
    setrlimit(RLIMIT_FSIZE, &old);
    ckpt_stats st = ckpt_get_stats(s);
    assert_int_equal(st.failed, 1);
    assert_true(ckpt_durable(s) == 1); /* ... and the durable one is still the first */
    expect_read(s, 2000, 4, 1);
    char *tmp = xasprintf("%s/state.ckpt.tmp", d);
    assert_int_not_equal(access(tmp, F_OK), 0); /* no torn temp file left */
    free(tmp);
    assert_int_equal(write_wait(s, 50000, 6, 3), 0); /* space again: written */
    expect_read(s, 50000, 6, 3);
    ckpt_close(s, 1000);
    remove_dir(d);
}

int main(void) {
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock),
        cmocka_unit_test(test_write_read_fallback),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_full_disk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
