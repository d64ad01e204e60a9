/* Unit tests for app/config: finsent's defaults, derived defaults and the
 * cross-checks between keys (windows, rules, sinks, silences, kafka). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "app/config.h"
#include "app/wiring.h"
#include "util/log.h"

static char err[512];

static void expect_error(const char *json, const char *want) {
    fs_config c;
    assert_int_equal(cfg_load_string("c.json", json, &c, err, sizeof err), -1);
    assert_string_equal(err, want);
}

static void test_defaults(void **state) {
    (void)state;
    fs_config c;
    assert_int_equal(cfg_load_string("c.json", "{}", &c, err, sizeof err), 0);
    assert_int_equal(c.kafka.n, 0);
    assert_string_equal(c.group_id, "finsent");
    assert_int_equal(c.inputs.n, 0);
    assert_string_equal(c.dead_letter_topic, "finsent.deadletter");
    assert_string_equal(c.scored_topic, "");
    assert_int_equal(c.ingest.queue_capacity, 10000);
    assert_int_equal(c.ingest.max_pending_runs, 65536);
    assert_int_equal(c.ingest.decode_threads, 1);
    assert_int_equal(c.ingest.max_message_bytes, 1 << 20);
    assert_int_equal(c.ingest.max_text_bytes, 16 << 10);
    assert_int_equal(c.ingest.watchlist.n, 0);
    assert_string_equal(c.model.dir, "models/default");
    assert_int_equal(c.model.threads, 2);
    assert_int_equal(c.model.batch_tokens, 4096);
    assert_int_equal(c.model.max_batch_wait_ms, 20);
    assert_int_equal(c.model.max_len, 128);
    assert_string_equal(c.model.head_name, "sentiment");
    assert_true(c.model.explain_alerts);
    assert_int_equal(c.model.sentiment_labels.n, 0);
    assert_true(c.model.max_uncounted_share == 0.2);
    assert_int_equal(c.model.quantize, FS_QUANTIZE_NONE);
    assert_int_equal(c.windows.size_ms, 300000);
    assert_int_equal(c.windows.advance_ms, 300000);
    assert_int_equal(c.windows.allowed_lateness_ms, 60000);
    assert_int_equal(c.windows.idle_timeout_ms, 30000);
    assert_int_equal(c.windows.keys.n, 2);
    assert_int_equal(c.windows.keys.v[0], FS_SCOPE_ENTITY);
    assert_int_equal(c.windows.keys.v[1], FS_SCOPE_TOPIC);
    assert_true(c.baseline.alpha == 0.1);
    assert_int_equal(c.baseline.warmup_windows, 6);
    assert_true(c.baseline.robust_k == 3);
    assert_int_equal(c.rules.n + c.silences.n + c.sinks.n, 0);
    assert_string_equal(c.outbox.dir, "var/finsent");
    assert_true(c.outbox.fsync);
    assert_int_equal(c.outbox.max_bytes, 256u << 20);
    assert_string_equal(c.metrics.listen, "127.0.0.1:9464");
    assert_int_equal(c.log.level, LOG_INFO);
    assert_int_equal(c.log.format, LOG_FORMAT_AUTO);
    cfg_free(&c);
}

static void test_nested_defaults(void **state) {
    (void)state;
    fs_config c;
    const char *json =
        "{\"kafka\": {\"bootstrap.servers\": \"b:9092\"}, \"inputs\": [{\"topic\": \"news\", \"fields\": {\"title\": \"\"}}],"
        " \"rules\": [{\"name\": \"r\", \"zscore\": 3}],"
        " \"sinks\": [{\"name\": \"h\", \"type\": \"webhook\", \"url\": \"http://127.0.0.1:1/x\"},"
        "             {\"name\": \"f\", \"type\": \"file\", \"path\": \"alerts.jsonl\"}]}";
    assert_int_equal(cfg_load_string("c.json", json, &c, err, sizeof err), 0);
    assert_string_equal(cfg_kafka_get(&c, "bootstrap.servers"), "b:9092");
    assert_null(cfg_kafka_get(&c, "client.id"));
    assert_string_equal(c.inputs.v[0].stream, "news");
    assert_string_equal(c.inputs.v[0].fields.id, "/id");
    assert_string_equal(c.inputs.v[0].fields.title, "");
    assert_string_equal(c.inputs.v[0].fields.entities, "/entities");
    const fs_rule *r = &c.rules.v[0];
    assert_int_equal(r->scope, FS_SCOPE_ENTITY);
    assert_int_equal(r->severity, FS_SEV_WARNING);
    assert_int_equal(r->repeat_interval_ms, 3600000);
    assert_int_equal(r->resolve_after, 2);
    assert_int_equal(r->sinks.n, 0);
    const fs_sink *h = cfg_find_sink(&c, "h");
    assert_non_null(h);
    assert_int_equal(h->type, FS_SINK_WEBHOOK);
    assert_int_equal(h->format, FS_FORMAT_GENERIC);
    assert_null(h->secret);
    assert_int_equal(h->timeout_ms, 5000);
    assert_int_equal(h->max_in_flight, 8);
    assert_int_equal(h->give_up_after_ms, 86400000);
    assert_true(h->tls_verify);
    const fs_sink *f = cfg_find_sink(&c, "f");
    assert_string_equal(f->path, "alerts.jsonl");
    assert_null(f->url);
    assert_null(cfg_find_sink(&c, "nope"));
    cfg_free(&c);
}

static void test_windows_checks(void **state) {
    (void)state;
    fs_config c;
    assert_int_equal(cfg_load_string("c.json", "{\"windows\": {\"size\": \"1h\", \"advance\": \"15m\"}}", &c, err, sizeof err), 0);
    assert_int_equal(c.windows.advance_ms, 900000);
    cfg_free(&c);
    expect_error("{\"windows\": {\"size\": \"5m\", \"advance\": \"10m\"}}",
                 "c.json: windows.advance: expected a duration <= windows.size (5m), got \"10m\"");
    expect_error("{\"windows\": {\"size\": \"5m\", \"advance\": \"90s\"}}",
                 "c.json: windows.advance: expected a duration that divides windows.size (5m), got \"90s\"");
    expect_error("{\"windows\": {\"size\": \"0s\"}}", "c.json: windows.size: expected a duration >= 1ms, got \"0s\"");
    expect_error("{\"windows\": {\"keys\": [\"entity\", \"sector\"]}}",
                 "c.json: windows.keys[1]: expected \"global\", \"topic\", \"entity\" or \"entity_topic\", got \"sector\"");
}

static void test_rule_checks(void **state) {
    (void)state;
    expect_error("{\"rules\": [{\"name\": \"r\", \"min_count\": 10}]}",
                 "c.json: rules[0]: expected at least one condition (min_negatives, min_negative_share, zscore or "
                 "ratio), got none");
    expect_error("{\"rules\": [{\"name\": \"r\", \"min_negative_share\": 1.5}]}",
                 "c.json: rules[0].min_negative_share: expected a number from 0 to 1, got 1.5");
    /* 1e999 parses as infinity, which the effective config would print as null (a fuzz find) */
    expect_error("{\"rules\": [{\"name\": \"r\", \"zscore\": 1e999}]}",
                 "c.json: rules[0].zscore: expected a finite number, got inf");
    expect_error("{\"rules\": [{\"name\": \"r\", \"ratio\": -1e999}]}",
                 "c.json: rules[0].ratio: expected a finite number, got -inf");
    expect_error("{\"rules\": [{\"name\": \"r\", \"ratio\": 2, \"resolve_after\": 0}]}",
                 "c.json: rules[0].resolve_after: expected an integer >= 1, got 0");
    expect_error("{\"rules\": [{\"name\": \"r\", \"ratio\": 2, \"scope\": \"entity_topic\"}]}",
                 "c.json: rules[0].scope: expected one of windows.keys, got \"entity_topic\" (add it to windows.keys)");
    expect_error("{\"rules\": [{\"name\": \"r\", \"ratio\": 2, \"sinks\": [\"ops\"]}]}",
                 "c.json: rules[0].sinks[0]: unknown sink \"ops\" (not among sinks[].name)");
    expect_error("{\"rules\": [{\"name\": \"spike\", \"ratio\": 2}], \"silences\": [{\"rule\": \"spkie\", "
                 "\"until\": \"2030-01-01T00:00:00Z\"}]}",
                 "c.json: silences[0].rule: unknown rule \"spkie\" (did you mean \"spike\"?)");
    expect_error("{\"silences\": [{\"key\": \"AAPL\"}]}", "c.json: silences[0].until: required key is missing");
}

