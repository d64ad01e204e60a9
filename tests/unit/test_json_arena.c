/* Unit tests for util/json_arena: allocations come from the calling
 * thread's arena only between begin and end, an allocation that does not
 * fit falls back to malloc (and is freed by the same hook), end resets the
 * arena, another thread's arena is its own, cJSON (whose hooks are the
 * arena's) parses documents larger than the arena, and a JSON log line
 * written inside an arena is freed by cJSON's hook, not free(). ASan
 * checks that no arena pointer reaches free() and no fallback leaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_arena.h"
#include "util/log.h"
#include "util/xalloc.h"

static void test_off_is_malloc(void **state) {
    (void)state;
    void *p = json_arena_alloc(100);
    assert_non_null(p);
    assert_false(json_arena_owns(p));
    memset(p, 1, 100);
    json_arena_free(p); /* free(): ASan reports a leak otherwise */
    json_arena_begin();
    json_arena_end();
    p = json_arena_alloc(10); /* after end: malloc again */
    assert_false(json_arena_owns(p));
    json_arena_free(p);
}

static void test_bump_and_reset(void **state) {
    (void)state;
    json_arena_begin();
    char *a = json_arena_alloc(3), *b = json_arena_alloc(40);
    assert_true(json_arena_owns(a) && json_arena_owns(b));
    assert_ptr_equal(b, a + 16); /* 16-byte steps */
    assert_int_equal((uintptr_t)b % 16, 0);
    memset(b, 7, 40);
    json_arena_free(a); /* ignored */
    json_arena_free(b);
    json_arena_end();
    json_arena_begin();
    assert_ptr_equal(json_arena_alloc(1), a); /* reset: from the start again */
    json_arena_end();
}

static void test_fallback_when_it_does_not_fit(void **state) {
    (void)state;
    json_arena_begin();
    void *big = json_arena_alloc(JSON_ARENA_BYTES + 1);
    assert_non_null(big);
    assert_false(json_arena_owns(big));
    memset(big, 0, JSON_ARENA_BYTES + 1);
    void *most = json_arena_alloc(JSON_ARENA_BYTES - 16);
    assert_true(json_arena_owns(most));
    void *fits = json_arena_alloc(16); /* exactly the rest */
    assert_true(json_arena_owns(fits));
    void *over = json_arena_alloc(1); /* full: malloc */
    assert_false(json_arena_owns(over));
    json_arena_free(big);
    json_arena_free(over);
    json_arena_free(most);
    json_arena_end();
}

static void *other_thread(void *arg) {
    void *mine = arg;
    json_arena_begin();
    void *p = json_arena_alloc(32);
    int ok = json_arena_owns(p) && !json_arena_owns(mine);
    json_arena_end();
    return ok ? p : NULL; /* the arena is freed as the thread exits */
}

static void test_arenas_are_per_thread(void **state) {
    (void)state;
    json_arena_begin();
    void *mine = json_arena_alloc(32);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread, mine), 0);
    void *theirs;
    pthread_join(t, &theirs);
    assert_non_null(theirs);
    assert_ptr_not_equal(theirs, mine);
    assert_false(json_arena_owns(theirs));
    json_arena_end();
}

/* A JSON array of n strings of 100 bytes each (caller frees). */
static char *doc(int n) {
    char *s = xmalloc((size_t)n * 110 + 8), *w = s;
    *w++ = '[';
    for (int i = 0; i < n; i++) {
        w += sprintf(w, "%s\"%0100d\"", i ? "," : "", i);
    }
    strcpy(w, "]");
    return s;
}

static void test_cjson_through_the_arena(void **state) {
    (void)state;
    char *small = doc(10), *large = doc(2000); /* ~300 KB of nodes and strings: spills to malloc */
    json_arena_begin();
    cJSON *a = cJSON_Parse(small);
    assert_non_null(a);
    assert_true(json_arena_owns(a));
    assert_true(json_arena_owns(cJSON_GetArrayItem(a, 9)->valuestring));
    cJSON *b = cJSON_Parse(large);
    assert_non_null(b);
    assert_int_equal(cJSON_GetArraySize(b), 2000);
    assert_false(json_arena_owns(cJSON_GetArrayItem(b, 1999)));
    assert_int_equal(atoi(cJSON_GetArrayItem(b, 1999)->valuestring), 1999);
    cJSON_Delete(a);
    cJSON_Delete(b);
    json_arena_end();
    cJSON *c = cJSON_Parse(small); /* outside: plain malloc, freed by cJSON_Delete */
    assert_false(json_arena_owns(c));
    char *printed = cJSON_PrintUnformatted(c);
    assert_string_equal(printed, small);
    cJSON_free(printed);
    cJSON_Delete(c);
    free(small);
    free(large);
}

static void test_json_log_inside_the_arena(void **state) {
    (void)state;
    enum log_level saved = log_get_level();
    log_set_level(LOG_INFO);
    log_set_format(LOG_FORMAT_JSON); /* the line is made with cJSON */
    json_arena_begin();
    log_info("test", "logged while the arena is on");
    json_arena_end();
    log_set_format(LOG_FORMAT_AUTO);
    log_set_level(saved);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_is_malloc),
        cmocka_unit_test(test_bump_and_reset),
        cmocka_unit_test(test_fallback_when_it_does_not_fit),
        cmocka_unit_test(test_arenas_are_per_thread),
        cmocka_unit_test(test_cjson_through_the_arena),
        cmocka_unit_test(test_json_log_inside_the_arena),
    };
    return cmocka_run_group_tests_name("json_arena", tests, NULL, NULL);
}
