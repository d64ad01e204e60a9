/* Unit tests for ingest/decode: each poison kind maps to its reason, field
 * mappings by JSON pointer, cashtags, watch list, truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/decode.h"
#include "util/xalloc.h"

static event *dec(const ingest_options *o, const ingest_input *in, const char *payload, size_t len, decode_result *r) {
    decode_msg m = {.payload = payload, .len = len, .topic = "news", .partition = 3, .offset = 42,
                    .timestamp_ms = 1714566600000LL};
    return decode_message(o, in, &m, r);
}

static event *decs(const char *payload, decode_result *r) { return dec(NULL, NULL, payload, strlen(payload), r); }

static int has_entity(const event *e, const char *k) {
    for (int i = 0; i < e->n_entities; i++)
        if (strcmp(e->entities[i], k) == 0) return 1;
    return 0;
}

static void expect_reason(const char *payload, size_t len, const ingest_options *o, enum decode_reason want) {
    decode_result r;
    event *e = dec(o, NULL, payload, len, &r);
    if (e || r.reason != want)
        fail_msg("payload %.60s: want %s, got %s (%s)", payload, decode_reason_name(want), decode_reason_name(r.reason),
                 r.detail);
    assert_true(r.detail[0] != '\0');
}

/* expect_reason on a NUL-free literal */
#define EXPECT(p, o, want) expect_reason((p), strlen(p), (o), (want))

static void test_poison_kinds(void **state) {
    (void)state;
    ingest_options small = {.max_message_bytes = 64};
    char big[200];
    memset(big, ' ', sizeof big);
    memcpy(big, "{\"text\":\"x\"}", 12);
    EXPECT("", NULL, DECODE_EMPTY_MESSAGE);
    expect_reason(big, sizeof big, &small, DECODE_OVERSIZE);
    EXPECT("{\"text\":\"caf\xc3\"}", NULL, DECODE_INVALID_UTF8);
    EXPECT("{\"text\":\"\xc0\xaf\"}", NULL, DECODE_INVALID_UTF8); /* overlong */
    EXPECT("{\"text\":\"\\udc00\"}", NULL, DECODE_INVALID_JSON); /* lone surrogate escape: cJSON refuses */
    EXPECT("{\"text\": \"abc\"", NULL, DECODE_INVALID_JSON);
    EXPECT("{\"text\":\"a\"} junk", NULL, DECODE_INVALID_JSON);
    expect_reason("{\"text\":\"a\0b\"}", 14, NULL, DECODE_INVALID_JSON);
    EXPECT("[1,2]", NULL, DECODE_NOT_AN_OBJECT);
    EXPECT("\"str\"", NULL, DECODE_NOT_AN_OBJECT);
    EXPECT("{\"text\":5}", NULL, DECODE_BAD_FIELD_TYPE);
    EXPECT("{\"text\":\"a\",\"entities\":\"AAPL\"}", NULL, DECODE_BAD_FIELD_TYPE);
    EXPECT("{\"text\":\"a\",\"entities\":[1]}", NULL, DECODE_BAD_FIELD_TYPE);
    EXPECT("{\"text\":\"a\",\"source\":{}}", NULL, DECODE_BAD_FIELD_TYPE);
    EXPECT("{\"text\":\"a\",\"id\":1.5}", NULL, DECODE_BAD_FIELD_TYPE);
    EXPECT("{\"text\":\"a\",\"ts\":\"yesterday\"}", NULL, DECODE_BAD_TIMESTAMP);
    EXPECT("{\"text\":\"a\",\"ts\":true}", NULL, DECODE_BAD_FIELD_TYPE);
    EXPECT("{\"id\":\"x\"}", NULL, DECODE_MISSING_TEXT);
    EXPECT("{\"title\":\"  \",\"body\":\"\\n\"}", NULL, DECODE_EMPTY_TEXT);
    EXPECT("{\"text\":\"a\",\"id\":\"\"}", NULL, DECODE_EMPTY_ID);
    EXPECT("{\"text\":\"a\",\"entities\":[\"\"]}", NULL, DECODE_BAD_ENTITY);

    char *longid = xmalloc(400);
    memset(longid, 'i', 300);
    longid[300] = '\0';
    char *p = xasprintf("{\"text\":\"a\",\"id\":\"%s\"}", longid);
    expect_reason(p, strlen(p), NULL, DECODE_ID_TOO_LONG);
    free(p);
    free(longid);

    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", "many");
    cJSON *arr = cJSON_AddArrayToObject(o, "entities");
    for (int i = 0; i < 70; i++) {
        char k[16];
        snprintf(k, sizeof k, "E%d", i);
        cJSON_AddItemToArray(arr, cJSON_CreateString(k));
    }
    p = cJSON_PrintUnformatted(o);
    expect_reason(p, strlen(p), NULL, DECODE_TOO_MANY_ENTITIES);
    free(p);
    cJSON_Delete(o);

    decode_result r;
    decode_msg m = {.payload = "{\"text\":\"a\"}", .len = 12, .topic = NULL, .timestamp_ms = -1};
    assert_null(decode_message(NULL, NULL, &m, &r));
    assert_int_equal(r.reason, DECODE_MISSING_TIMESTAMP);
}