static void test_sink_checks(void **state) {
    (void)state;
    setenv("CFGT_PD_KEY", "pd-routing-key", 1);
    fs_config c;
    assert_int_equal(cfg_load_string("c.json",
                                     "{\"sinks\": [{\"name\": \"pd\", \"type\": \"webhook\", \"format\": \"pagerduty\","
                                     " \"url\": \"HTTPS://events.pagerduty.com/v2/enqueue\", \"routing_key\": \"${CFGT_PD_KEY}\"}]}",
                                     &c, err, sizeof err),
                     0);
    assert_string_equal(c.sinks.v[0].routing_key, "pd-routing-key");
    cfg_free(&c);
    expect_error("{\"sinks\": [{\"name\": \"h\", \"type\": \"webhook\", \"url\": \"https://\"}]}",
                 "c.json: sinks[0].url: expected an http:// or https:// URL, got \"https://\"");
    expect_error("{\"sinks\": [{\"name\": \"h\", \"type\": \"webhook\"}]}", "c.json: sinks[0].url: required key is missing");
    expect_error("{\"sinks\": [{\"name\": \"h\", \"type\": \"smtp\"}]}",
                 "c.json: sinks[0].type: expected \"webhook\", \"kafka\" or \"file\", got \"smtp\"");
    expect_error("{\"sinks\": [{\"name\": \"f\", \"type\": \"file\", \"path\": \"a\", \"timeout\": \"1s\"}]}",
                 "c.json: sinks[0].timeout: key not valid when type is \"file\"");
    expect_error("{\"sinks\": [{\"name\": \"k\", \"type\": \"kafka\", \"topic\": \"t\"}, {\"name\": \"k\", \"type\": "
                 "\"kafka\", \"topic\": \"u\"}]}",
                 "c.json: sinks[1].name: expected a unique sink name, got \"k\" again");
    expect_error("{\"sinks\": [{\"name\": \"h\", \"type\": \"webhook\", \"url\": \"http://h\", \"max_in_flight\": 0}]}",
                 "c.json: sinks[0].max_in_flight: expected an integer from 1 to 256, got 0");
}

