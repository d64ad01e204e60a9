/* Unit tests for util/cfgschema: every field type, defaults, ranges,
 * durations and sizes, ${ENV} substitution, did-you-mean, tagged fields,
 * secrets and their masking, and the one-line error format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util/cfgschema.h"

typedef struct t_item { char *name; int kind; char *url; char *path; } t_item;
typedef struct t_inner { int64_t wait_ms; bool on; } t_inner;
typedef struct t_cfg {
    char *s;
    int i;
    int64_t big;
    double num;
    bool b;
    int64_t dur_ms;
    uint64_t size;
    int e;
    int64_t when_ms;
    cfg_strv names;
    cfg_intv modes;
    t_inner inner;
    CFG_ARRAY(t_item) items;
    cfg_kv kv;
    char *secret;
} t_cfg;

static const char *const modes[] = {"alpha", "beta", "gamma", NULL};
static const char *const kinds[] = {"web", "disk", NULL};

static const cfg_field item_fields[] = {
    {.key = "name", .type = CFG_STRING, .flags = CFG_REQUIRED, CFG_AT(t_item, name)},
    {.key = "kind", .type = CFG_ENUM, .flags = CFG_REQUIRED, .enums = kinds, CFG_AT(t_item, kind)},
    {.key = "url", .type = CFG_STRING, .def = "http://x", .when = "web", CFG_AT(t_item, url)},
    {.key = "path", .type = CFG_STRING, .flags = CFG_REQUIRED, .when = "disk", CFG_AT(t_item, path)},
};
static const cfg_schema item_schema = CFG_SCHEMA("item", t_item, item_fields, "kind", NULL);

static const cfg_field inner_fields[] = {
    {.key = "wait", .type = CFG_DURATION, .def = "20ms", CFG_AT(t_inner, wait_ms)},
    {.key = "on", .type = CFG_BOOL, .def = "true", CFG_AT(t_inner, on)},
};
static const cfg_schema inner_schema = CFG_SCHEMA("inner", t_inner, inner_fields, NULL, NULL);

static const cfg_field fields[] = {
    {.key = "s", .type = CFG_STRING, .def = "dflt", CFG_AT(t_cfg, s)},
    {.key = "i", .type = CFG_INT, .def = "7", .flags = CFG_MIN | CFG_MAX, .min = 1, .max = 64, CFG_AT(t_cfg, i)},
    {.key = "big", .type = CFG_INT, .def = "5000000000", CFG_AT(t_cfg, big)},
    {.key = "num", .type = CFG_NUMBER, .def = "0.5", .flags = CFG_MIN | CFG_MAX | CFG_MIN_EXCL, .min = 0, .max = 1,
     CFG_AT(t_cfg, num)},
    {.key = "b", .type = CFG_BOOL, .def = "false", CFG_AT(t_cfg, b)},
    {.key = "dur", .type = CFG_DURATION, .def = "5m", .flags = CFG_MIN, .min = 1, CFG_AT(t_cfg, dur_ms)},
    {.key = "size", .type = CFG_SIZE, .def = "1MiB", CFG_AT(t_cfg, size)},
    {.key = "e", .type = CFG_ENUM, .def = "beta", .enums = modes, CFG_AT(t_cfg, e)},
    {.key = "when", .type = CFG_TIME, .def = "2024-05-01T12:30:00Z", CFG_AT(t_cfg, when_ms)},
    {.key = "names", .type = CFG_STRING_ARRAY, .def = "[\"a\", \"b\"]", CFG_AT(t_cfg, names)},
    {.key = "modes", .type = CFG_ENUM_ARRAY, .def = "[\"gamma\"]", .enums = modes, .flags = CFG_MIN, .min = 1,
     CFG_AT(t_cfg, modes)},
    {.key = "inner", .type = CFG_OBJECT, .sub = &inner_schema, CFG_AT(t_cfg, inner)},
    {.key = "items", .type = CFG_OBJECT_ARRAY, .def = "[]", .sub = &item_schema, CFG_AT(t_cfg, items)},
    {.key = "kv", .type = CFG_KV, .def = "{}", CFG_AT(t_cfg, kv)},
    {.key = "secret", .type = CFG_STRING, .flags = CFG_SECRET, CFG_AT(t_cfg, secret)},
};
static const cfg_schema schema = CFG_SCHEMA("test", t_cfg, fields, NULL, NULL);

static char err[512];

static int load(const char *json, t_cfg *c) {
    err[0] = '\0';
    return cfg_load_text("t.json", json, strlen(json), &schema, c, err, sizeof err);
}

/* Loads json, expects failure with exactly the message want. */
static void expect_error(const char *json, const char *want) {
    t_cfg c;
    assert_int_equal(load(json, &c), -1);
    assert_string_equal(err, want);
}

