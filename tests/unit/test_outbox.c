/* Unit tests for alerts/outbox: replay of pending entries, mode 0600, a torn
 * last record after a crash, compaction, a write error (file size limit)
 * that loses nothing accepted before, and the max_bytes cap and fsync
 * setting of outbox_configure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alerts/outbox.h"
#include "util/xalloc.h"
#include "tests/support/outbox_dir.h"

static char dir[64];
static char path[128];
static const char *two[] = {"hook", "kafka"};

static int setup(void **state) {
    (void)state;
    if (outbox_dir_make("outbox", dir, sizeof dir, path, sizeof path) < 0) return -1;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    outbox_dir_remove(dir, path);
    return 0;
}

static outbox *open_ok(void) {
    char err[256] = "";
    outbox *ob = outbox_open(path, err, sizeof err);
    if (!ob) fail_msg("outbox_open: %s", err);
    return ob;
}

static void put_n(outbox *ob, int from, int to) {
    for (int i = from; i < to; i++) {
        char id[32], body[64];
        snprintf(id, sizeof id, "id-%d", i);
        snprintf(body, sizeof body, "{\"n\":%d}", i);
        assert_int_equal(outbox_put(ob, id, "entity=X", body, two, 2, 1000 + i, NULL), 0);
    }
}

static void test_replay_pending_and_mode(void **state) {
    (void)state;
    outbox *ob = open_ok();
    put_n(ob, 0, 3);
    const outbox_entry *e0 = outbox_entry_at(ob, 0);
    uint64_t s0 = e0->seq, s1 = outbox_entry_at(ob, 1)->seq;
    assert_int_equal(outbox_mark(ob, s0, "hook", OUTBOX_DELIVERED, NULL), 0);
    assert_int_equal(outbox_mark(ob, s0, "kafka", OUTBOX_FAILED, "400 Bad Request"), 0);
    assert_int_equal(outbox_mark(ob, s1, "hook", OUTBOX_DELIVERED, NULL), 0);
    assert_int_equal(outbox_n_pending(ob), 2);
    outbox_close(ob);

    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    ob = open_ok();
    assert_int_equal(outbox_count(ob), 3);
    assert_int_equal(outbox_n_pending(ob), 2);
    const outbox_entry *e = outbox_find(ob, s1);
    assert_non_null(e);
    assert_string_equal(e->id, "id-1");
    assert_string_equal(e->body, "{\"n\":1}");
    assert_string_equal(e->key, "entity=X");
    assert_int_equal(e->created_ms, 1001);
    assert_int_equal(e->state[0], OUTBOX_DELIVERED);
    assert_int_equal(e->state[1], OUTBOX_PENDING);
    /* new entries continue the sequence */
    uint64_t s3;
    assert_int_equal(outbox_put(ob, "id-3", "k", "{}", two, 1, 0, &s3), 0);
    assert_true(s3 > outbox_entry_at(ob, 2)->seq);
    outbox_close(ob);
}

static void test_torn_tail_truncated(void **state) {
    (void)state;
    outbox *ob = open_ok();
    put_n(ob, 0, 5);
    int64_t size = outbox_file_size(ob);
    outbox_close(ob);
    /* a crash in the middle of the last write: 7 bytes of it missing */
    assert_int_equal(truncate(path, size - 7), 0);
    ob = open_ok();
    assert_int_equal(outbox_count(ob), 4);
    assert_int_equal(outbox_n_pending(ob), 4);
    assert_string_equal(outbox_entry_at(ob, 3)->id, "id-3");
    int64_t cut = outbox_file_size(ob);
    assert_true(cut < size - 7);
    struct stat sb;
    stat(path, &sb);
    assert_int_equal(sb.st_size, cut); /* the torn bytes are gone from the file */
    put_n(ob, 5, 6);
    outbox_close(ob);
    ob = open_ok();
    assert_int_equal(outbox_count(ob), 5);
    assert_string_equal(outbox_entry_at(ob, 4)->id, "id-5");
    outbox_close(ob);
}