static void test_misc_checks(void **state) {
    (void)state;
    fs_config c;
    const char *ok_listen[] = {"{\"metrics\": {\"listen\": \"\"}}", "{\"metrics\": {\"listen\": \"0.0.0.0:9464\"}}",
                               "{\"metrics\": {\"listen\": \"127.0.0.1:0\"}}",
                               "{\"metrics\": {\"listen\": \"localhost:80\"}}"};
    for (size_t i = 0; i < sizeof ok_listen / sizeof ok_listen[0]; i++) {
        assert_int_equal(cfg_load_string("c.json", ok_listen[i], &c, err, sizeof err), 0);
        cfg_free(&c);
    }
    const char *bad_listen[] = {"9464", ":9464", "host:", "host:9464", "127.0.0.1:70000", "::1:9464", "[::1]:9464", "127.0.0.1:12x"};
    for (size_t i = 0; i < sizeof bad_listen / sizeof bad_listen[0]; i++) {
        char json[128], want[256];
        snprintf(json, sizeof json, "{\"metrics\": {\"listen\": \"%s\"}}", bad_listen[i]);
        snprintf(want, sizeof want,
                 "c.json: metrics.listen: expected host:port like \"127.0.0.1:9464\" (or \"\" to disable), got \"%s\"",
                 bad_listen[i]);
        expect_error(json, want);
    }
    expect_error("{\"inputs\": [{\"topic\": \"news\"}]}",
                 "c.json: kafka.bootstrap.servers: required key is missing (the config has inputs)");
    expect_error("{\"kafka\": {\"bootstrap.servers\": \"b\"}, \"inputs\": [{\"topic\": \"\"}]}",
                 "c.json: inputs[0].topic: expected a topic name, got \"\"");
    expect_error("{\"ingest\": {\"watchlist\": [{\"name\": \"Apple\"}]}}",
                 "c.json: ingest.watchlist[0].entity: required key is missing");
    expect_error("{\"ingest\": {\"watchlist\": [{\"name\": \"贵州茅台\", \"entity\": \"600519\"}, "
                 "{\"name\": \"\\u200b \", \"entity\": \"X\"}]}}",
                 "c.json: ingest.watchlist[1].name: expected a name with a character other than spaces, got \"\u200b \"");
    expect_error("{\"ingest\": {\"watchlist\": [{\"name\": \"Apple\", \"entity\": \" \"}]}}",
                 "c.json: ingest.watchlist[0].entity: expected an entity key of 1 to 64 bytes, got \" \"");
    expect_error("{\"log\": {\"format\": \"xml\"}}", "c.json: log.format: expected \"auto\", \"text\" or \"json\", got \"xml\"");
    expect_error("{\"ingest\": {\"decode_threads\": 65}}",
                 "c.json: ingest.decode_threads: expected an integer from 0 to 64, got 65");
    expect_error("{\"model\": {\"batch_tokens\": 32}}",
                 "c.json: model.batch_tokens: expected an integer from 64 to 1048576, got 32");
    assert_int_equal(cfg_load_string("c.json", "{\"model\": {\"explain_alerts\": false}}", &c, err, sizeof err), 0);
    assert_false(c.model.explain_alerts);
    cfg_free(&c);
    expect_error("{\"model\": {\"explain_alerts\": \"no\"}}",
                 "c.json: model.explain_alerts: expected true or false, got \"no\"");
    expect_error("{\"model\": {\"quantize\": \"int4\"}}",
                 "c.json: model.quantize: expected \"none\" or \"int8\", got \"int4\" (did you mean \"int8\"?)");
}