static void test_durations(void **state) {
    (void)state;
    int64_t ms;
    const struct { const char *s; int64_t ms; } ok[] = {
        {"250ms", 250}, {"30s", 30000}, {"5m", 300000}, {"1h", 3600000}, {"2d", 172800000}, {"0s", 0}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(cfg_parse_duration(ok[i].s, &ms), 0);
        assert_int_equal(ms, ok[i].ms);
    }
    const char *bad[] = {"", "5", "5 m", "5minutes", "-5s", "1.5h", "m", "5M", "99999999999999999999d", " 5s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_int_equal(cfg_parse_duration(bad[i], &ms), -1);
    char buf[32];
    cfg_format_duration(300000, buf, sizeof buf);
    assert_string_equal(buf, "5m");
    cfg_format_duration(90000, buf, sizeof buf);
    assert_string_equal(buf, "90s");
    cfg_format_duration(1500, buf, sizeof buf);
    assert_string_equal(buf, "1500ms");
    cfg_format_duration(0, buf, sizeof buf);
    assert_string_equal(buf, "0s");
}

static void test_sizes(void **state) {
    (void)state;
    uint64_t b;
    const struct { const char *s; uint64_t b; } ok[] = {
        {"512", 512}, {"64KiB", 65536}, {"64MiB", 67108864}, {"1GiB", 1073741824}, {"10KB", 10000},
        {"5MB", 5000000}, {"2GB", 2000000000}, {"0", 0}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(cfg_parse_size(ok[i].s, &b), 0);
        assert_true(b == ok[i].b);
    }
    const char *bad[] = {"", "64 MiB", "64mib", "1.5GiB", "-1", "KiB", "99999999999TiB", "64megs"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_int_equal(cfg_parse_size(bad[i], &b), -1);
    char buf[32];
    cfg_format_size(67108864, buf, sizeof buf);
    assert_string_equal(buf, "64MiB");
    cfg_format_size(5000000, buf, sizeof buf);
    assert_string_equal(buf, "5MB");
    cfg_format_size(1000, buf, sizeof buf);
    assert_string_equal(buf, "1KB");
    cfg_format_size(513, buf, sizeof buf);
    assert_string_equal(buf, "513");
}

static void test_suggest(void **state) {
    (void)state;
    const char *keys[] = {"size", "advance", "allowed_lateness", "keys"};
    assert_string_equal(cfg_suggest("sise", keys, 4), "size");
    assert_string_equal(cfg_suggest("advnace", keys, 4), "advance");
    assert_string_equal(cfg_suggest("allowed", keys, 4), "allowed_lateness");
    assert_null(cfg_suggest("colour", keys, 4));
    assert_true(cfg_key_is_secret("sasl.password"));
    assert_true(cfg_key_is_secret("ssl.key.pem"));
    assert_true(cfg_key_is_secret("sasl.oauthbearer.config"));
    assert_true(cfg_key_is_secret("client.secret"));
    assert_false(cfg_key_is_secret("bootstrap.servers"));
}

static void test_every_type(void **state) {
    (void)state;
    setenv("CFGT_SECRET", "s3cr3t", 1);
    t_cfg c;
    int rc = load("{\"s\": \"hello\", \"i\": 64, \"big\": -9000000000, \"num\": 1, \"b\": true, \"dur\": \"250ms\","
                  " \"size\": 4096, \"e\": \"gamma\", \"when\": \"1970-01-01T00:00:01Z\", \"names\": [],"
                  " \"modes\": [\"beta\", \"alpha\"], \"inner\": {\"on\": false},"
                  " \"items\": [{\"name\": \"w\", \"kind\": \"web\"}, {\"name\": \"d\", \"kind\": \"disk\", \"path\": \"/p\"}],"
                  " \"kv\": {\"a.b\": \"x\", \"n\": 5, \"f\": 0.25, \"t\": false}, \"secret\": \"${CFGT_SECRET}\"}",
                  &c);
    assert_int_equal(rc, 0);
    assert_string_equal(c.s, "hello");
    assert_int_equal(c.i, 64);
    assert_true(c.big == -9000000000LL);
    assert_true(c.num == 1.0);
    assert_true(c.b);
    assert_int_equal(c.dur_ms, 250);
    assert_int_equal(c.size, 4096);
    assert_int_equal(c.e, 2);
    assert_int_equal(c.when_ms, 1000);
    assert_int_equal(c.names.n, 0);
    assert_int_equal(c.modes.n, 2);
    assert_int_equal(c.modes.v[0], 1);
    assert_int_equal(c.modes.v[1], 0);
    assert_int_equal(c.inner.wait_ms, 20);
    assert_false(c.inner.on);
    assert_int_equal(c.items.n, 2);
    assert_string_equal(c.items.v[0].url, "http://x");
    assert_null(c.items.v[0].path);
    assert_null(c.items.v[1].url);
    assert_string_equal(c.items.v[1].path, "/p");
    assert_int_equal(c.kv.n, 4);
    assert_string_equal(c.kv.keys[0], "a.b");
    assert_string_equal(c.kv.vals[1], "5");
    assert_string_equal(c.kv.vals[2], "0.25");
    assert_string_equal(c.kv.vals[3], "false");
    assert_string_equal(c.secret, "s3cr3t");
    cfg_obj_free(&schema, &c);
    assert_null(c.s);
}

static void test_defaults(void **state) {
    (void)state;
    t_cfg c;
    assert_int_equal(load("{}", &c), 0);
    assert_string_equal(c.s, "dflt");
    assert_int_equal(c.i, 7);
    assert_true(c.big == 5000000000LL);
    assert_true(c.num == 0.5);
    assert_false(c.b);
    assert_int_equal(c.dur_ms, 300000);
    assert_int_equal(c.size, 1048576);
    assert_int_equal(c.e, 1);
    assert_int_equal(c.when_ms, 1714566600000LL);
    assert_int_equal(c.names.n, 2);
    assert_string_equal(c.names.v[1], "b");
    assert_int_equal(c.modes.n, 1);
    assert_int_equal(c.modes.v[0], 2);
    assert_int_equal(c.inner.wait_ms, 20);
    assert_true(c.inner.on);
    assert_int_equal(c.items.n, 0);
    assert_int_equal(c.kv.n, 0);
    assert_null(c.secret);
    cfg_obj_free(&schema, &c);
}

static void test_env_substitution(void **state) {
    (void)state;
    setenv("CFGT_NAME", "world", 1);
    setenv("CFGT_DUR", "30s", 1);
    unsetenv("CFGT_UNSET");
    t_cfg c;
    assert_int_equal(load("{\"s\": \"hi ${CFGT_NAME}, $${CFGT_NAME} costs $5\", \"dur\": \"${CFGT_DUR}\","
                          " \"names\": [\"${CFGT_NAME}\"], \"kv\": {\"k\": \"${CFGT_NAME}!\"}}", &c), 0);
    assert_string_equal(c.s, "hi world, ${CFGT_NAME} costs $5");
    assert_int_equal(c.dur_ms, 30000);
    assert_string_equal(c.names.v[0], "world");
    assert_string_equal(c.kv.vals[0], "world!");
    cfg_obj_free(&schema, &c);
    expect_error("{\"names\": [\"x\", \"${CFGT_UNSET}\"]}", "t.json: names[1]: environment variable CFGT_UNSET is not set");
    expect_error("{\"s\": \"${1BAD}\"}",
                 "t.json: s: expected ${NAME} or ${NAME:-default} with NAME made of letters, digits and _ "
                 "(write $${ for a literal ${)");
    expect_error("{\"s\": \"${OPEN\"}",
                 "t.json: s: expected ${NAME} or ${NAME:-default} with NAME made of letters, digits and _ "
                 "(write $${ for a literal ${)");
    /* defaults: used when unset or empty, ignored when set */
    setenv("CFGT_EMPTY", "", 1);
    assert_int_equal(load("{\"s\": \"${CFGT_UNSET:-127.0.0.1:9092}/${CFGT_EMPTY:-e}/${CFGT_NAME:-x}\","
                          " \"dur\": \"${CFGT_UNSET:-5m}\"}", &c), 0);
    assert_string_equal(c.s, "127.0.0.1:9092/e/world");
    assert_int_equal(c.dur_ms, 300000);
    cfg_obj_free(&schema, &c);
}

static void test_secrets(void **state) {
    (void)state;
    setenv("CFGT_SECRET", "s3cr3t", 1);
    expect_error("{\"secret\": \"s3cr3t\"}",
                 "t.json: secret: expected a ${ENV_VAR} reference (secrets are not written in config files), got a "
                 "literal string");
    expect_error("{\"secret\": \"x${CFGT_SECRET}\"}",
                 "t.json: secret: expected a ${ENV_VAR} reference (secrets are not written in config files), got a "
                 "literal string");
    expect_error("{\"secret\": \"${CFGT_SECRET:-fallback}\"}",
                 "t.json: secret: expected a ${ENV_VAR} reference (secrets are not written in config files), got a "
                 "literal string");
    expect_error("{\"secret\": 123456}",
                 "t.json: secret: expected a ${ENV_VAR} reference (secrets are not written in config files), got a "
                 "literal value");
    t_cfg c;
    assert_int_equal(load("{\"secret\": \"${CFGT_SECRET}\", \"kv\": {\"sasl.password\": \"pw1\", \"ssl.key.pem\": \"pw2\","
                          " \"client.id\": \"me\"}}", &c), 0);
    cJSON *j = cfg_to_json(&schema, &c);
    char *text = cJSON_PrintUnformatted(j);
    assert_null(strstr(text, "s3cr3t"));
    assert_null(strstr(text, "pw1"));
    assert_null(strstr(text, "pw2"));
    assert_non_null(strstr(text, "\"secret\":\"***\""));
    assert_non_null(strstr(text, "\"sasl.password\":\"***\""));
    assert_non_null(strstr(text, "\"client.id\":\"me\""));
    cJSON_free(text);
    cJSON_Delete(j);
    cfg_obj_free(&schema, &c);
}

static void test_print_human_units(void **state) {
    (void)state;
    t_cfg c;
    assert_int_equal(load("{\"dur\": \"120s\", \"size\": \"10MB\", \"items\": [{\"name\": \"d\", \"kind\": \"disk\","
                          " \"path\": \"/p\"}]}", &c), 0);
    cJSON *j = cfg_to_json(&schema, &c);
    char *text = cJSON_PrintUnformatted(j);
    assert_non_null(strstr(text, "\"dur\":\"2m\""));
    assert_non_null(strstr(text, "\"size\":\"10MB\""));
    assert_non_null(strstr(text, "\"when\":\"2024-05-01T12:30:00.000Z\""));
    assert_non_null(strstr(text, "{\"name\":\"d\",\"kind\":\"disk\",\"path\":\"/p\"}")); /* no url: not a web item */
    cJSON_free(text);
    cJSON_Delete(j);
    cfg_obj_free(&schema, &c);
}

static void test_error_messages(void **state) {
    (void)state;
    expect_error("{\"sise\": 1}", "t.json: sise: unknown key (did you mean \"size\"?)");
    expect_error("{\"zzzzzz\": 1}", "t.json: zzzzzz: unknown key (expected one of: s, i, big, num, b, dur, size, e, "
                                    "when, names, modes, inner, items, kv, secret)");
    expect_error("{\"inner\": {\"wiat\": \"1s\"}}", "t.json: inner.wiat: unknown key (did you mean \"wait\"?)");
    expect_error("{\"i\": 0}", "t.json: i: expected an integer from 1 to 64, got 0");
    expect_error("{\"i\": 2.5}", "t.json: i: expected an integer, got 2.5");
    expect_error("{\"big\": \"9\"}", "t.json: big: expected an integer, got \"9\"");
    expect_error("{\"num\": 0}", "t.json: num: expected a number > 0 and <= 1, got 0");
    expect_error("{\"num\": true}", "t.json: num: expected a number, got true");
    expect_error("{\"b\": \"yes\"}", "t.json: b: expected true or false, got \"yes\"");
    expect_error("{\"dur\": \"5 minutes\"}", "t.json: dur: expected a duration like \"5m\" (ms, s, m, h or d), got \"5 minutes\"");
    expect_error("{\"dur\": 5}", "t.json: dur: expected a duration like \"5m\", got 5");
    expect_error("{\"dur\": \"0s\"}", "t.json: dur: expected a duration >= 1ms, got \"0s\"");
    expect_error("{\"size\": \"1 GB\"}",
                 "t.json: size: expected a size like \"64MiB\" (B, KiB, MiB, GiB, KB, MB, GB), got \"1 GB\"");
    expect_error("{\"size\": -1}", "t.json: size: expected a size like \"64MiB\", got -1");
    expect_error("{\"e\": \"gama\"}", "t.json: e: expected \"alpha\", \"beta\" or \"gamma\", got \"gama\" (did you mean \"gamma\"?)");
    expect_error("{\"e\": \"zzz\"}", "t.json: e: expected \"alpha\", \"beta\" or \"gamma\", got \"zzz\"");
    expect_error("{\"when\": \"soon\"}",
                 "t.json: when: expected an RFC 3339 time like \"2024-05-01T12:00:00Z\", got \"soon\"");
    expect_error("{\"names\": \"a\"}", "t.json: names: expected an array of strings, got \"a\"");
    expect_error("{\"names\": [1]}", "t.json: names[0]: expected a string, got 1");
    expect_error("{\"modes\": []}", "t.json: modes: expected at least 1 element, got 0");
    expect_error("{\"modes\": [\"beta\", \"beta\"]}", "t.json: modes[1]: expected each value once, got \"beta\" again");
    expect_error("{\"inner\": []}", "t.json: inner: expected an object, got an empty array");
    expect_error("{\"items\": [{\"name\": \"x\", \"kind\": \"disk\"}]}", "t.json: items[0].path: required key is missing");
    expect_error("{\"items\": [{\"name\": \"x\", \"kind\": \"web\", \"path\": \"/p\"}]}",
                 "t.json: items[0].path: key not valid when kind is \"web\"");
    expect_error("{\"items\": [{\"kind\": \"web\"}]}", "t.json: items[0].name: required key is missing");
    expect_error("{\"kv\": {\"a\": null}}", "t.json: kv.a: expected a string, number or boolean, got null");
    expect_error("{\"s\": \"a\", \"s\": \"b\"}", "t.json: s: expected each key once, got it again");
    expect_error("[]", "t.json: expected an object, got an empty array");
    expect_error("  \n", "t.json: expected a JSON object, got an empty file");
    expect_error("{\n  \"i\": 3,\n  \"b\": tru\n}", "t.json: line 3, column 8: invalid JSON near \"tru\"");
    expect_error("{} {}", "t.json: line 1, column 4: unexpected text after the JSON value near \"{}\"");
}

/* Found by fuzz/fuzz_config: a key or value holding a newline (raw, which
 * cJSON accepts, or escaped) split the one-line message in two. */
static void test_error_message_one_line(void **state) {
    (void)state;
    expect_error("{\"inner\": {\"wa\nit\": \"1s\"}}", "t.json: inner.wa?it: unknown key (did you mean \"wait\"?)");
    expect_error("{\"e\": \"be\\nta\\r\"}",
                 "t.json: e: expected \"alpha\", \"beta\" or \"gamma\", got \"be?ta?\" (did you mean \"beta\"?)");
    expect_error("{\"dur\": \"5\\u0001m\"}",
                 "t.json: dur: expected a duration like \"5m\" (ms, s, m, h or d), got \"5?m\"");
}

typedef struct t_wrong { int64_t x; } t_wrong;
static const cfg_field wrong_fields[] = {{.key = "x", .type = CFG_NUMBER, .def = "1", .size = 4}};
static const cfg_schema wrong_schema = CFG_SCHEMA("wrong", t_wrong, wrong_fields, NULL, NULL);

static void test_schema_storage_checked(void **state) {
    (void)state;
    t_wrong w;
    assert_int_equal(cfg_load_text("w.json", "{}", 2, &wrong_schema, &w, err, sizeof err), -1);
    assert_string_equal(err, "w.json: x: schema error: 4 bytes of storage for a field of type 2");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_suggest),          cmocka_unit_test(test_every_type),
        cmocka_unit_test(test_defaults),         cmocka_unit_test(test_env_substitution),
        cmocka_unit_test(test_secrets),          cmocka_unit_test(test_print_human_units),
        cmocka_unit_test(test_error_messages),   cmocka_unit_test(test_schema_storage_checked),
        cmocka_unit_test(test_error_message_one_line),
    };
    return cmocka_run_group_tests_name("cfgschema", tests, NULL, NULL);
}