static void test_reason_names_stable(void **state) {
    (void)state;
    assert_string_equal(decode_reason_name(DECODE_INVALID_JSON), "invalid_json");
    assert_string_equal(decode_reason_name(DECODE_OVERSIZE), "oversize");
    assert_string_equal(decode_reason_name(DECODE_TOO_MANY_ENTITIES), "too_many_entities");
    for (int i = 0; i < DECODE_N_REASONS; i++) {
        assert_non_null(decode_reason_name((enum decode_reason)i));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(decode_reason_name((enum decode_reason)i), decode_reason_name((enum decode_reason)j));
    }
    assert_string_equal(decode_reason_name(DECODE_N_REASONS), "unknown");
}

static void test_default_mapping(void **state) {
    (void)state;
    decode_result r;
    event *e = decs("{\"id\":\"n1\",\"ts\":\"2024-05-01T12:30:00.250Z\",\"title\":\"Apple beats\",\"body\":\"Shares up\","
                    "\"source\":\"Reuters\",\"entities\":[\"aapl\",\" msft \",\"AAPL\"]}",
                    &r);
    assert_non_null(e);
    assert_int_equal(r.reason, DECODE_OK);
    assert_string_equal(e->id, "n1");
    assert_int_equal(e->ts_ms, 1714566600250LL);
    assert_string_equal(e->text, "Apple beats. Shares up");
    assert_string_equal(e->source, "Reuters");
    assert_string_equal(e->stream, "news");
    assert_string_equal(e->origin_topic, "news");
    assert_int_equal(e->origin_partition, 3);
    assert_int_equal(e->origin_offset, 42);
    assert_int_equal(e->n_entities, 2);
    assert_string_equal(e->entities[0], "AAPL");
    assert_string_equal(e->entities[1], "MSFT");
    event_free(e);

    /* text field, tickers fallback, epoch ms number, numeric id, Kafka ts and id fallbacks */
    e = decs("{\"id\":77,\"ts\":1714566600000,\"text\":\"plain\",\"tickers\":[\"tsla\"]}", &r);
    assert_non_null(e);
    assert_string_equal(e->id, "77");
    assert_string_equal(e->text, "plain");
    assert_true(has_entity(e, "TSLA"));
    assert_null(e->source);
    event_free(e);
    e = decs("{\"title\":\"only a title\",\"ts\":null}", &r);
    assert_non_null(e);
    assert_string_equal(e->id, "news-3-42");
    assert_int_equal(e->ts_ms, 1714566600000LL);
    assert_string_equal(e->text, "only a title");
    event_free(e);
    e = decs("{\"ts\":\"1714566600001\",\"title\":\"\",\"body\":\"only body\"}", &r);
    assert_non_null(e);
    assert_int_equal(e->ts_ms, 1714566600001LL);
    assert_string_equal(e->text, "only body");
    event_free(e);
}