static void test_corrupt_byte_detected(void **state) {
    (void)state;
    outbox *ob = open_ok();
    put_n(ob, 0, 3);
    int64_t size = outbox_file_size(ob);
    outbox_close(ob);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    char c = 'Z';
    assert_int_equal(pwrite(fd, &c, 1, size - 3), 1); /* inside the last record's sink name */
    close(fd);
    ob = open_ok();
    assert_int_equal(outbox_count(ob), 2);
    outbox_close(ob);
}

/* Writes a log of one CRC-valid entry with the given seq, no sinks. */
static void write_entry_with_seq(uint64_t seq) {
    uint8_t rec[64];
    size_t n = 0;
    rec[n++] = 'E';
    for (int i = 0; i < 8; i++) rec[n++] = (uint8_t)(seq >> (8 * i));
    for (int i = 0; i < 8; i++) rec[n++] = 0;    /* created_ms */
    rec[n++] = 0, rec[n++] = 0;                  /* no sinks */
    for (int k = 0; k < 3; k++) {                /* id, key, body: "x" */
        rec[n++] = 1, rec[n++] = 0, rec[n++] = 0, rec[n++] = 0;
        rec[n++] = 'x';
    }
    uint8_t head[8];
    uint32_t crc = outbox_crc32(rec, n);
    for (int i = 0; i < 4; i++) head[i] = (uint8_t)(n >> (8 * i)), head[4 + i] = (uint8_t)(crc >> (8 * i));
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(head, 1, 8, f);
    fwrite(rec, 1, n, f);
    fclose(f);
}

/* Found by fuzz/fuzz_outbox: a CRC-valid entry with seq UINT64_MAX (or
 * UINT64_MAX - 1) wrapped next_seq to 0, so a put got seq 0, out of order,
 * and was dropped (lost) on the next open. Now a seq beyond INT64_MAX is
 * malformed (cut off), and a put past it fails with an error instead. */
static void test_max_seq(void **state) {
    (void)state;
    write_entry_with_seq(UINT64_MAX - 1);
    outbox *ob = open_ok();
    assert_int_equal(outbox_count(ob), 0);
    put_n(ob, 0, 1);
    outbox_close(ob);
    ob = open_ok();
    assert_int_equal(outbox_count(ob), 1);
    assert_string_equal(outbox_entry_at(ob, 0)->id, "id-0");
    outbox_close(ob);

    write_entry_with_seq((uint64_t)INT64_MAX);
    ob = open_ok();
    assert_int_equal(outbox_count(ob), 1);
    assert_int_equal(outbox_put(ob, "id-x", "k", "{}", two, 2, 1, NULL), -1);
    assert_non_null(strstr(outbox_error(ob), "sequence numbers exhausted"));
    outbox_close(ob);
    ob = open_ok();
    assert_int_equal(outbox_count(ob), 1);
    outbox_close(ob);
}

static void test_compaction(void **state) {
    (void)state;
    outbox *ob = open_ok();
    put_n(ob, 0, 10);
    for (int i = 0; i < 7; i++) {
        uint64_t s = outbox_entry_at(ob, i)->seq;
        outbox_mark(ob, s, "hook", OUTBOX_DELIVERED, NULL);
        outbox_mark(ob, s, "kafka", OUTBOX_DELIVERED, NULL);
    }
    outbox_mark(ob, outbox_entry_at(ob, 8)->seq, "kafka", OUTBOX_DELIVERED, NULL);
    int64_t before = outbox_file_size(ob);
    assert_int_equal(outbox_compact(ob), 0);
    assert_true(outbox_file_size(ob) < before);
    assert_int_equal(outbox_count(ob), 3);
    /* the log stays writable after the swap */
    put_n(ob, 10, 11);
    outbox_close(ob);
    struct stat sb;
    stat(path, &sb);
    assert_int_equal(sb.st_mode & 0777, 0600);
    ob = open_ok();
    assert_int_equal(outbox_count(ob), 4);
    assert_string_equal(outbox_entry_at(ob, 0)->id, "id-7");
    assert_string_equal(outbox_entry_at(ob, 1)->id, "id-8");
    assert_int_equal(outbox_entry_at(ob, 1)->state[0], OUTBOX_PENDING);
    assert_int_equal(outbox_entry_at(ob, 1)->state[1], OUTBOX_DELIVERED);
    assert_string_equal(outbox_entry_at(ob, 3)->id, "id-10");
    outbox_close(ob);
}