static void test_print_effective(void **state) {
    (void)state;
    setenv("CFGT_HMAC", "hmac-value-xyz", 1);
    fs_config c;
    assert_int_equal(cfg_load_string("c.json",
                                     "{\"kafka\": {\"sasl.password\": \"kpw-value\"}, \"sinks\": [{\"name\": \"h\", \"type\": "
                                     "\"webhook\", \"url\": \"http://h\", \"secret\": \"${CFGT_HMAC}\"}]}",
                                     &c, err, sizeof err),
                     0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cfg_print_effective(f, &c);
    fclose(f);
    assert_null(strstr(buf, "hmac-value-xyz"));
    assert_null(strstr(buf, "kpw-value"));
    assert_non_null(strstr(buf, "\"max_batch_wait\":\t\"20ms\""));
    assert_non_null(strstr(buf, "\"max_bytes\":\t\"256MiB\""));
    cJSON *j = cJSON_Parse(buf);
    assert_non_null(j);
    cJSON_Delete(j);
    free(buf);
    cfg_free(&c);
}

/* The effective config loads back to itself: a left-out secret, routing key
 * and inputs list are left out of it, not printed as null or [] (which
 * do not load; found by fuzz_config's round trip). */
static void test_effective_loads_back(void **state) {
    (void)state;
    fs_config c, again;
    assert_int_equal(cfg_load_string("c.json",
                                     "{\"sinks\": [{\"name\": \"h\", \"type\": \"webhook\", \"url\": \"http://h\"}]}",
                                     &c, err, sizeof err),
                     0);
    cJSON *j = cfg_to_json(&cfg_finsent_schema, &c);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    assert_null(strstr(text, "null"));
    assert_null(strstr(text, "\"inputs\""));
    assert_int_equal(cfg_load_string("printed.json", text, &again, err, sizeof err), 0);
    j = cfg_to_json(&cfg_finsent_schema, &again);
    char *text2 = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    assert_string_equal(text, text2);
    cJSON_free(text);
    cJSON_free(text2);
    cfg_free(&c);
    cfg_free(&again);
}

/* model.quantize reaches the classifier's options (cls_open then packs the
 * encoder in int8: test_encoder covers what that computes). */
static void test_model_quantize(void **state) {
    (void)state;
    fs_config c;
    assert_int_equal(cfg_load_string("c.json", "{\"model\": {\"quantize\": \"int8\"}}", &c, err, sizeof err), 0);
    assert_int_equal(c.model.quantize, FS_QUANTIZE_INT8);
    assert_int_equal(wire_classifier(&c).quantize, 1);
    cfg_free(&c);
    assert_int_equal(cfg_load_string("c.json", "{\"model\": {\"quantize\": \"none\"}}", &c, err, sizeof err), 0);
    assert_int_equal(wire_classifier(&c).quantize, 0);
    cfg_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),      cmocka_unit_test(test_nested_defaults),
        cmocka_unit_test(test_windows_checks), cmocka_unit_test(test_rule_checks),
        cmocka_unit_test(test_sink_checks),   cmocka_unit_test(test_misc_checks),
        cmocka_unit_test(test_print_effective),
        cmocka_unit_test(test_effective_loads_back),
        cmocka_unit_test(test_model_quantize),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