static void test_pointer_mapping(void **state) {
    (void)state;
    ingest_input in = {.topic = "comments", .stream = "social"};
    in.fields.id = "/meta/uuid";
    in.fields.ts = "/meta/created~1at";
    in.fields.title = "/headline";
    in.fields.text = "/content/0";
    in.fields.source = "/by~0user";
    in.fields.entities = "/tags";
    decode_result r;
    const char *p = "{\"meta\":{\"uuid\":\"c-9\",\"created/at\":\"2024-05-01T14:30:00+02:00\"},\"headline\":\"H\","
                    "\"content\":[\"first\",\"second\"],\"by~user\":\"bob\",\"tags\":[\"gs\"],\"entities\":[\"IGNORED\"]}";
    event *e = dec(NULL, &in, p, strlen(p), &r);
    assert_non_null(e);
    assert_string_equal(e->stream, "social");
    assert_string_equal(e->id, "c-9");
    assert_int_equal(e->ts_ms, 1714566600000LL);
    assert_string_equal(e->text, "H. first");
    assert_string_equal(e->source, "bob");
    assert_int_equal(e->n_entities, 1);
    assert_string_equal(e->entities[0], "GS");
    event_free(e);

    cJSON *root = cJSON_Parse("{\"a\":[{\"b\":1}],\"\":2,\"x~y\":3}");
    assert_ptr_equal(decode_pointer(root, ""), root);
    assert_int_equal(decode_pointer(root, "/a/0/b")->valueint, 1);
    assert_int_equal(decode_pointer(root, "/")->valueint, 2);
    assert_int_equal(decode_pointer(root, "/x~0y")->valueint, 3);
    assert_null(decode_pointer(root, "/a/01"));
    assert_null(decode_pointer(root, "/a/-"));
    assert_null(decode_pointer(root, "a"));
    assert_null(decode_pointer(root, "/a/0/b/c"));
    cJSON_Delete(root);
}

static void test_cashtags(void **state) {
    (void)state;
    decode_result r;
    event *e = decs("{\"text\":\"$AAPL up, $brk.b flat; $100 gone, US$5, $TOOLONGX, $GOOG. $X.ABC $aapl $F\"}", &r);
    assert_non_null(e);
    assert_true(has_entity(e, "AAPL"));
    assert_true(has_entity(e, "BRK.B"));
    assert_true(has_entity(e, "GOOG"));
    assert_true(has_entity(e, "F"));
    assert_false(has_entity(e, "100"));
    assert_false(has_entity(e, "TOOLONGX"));
    assert_true(has_entity(e, "X")); /* the suffix is too long: $X followed by "." */
    assert_false(has_entity(e, "X.ABC"));
    assert_int_equal(e->n_entities, 5);
    event_free(e);
}

static void test_watchlist(void **state) {
    (void)state;
    ingest_options o = {0};
    ingest_options_add_watch(&o, "Goldman Sachs", "gs");
    ingest_options_add_watch(&o, "Apple", "AAPL");
    ingest_options_add_watch(&o, "Meta", "META");
    decode_result r;
    const char *p = "{\"text\":\"GOLDMAN SACHS cuts Pineapple; metadata only\",\"entities\":[\"X\"]}";
    event *e = dec(&o, NULL, p, strlen(p), &r);
    assert_non_null(e);
    assert_int_equal(e->n_entities, 2);
    assert_string_equal(e->entities[0], "X");
    assert_string_equal(e->entities[1], "GS");
    event_free(e);
    p = "{\"text\":\"apple, and (Meta)\"}";
    e = dec(&o, NULL, p, strlen(p), &r);
    assert_non_null(e);
    assert_true(has_entity(e, "AAPL"));
    assert_true(has_entity(e, "META"));
    event_free(e);
    ingest_options_free(&o);
}

/* Chinese names in unsegmented text, full-width forms, exchange tickers;
 * the order of keys: field, cashtags, tickers, names as they end. */
static void test_watchlist_any_script(void **state) {
    (void)state;
    ingest_options o = {0};
    ingest_options_add_watch(&o, "贵州茅台", "600519");
    ingest_options_add_watch(&o, "腾讯", "0700");
    decode_result r;
    const char *p = "{\"text\":\"贵州茅台股价暴跌\"}";
    event *e = dec(&o, NULL, p, strlen(p), &r);
    assert_non_null(e);
    assert_int_equal(e->n_entities, 1);
    assert_string_equal(e->entities[0], "600519");
    event_free(e);
    /* a name added after a decode is found by the next one */
    ingest_options_add_watch(&o, "Tencent", "0700");
    ingest_options_add_watch(&o, "600519", "600519");
    p = "{\"title\":\"\xef\xbc\xb4\xef\xbd\x85\xef\xbd\x8e\xef\xbd\x83\xef\xbd\x85\xef\xbd\x8e\xef\xbd\x94 "
        "\xef\xbc\x96\xef\xbc\x90\xef\xbc\x90\xef\xbc\x95\xef\xbc\x91\xef\xbc\x99\",\"body\":\"x\"}";
    e = dec(&o, NULL, p, strlen(p), &r);
    assert_non_null(e);
    assert_int_equal(e->n_entities, 2);
    assert_string_equal(e->entities[0], "0700");
    assert_string_equal(e->entities[1], "600519");
    event_free(e);
    p = "{\"text\":\"$平安银行(SZ000001)$ 和 $AAPL 涨，腾讯 0700.HK 跌，股价1800.50元\",\"entities\":[\"x\"]}";
    e = dec(&o, NULL, p, strlen(p), &r);
    assert_non_null(e);
    assert_int_equal(e->n_entities, 4);
    assert_string_equal(e->entities[0], "X");
    assert_string_equal(e->entities[1], "AAPL");
    assert_string_equal(e->entities[2], "000001");
    assert_string_equal(e->entities[3], "0700");
    event_free(e);
    /* no watch list: tickers still, full-width ones too */
    ingest_options none = {0};
    p = "{\"text\":\"\xef\xbc\xb3\xef\xbc\xa8\xef\xbc\x96\xef\xbc\x90\xef\xbc\x90\xef\xbc\x95\xef\xbc\x91"
        "\xef\xbc\x99 and SH000001, not 20160315\"}";
    e = dec(&none, NULL, p, strlen(p), &r);
    assert_non_null(e);
    assert_int_equal(e->n_entities, 2);
    assert_string_equal(e->entities[0], "600519");
    assert_string_equal(e->entities[1], "SH000001");
    event_free(e);
    ingest_options_free(&o);
}