static void test_write_error_loses_nothing(void **state) {
    (void)state;
    outbox *ob = open_ok();
    put_n(ob, 0, 3);
    int64_t size = outbox_file_size(ob);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = (rlim_t)size + 20; /* room for a part of the next record only: a full disk */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    char *big = xmalloc(4096);
    memset(big, 'x', 4095);
    big[4095] = 0;
    int rc = outbox_put(ob, "big", "k", big, two, 2, 0, NULL);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    free(big);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(outbox_error(ob), "File too large"));
    assert_int_equal(outbox_count(ob), 3);
    assert_int_equal(outbox_file_size(ob), size);
    put_n(ob, 3, 4); /* works again once there is room */
    outbox_close(ob);
    ob = open_ok();
    assert_int_equal(outbox_count(ob), 4);
    assert_string_equal(outbox_entry_at(ob, 3)->id, "id-3");
    outbox_close(ob);
}

static void deliver(outbox *ob, int i) {
    uint64_t s = outbox_entry_at(ob, i)->seq;
    assert_int_equal(outbox_mark(ob, s, "hook", OUTBOX_DELIVERED, NULL), 0);
    assert_int_equal(outbox_mark(ob, s, "kafka", OUTBOX_DELIVERED, NULL), 0);
}

/* Past max_bytes a put fails like a full disk; once entries are delivered,
 * the next put compacts them away and fits. */
static void test_max_bytes_caps_then_compacts(void **state) {
    (void)state;
    outbox *ob = open_ok();
    put_n(ob, 0, 1);
    int64_t one = outbox_file_size(ob);
    outbox_configure(ob, 1, one * 3 + one / 2); /* room for three entries and some marks */
    put_n(ob, 1, 3);
    int64_t size = outbox_file_size(ob);
    assert_int_equal(outbox_put(ob, "id-3", "entity=X", "{\"n\":3}", two, 2, 0, NULL), -1);
    assert_non_null(strstr(outbox_error(ob), "max_bytes"));
    assert_int_equal(outbox_count(ob), 3);
    assert_int_equal(outbox_file_size(ob), size);
    deliver(ob, 0); /* the marks are written past the cap: they free space */
    deliver(ob, 1);
    assert_true(outbox_file_size(ob) > one * 3 + one / 2);
    put_n(ob, 3, 4);
    assert_int_equal(outbox_count(ob), 2); /* id-2 and id-3: the delivered two were compacted */
    assert_true(outbox_file_size(ob) <= one * 3 + one / 2);
    outbox_close(ob);
    ob = open_ok();
    assert_int_equal(outbox_count(ob), 2);
    assert_string_equal(outbox_entry_at(ob, 0)->id, "id-2");
    assert_string_equal(outbox_entry_at(ob, 1)->id, "id-3");
    outbox_close(ob);
}

/* Without fsync the log is the same bytes: a reopen replays every entry. */
static void test_no_fsync_still_replays(void **state) {
    (void)state;
    outbox *ob = open_ok();
    outbox_configure(ob, 0, 0);
    put_n(ob, 0, 5);
    deliver(ob, 1);
    outbox_close(ob);
    ob = open_ok();
    assert_int_equal(outbox_count(ob), 5);
    assert_int_equal(outbox_n_pending(ob), 4);
    assert_string_equal(outbox_entry_at(ob, 4)->id, "id-4");
    outbox_close(ob);
}

static void test_open_error(void **state) {
    (void)state;
    char err[256] = "";
    assert_null(outbox_open("/nonexistent-dir/outbox.log", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent-dir/outbox.log"));
}

static void test_crc32_known_value(void **state) {
    (void)state;
    assert_int_equal(outbox_crc32("123456789", 9), 0xCBF43926u);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replay_pending_and_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_byte_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_seq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_error_loses_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_bytes_caps_then_compacts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_fsync_still_replays, setup, teardown),
        cmocka_unit_test(test_open_error),
        cmocka_unit_test(test_crc32_known_value),
    };
    return cmocka_run_group_tests_name("outbox", tests, NULL, NULL);
}
