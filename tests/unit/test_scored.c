/* Unit tests for ingest/scored: a scored record decodes back to the event
 * it was made from (floats exactly, the key and the input origin), and bad
 * records are dead-letter reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/scored.h"
#include "util/xalloc.h"

static event *sample_event(void) {
    event *e = xcalloc(1, sizeof *e);
    e->id = xstrdup("n-1");
    e->stream = xstrdup("news");
    e->ts_ms = 1772445600123;
    e->source = xstrdup("Wirewatch");
    e->text = xstrdup("Harbor Bancorp \xe2\x80\x94 probe");
    event_add_entity(e, "HRBK");
    event_add_entity(e, "BRK.B");
    e->origin_topic = xstrdup("news");
    e->origin_partition = 7;
    e->origin_offset = 12345;
    snprintf(e->topic.label, sizeof e->topic.label, "Legal / Regulation");
    e->topic.score = 0.7123456789f;
    e->topic.index = 3;
    snprintf(e->sentiment.label, sizeof e->sentiment.label, "negative");
    e->sentiment.score = 0.98765431f;
    e->sentiment.index = 0;
    e->p_negative = 0.98765431f;
    return e;
}

static event *decode(const char *json, int32_t part, int64_t off, decode_result *r) {
    decode_msg m = {.payload = json, .len = strlen(json), .topic = "scored", .partition = part, .offset = off,
                    .timestamp_ms = -1};
    return scored_decode(NULL, NULL, &m, r);
}

static void test_round_trip(void **state) {
    (void)state;
    event *e = sample_event();
    char *json = scored_record_json(e, "entity=HRBK");
    decode_result r;
    event *d = decode(json, 2, 99, &r);
    assert_non_null(d);
    assert_int_equal(r.reason, DECODE_OK);
    assert_string_equal(d->id, e->id);
    assert_string_equal(d->stream, e->stream);
    assert_string_equal(d->text, e->text);
    assert_string_equal(d->source, e->source);
    assert_int_equal(d->ts_ms, e->ts_ms);
    assert_int_equal(d->n_entities, 2);
    assert_string_equal(d->entities[1], "BRK.B");
    assert_string_equal(d->topic.label, e->topic.label);
    assert_true(d->topic.score == e->topic.score);
    assert_int_equal(d->topic.index, 3);
    assert_string_equal(d->sentiment.label, "negative");
    assert_true(d->sentiment.score == e->sentiment.score);
    assert_true(d->p_negative == e->p_negative);
    assert_string_equal(d->agg_key, "entity=HRBK");
    assert_string_equal(d->in_topic, "news");
    assert_int_equal(d->in_partition, 7);
    assert_int_equal(d->in_offset, 12345);
    assert_string_equal(d->origin_topic, "scored");
    assert_int_equal(d->origin_partition, 2);
    assert_int_equal(d->origin_offset, 99);
    free(json);
    event_free(d);
    event_free(e);
}

static void test_bad_records(void **state) {
    (void)state;
    decode_result r;
    assert_null(decode("not json", 0, 0, &r));
    assert_int_equal(r.reason, DECODE_INVALID_JSON);
    assert_null(decode("[1]", 0, 0, &r));
    assert_int_equal(r.reason, DECODE_NOT_AN_OBJECT);
    event *e = sample_event();
    char *json = scored_record_json(e, "*");
    char *nokey = xstrdup(json);
    char *k = strstr(nokey, "\"key\"");
    assert_non_null(k);
    k[1] = 'K'; /* "Key": the key field is missing */
    assert_null(decode(nokey, 0, 0, &r));
    assert_int_equal(r.reason, DECODE_BAD_FIELD_TYPE);
    assert_non_null(strstr(r.detail, "\"key\""));
    assert_null(decode("", 0, 0, &r));
    assert_int_equal(r.reason, DECODE_EMPTY_MESSAGE);
    free(nokey);
    free(json);
    event_free(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_records),
    };
    return cmocka_run_group_tests_name("scored", tests, NULL, NULL);
}