static void test_truncation(void **state) {
    (void)state;
    ingest_options o = {.max_text_bytes = 10};
    decode_result r;
    /* "aaaaaaaaa" (9) + "é" (2 bytes) straddles the limit: cut before é */
    const char *p = "{\"text\":\"aaaaaaaaa\xc3\xa9zzz\"}";
    event *e = dec(&o, NULL, p, strlen(p), &r);
    assert_non_null(e);
    assert_int_equal(r.truncated, 1);
    assert_string_equal(e->text, "aaaaaaaaa");
    event_free(e);
    p = "{\"text\":\"short\"}";
    e = dec(&o, NULL, p, strlen(p), &r);
    assert_int_equal(r.truncated, 0);
    assert_string_equal(e->text, "short");
    event_free(e);
    o.max_text_bytes = 11;
    p = "{\"text\":\"aaaaaaaaa\xc3\xa9zzz\"}";
    e = dec(&o, NULL, p, strlen(p), &r);
    assert_int_equal(r.truncated, 1);
    assert_string_equal(e->text, "aaaaaaaaa\xc3\xa9");
    event_free(e);
}

/* Found by fuzz/fuzz_decode: a quoted value with a newline split the
 * one-line detail (logs, the dead-letter "error" header) in two. */
static void test_detail_one_line(void **state) {
    (void)state;
    decode_result r;
    assert_null(decs("{\"ts\":\"yesterday\\nnow\",\"text\":\"t\"}", &r));
    assert_int_equal(r.reason, DECODE_BAD_TIMESTAMP);
    assert_string_equal(r.detail, "ts (/ts) is not RFC 3339 or epoch ms: \"yesterday?now\"");
    assert_null(decs("{\"text\":\"t\",\"entities\":[\"a\\nb\\u0001xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"]}",
                     &r));
    assert_int_equal(r.reason, DECODE_BAD_ENTITY);
    assert_null(strpbrk(r.detail, "\r\n\001"));
}

/* Found by fuzz/fuzz_decode (UBSan float-cast-overflow): a numeric id
 * beyond the 64-bit range was converted to long long, which is undefined. */
static void test_numeric_id_range(void **state) {
    (void)state;
    decode_result r;
    assert_null(decs("{\"id\":1e300,\"text\":\"t\"}", &r));
    assert_int_equal(r.reason, DECODE_BAD_FIELD_TYPE);
    assert_string_equal(r.detail, "id (/id) is not a 64-bit integer");
    assert_null(decs("{\"id\":-1e19,\"text\":\"t\"}", &r));
    assert_null(decs("{\"id\":2.5,\"text\":\"t\"}", &r));
    assert_int_equal(r.reason, DECODE_BAD_FIELD_TYPE);
    event *e = decs("{\"id\":-4611686018427387904,\"text\":\"t\"}", &r);
    assert_non_null(e);
    assert_string_equal(e->id, "-4611686018427387904");
    event_free(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poison_kinds),   cmocka_unit_test(test_reason_names_stable),
        cmocka_unit_test(test_default_mapping), cmocka_unit_test(test_pointer_mapping),
        cmocka_unit_test(test_cashtags),       cmocka_unit_test(test_watchlist),
        cmocka_unit_test(test_watchlist_any_script),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_detail_one_line), cmocka_unit_test(test_numeric_id_range),
    };
    return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
