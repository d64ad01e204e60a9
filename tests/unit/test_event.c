/* Unit tests for util/event: a packed event (event_new_packed) holds copies
 * of its strings in one allocation, and event_add_entity, event_set_string
 * and event_free keep working on it as on an event built field by field
 * (ASan checks that nothing inside the block is freed alone and nothing
 * outside it leaks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/event.h"
#include "util/xalloc.h"

/* 1 when p lies inside e's packed allocation */
static int inside(const event *e, const void *p) {
    return (const char *)p >= (const char *)e && (const char *)p < (const char *)e + e->packed_bytes;
}

static event *packed_sample(void) {
    const char *ents[] = {"AAPL", "GS"};
    char text[] = "Apple up. More text that is not copied";
    event_strings s = {.id = "n-1",
                       .stream = "news",
                       .source = "wire",
                       .origin_topic = "in",
                       .text = text,
                       .text_len = 8,
                       .entities = ents,
                       .n_entities = 2};
    event *e = event_new_packed(&s);
    text[0] = 'X'; /* the event holds copies */
    return e;
}

static void test_packed_copies(void **state) {
    (void)state;
    event *e = packed_sample();
    assert_string_equal(e->id, "n-1");
    assert_string_equal(e->stream, "news");
    assert_string_equal(e->source, "wire");
    assert_string_equal(e->origin_topic, "in");
    assert_string_equal(e->text, "Apple up");
    assert_int_equal(e->n_entities, 2);
    assert_string_equal(e->entities[0], "AAPL");
    assert_string_equal(e->entities[1], "GS");
    assert_int_equal(e->topic.index, -1);
    assert_int_equal(e->sentiment.index, -1);
    assert_null(e->agg_key);
    assert_true(inside(e, e->id) && inside(e, e->text) && inside(e, e->entities) && inside(e, e->entities[1]));
    assert_true(inside(e, e->entities[1] + strlen(e->entities[1])));
    event_free(e);
}

static void test_packed_optional_strings(void **state) {
    (void)state;
    event_strings s = {.id = "x", .text = "t", .text_len = 1};
    event *e = event_new_packed(&s);
    assert_null(e->stream);
    assert_null(e->source);
    assert_null(e->origin_topic);
    assert_null(e->entities);
    assert_int_equal(e->n_entities, 0);
    event_add_entity(e, "A"); /* a heap array from nothing */
    assert_false(inside(e, e->entities));
    assert_string_equal(e->entities[0], "A");
    event_free(e);
}

static void test_packed_grows_and_replaces(void **state) {
    (void)state;
    event *e = packed_sample();
    event_add_entity(e, "GS"); /* present: nothing changes */
    assert_int_equal(e->n_entities, 2);
    assert_true(inside(e, e->entities));
    event_add_entity(e, "MSFT"); /* the packed array moves out, the old strings stay inside */
    assert_int_equal(e->n_entities, 3);
    assert_false(inside(e, e->entities));
    assert_true(inside(e, e->entities[0]));
    assert_false(inside(e, e->entities[2]));
    assert_string_equal(e->entities[0], "AAPL");
    assert_string_equal(e->entities[2], "MSFT");
    event_add_entity(e, "TSLA"); /* now an ordinary realloc */
    assert_string_equal(e->entities[3], "TSLA");
    event_set_string(e, &e->origin_topic, NULL);
    assert_null(e->origin_topic);
    event_set_string(e, &e->text, "replaced");
    assert_false(inside(e, e->text));
    event_set_string(e, &e->text, "again"); /* frees the heap copy */
    assert_string_equal(e->text, "again");
    event_set_string(e, &e->agg_key, "k");
    event_free(e);
}

static void test_unpacked_event(void **state) {
    (void)state;
    event *e = xcalloc(1, sizeof *e);
    e->id = xstrdup("id");
    e->text = xstrdup("t");
    event_add_entity(e, "A");
    event_set_string(e, &e->id, "id2");
    assert_string_equal(e->id, "id2");
    event_free(e);
    event_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packed_copies),
        cmocka_unit_test(test_packed_optional_strings),
        cmocka_unit_test(test_packed_grows_and_replaces),
        cmocka_unit_test(test_unpacked_event),
    };
    return cmocka_run_group_tests_name("event", tests, NULL, NULL);
}
