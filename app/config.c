/* config — the schema of finsent's config file and its entry points; see
 * config.h. Each table row is one key of docs/config.md; cross-checks
 * between keys live in config_check.c. */
#include "app/config.h"

#include <string.h>

#include "app/config_check.h"

static const char *const scopes[] = {"global", "topic", "entity", "entity_topic", NULL};
static const char *const severities[] = {"info", "warning", "critical", NULL};
static const char *const sink_types[] = {"webhook", "kafka", "file", NULL};
static const char *const sink_formats[] = {"generic", "slack", "pagerduty", NULL};
static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const log_formats[] = {"auto", "text", "json", NULL};
static const char *const aggregate_assignments[] = {"group", "static", NULL};
static const char *const quantize_modes[] = {"none", "int8", NULL};

#define F(st, m) CFG_AT(st, m)

static const cfg_field fields_fields[] = {
    {.key = "id", .type = CFG_STRING, .def = "/id", F(fs_fields, id)},
    {.key = "ts", .type = CFG_STRING, .def = "/ts", F(fs_fields, ts)},
    {.key = "title", .type = CFG_STRING, .def = "/title", F(fs_fields, title)},
    {.key = "body", .type = CFG_STRING, .def = "/body", F(fs_fields, body)},
    {.key = "text", .type = CFG_STRING, .def = "/text", F(fs_fields, text)},
    {.key = "source", .type = CFG_STRING, .def = "/source", F(fs_fields, source)},
    {.key = "entities", .type = CFG_STRING, .def = "/entities", F(fs_fields, entities)},
};
static const cfg_schema fields_schema = CFG_SCHEMA("fields", fs_fields, fields_fields, NULL, cfg_check_fields);

static const cfg_field input_fields[] = {
    {.key = "topic", .type = CFG_STRING, .flags = CFG_REQUIRED, F(fs_input, topic)},
    {.key = "stream", .type = CFG_STRING, F(fs_input, stream)},
    {.key = "fields", .type = CFG_OBJECT, .sub = &fields_schema, F(fs_input, fields)},
};
static const cfg_schema input_schema = CFG_SCHEMA("input", fs_input, input_fields, NULL, cfg_check_input);

static const cfg_field watch_fields[] = {
    {.key = "name", .type = CFG_STRING, .flags = CFG_REQUIRED, F(fs_watch, name)},
    {.key = "entity", .type = CFG_STRING, .flags = CFG_REQUIRED, F(fs_watch, entity)},
};
static const cfg_schema watch_schema = CFG_SCHEMA("watchlist", fs_watch, watch_fields, NULL, cfg_check_watch);

static const cfg_field ingest_fields[] = {
    {.key = "queue_capacity", .type = CFG_INT, .def = "10000", .flags = CFG_MIN | CFG_MAX, .min = 1, .max = 1000000,
     F(fs_ingest_cfg, queue_capacity)},
    {.key = "max_pending_runs", .type = CFG_INT, .def = "65536", .flags = CFG_MIN | CFG_MAX, .min = 64,
     .max = 16777216, F(fs_ingest_cfg, max_pending_runs)},
    {.key = "decode_threads", .type = CFG_INT, .def = "1", .flags = CFG_MIN | CFG_MAX, .min = 0, .max = 64,
     F(fs_ingest_cfg, decode_threads)},
    {.key = "max_message_bytes", .type = CFG_SIZE, .def = "1MiB", .flags = CFG_MIN, .min = 1,
     F(fs_ingest_cfg, max_message_bytes)},
    {.key = "max_text_bytes", .type = CFG_SIZE, .def = "16KiB", .flags = CFG_MIN, .min = 1,
     F(fs_ingest_cfg, max_text_bytes)},
    {.key = "dead_letter_give_up_after", .type = CFG_DURATION, .def = "10m", .flags = CFG_MIN, .min = 1000,
     F(fs_ingest_cfg, dead_letter_give_up_after_ms)},
    {.key = "watchlist", .type = CFG_OBJECT_ARRAY, .def = "[]", .sub = &watch_schema, F(fs_ingest_cfg, watchlist)},
};
static const cfg_schema ingest_schema = CFG_SCHEMA("ingest", fs_ingest_cfg, ingest_fields, NULL, NULL);

static const cfg_field model_fields[] = {
    {.key = "dir", .type = CFG_STRING, .def = "models/default", F(fs_model_cfg, dir)},
    {.key = "threads", .type = CFG_INT, .def = "2", .flags = CFG_MIN | CFG_MAX, .min = 1, .max = 64,
     F(fs_model_cfg, threads)},
    {.key = "batch_tokens", .type = CFG_INT, .def = "4096", .flags = CFG_MIN | CFG_MAX, .min = 64, .max = 1048576,
     F(fs_model_cfg, batch_tokens)},
    {.key = "max_batch_wait", .type = CFG_DURATION, .def = "20ms", F(fs_model_cfg, max_batch_wait_ms)},
    {.key = "max_len", .type = CFG_INT, .def = "128", .flags = CFG_MIN | CFG_MAX, .min = 8, .max = 512,
     F(fs_model_cfg, max_len)},
    {.key = "head_name", .type = CFG_STRING, .def = "sentiment", F(fs_model_cfg, head_name)},
    {.key = "explain_alerts", .type = CFG_BOOL, .def = "true", F(fs_model_cfg, explain_alerts)},
    {.key = "sentiment_labels", .type = CFG_KV, .def = "{}", F(fs_model_cfg, sentiment_labels)},
    {.key = "max_uncounted_share", .type = CFG_NUMBER, .def = "0.2", .flags = CFG_MIN | CFG_MAX | CFG_MIN_EXCL, .min = 0, .max = 1,
     F(fs_model_cfg, max_uncounted_share)},
    {.key = "quantize", .type = CFG_ENUM, .def = "none", .enums = quantize_modes, F(fs_model_cfg, quantize)},
};
static const cfg_schema model_schema = CFG_SCHEMA("model", fs_model_cfg, model_fields, NULL, cfg_check_model);

static const cfg_field windows_fields[] = {
    {.key = "size", .type = CFG_DURATION, .def = "5m", .flags = CFG_MIN, .min = 1, F(fs_windows_cfg, size_ms)},
    {.key = "advance", .type = CFG_DURATION, .flags = CFG_MIN, .min = 1, F(fs_windows_cfg, advance_ms)},
    {.key = "allowed_lateness", .type = CFG_DURATION, .def = "1m", F(fs_windows_cfg, allowed_lateness_ms)},
    {.key = "idle_timeout", .type = CFG_DURATION, .def = "30s", F(fs_windows_cfg, idle_timeout_ms)},
    {.key = "keys", .type = CFG_ENUM_ARRAY, .def = "[\"entity\", \"topic\"]", .enums = scopes, .flags = CFG_MIN,
     .min = 1, F(fs_windows_cfg, keys)},
};
static const cfg_schema windows_schema = CFG_SCHEMA("windows", fs_windows_cfg, windows_fields, NULL, cfg_check_windows);

static const cfg_field baseline_fields[] = {
    {.key = "alpha", .type = CFG_NUMBER, .def = "0.1", .flags = CFG_MIN | CFG_MAX | CFG_MIN_EXCL, .min = 0, .max = 1,
     F(fs_baseline_cfg, alpha)},
    {.key = "warmup_windows", .type = CFG_INT, .def = "6", .flags = CFG_MIN, .min = 0,
     F(fs_baseline_cfg, warmup_windows)},
    {.key = "robust_k", .type = CFG_NUMBER, .def = "3", .flags = CFG_MIN, .min = 0, F(fs_baseline_cfg, robust_k)},
};
static const cfg_schema baseline_schema = CFG_SCHEMA("baseline", fs_baseline_cfg, baseline_fields, NULL, NULL);

static const cfg_field rule_fields[] = {
    {.key = "name", .type = CFG_STRING, .flags = CFG_REQUIRED, F(fs_rule, name)},
    {.key = "scope", .type = CFG_ENUM, .def = "entity", .enums = scopes, F(fs_rule, scope)},
    {.key = "min_count", .type = CFG_INT, .def = "0", .flags = CFG_MIN, .min = 0, F(fs_rule, min_count)},
    {.key = "min_negatives", .type = CFG_INT, .def = "0", .flags = CFG_MIN, .min = 0, F(fs_rule, min_negatives)},
    {.key = "min_negative_share", .type = CFG_NUMBER, .def = "0", .flags = CFG_MIN | CFG_MAX, .min = 0, .max = 1,
     F(fs_rule, min_negative_share)},
    {.key = "zscore", .type = CFG_NUMBER, .def = "0", .flags = CFG_MIN, .min = 0, F(fs_rule, zscore)},
    {.key = "ratio", .type = CFG_NUMBER, .def = "0", .flags = CFG_MIN, .min = 0, F(fs_rule, ratio)},
    {.key = "severity", .type = CFG_ENUM, .def = "warning", .enums = severities, F(fs_rule, severity)},
    {.key = "sinks", .type = CFG_STRING_ARRAY, .def = "[]", F(fs_rule, sinks)},
    {.key = "repeat_interval", .type = CFG_DURATION, .def = "1h", F(fs_rule, repeat_interval_ms)},
    {.key = "resolve_after", .type = CFG_INT, .def = "2", .flags = CFG_MIN, .min = 1, F(fs_rule, resolve_after)},
};
static const cfg_schema rule_schema = CFG_SCHEMA("rule", fs_rule, rule_fields, NULL, cfg_check_rule);

static const cfg_field silence_fields[] = {
    {.key = "rule", .type = CFG_STRING, .def = "", F(fs_silence, rule)},
    {.key = "key", .type = CFG_STRING, .def = "", F(fs_silence, key)},
    {.key = "until", .type = CFG_TIME, .flags = CFG_REQUIRED, F(fs_silence, until_ms)},
    {.key = "comment", .type = CFG_STRING, .def = "", F(fs_silence, comment)},
};
static const cfg_schema silence_schema = CFG_SCHEMA("silence", fs_silence, silence_fields, NULL, NULL);

static const cfg_field sink_fields[] = {
    {.key = "name", .type = CFG_STRING, .flags = CFG_REQUIRED, F(fs_sink, name)},
    {.key = "type", .type = CFG_ENUM, .flags = CFG_REQUIRED, .enums = sink_types, F(fs_sink, type)},
    {.key = "url", .type = CFG_STRING, .flags = CFG_REQUIRED, .when = "webhook", F(fs_sink, url)},
    {.key = "format", .type = CFG_ENUM, .def = "generic", .enums = sink_formats, .when = "webhook", F(fs_sink, format)},
    {.key = "secret", .type = CFG_STRING, .flags = CFG_SECRET, .when = "webhook", F(fs_sink, secret)},
    {.key = "routing_key", .type = CFG_STRING, .flags = CFG_SECRET, .when = "webhook", F(fs_sink, routing_key)},
    {.key = "timeout", .type = CFG_DURATION, .def = "5s", .flags = CFG_MIN, .min = 1, .when = "webhook",
     F(fs_sink, timeout_ms)},
    {.key = "max_in_flight", .type = CFG_INT, .def = "8", .flags = CFG_MIN | CFG_MAX, .min = 1, .max = 256,
     .when = "webhook", F(fs_sink, max_in_flight)},
    {.key = "give_up_after", .type = CFG_DURATION, .def = "24h", .flags = CFG_MIN, .min = 1, .when = "webhook",
     F(fs_sink, give_up_after_ms)},
    {.key = "tls_verify", .type = CFG_BOOL, .def = "true", .when = "webhook", F(fs_sink, tls_verify)},
    {.key = "topic", .type = CFG_STRING, .flags = CFG_REQUIRED, .when = "kafka", F(fs_sink, topic)},
    {.key = "path", .type = CFG_STRING, .flags = CFG_REQUIRED, .when = "file", F(fs_sink, path)},
};
static const cfg_schema sink_schema = CFG_SCHEMA("sink", fs_sink, sink_fields, "type", cfg_check_sink);

static const cfg_field outbox_fields[] = {
    {.key = "dir", .type = CFG_STRING, .def = "var/finsent", F(fs_outbox_cfg, dir)},
    {.key = "fsync", .type = CFG_BOOL, .def = "true", F(fs_outbox_cfg, fsync)},
    {.key = "max_bytes", .type = CFG_SIZE, .def = "256MiB", .flags = CFG_MIN, .min = 4096, F(fs_outbox_cfg, max_bytes)},
};
static const cfg_schema outbox_schema = CFG_SCHEMA("outbox", fs_outbox_cfg, outbox_fields, NULL, NULL);

static const cfg_field state_fields[] = {
    {.key = "enabled", .type = CFG_BOOL, .def = "true", F(fs_state_cfg, enabled)},
    {.key = "dir", .type = CFG_STRING, .def = "", F(fs_state_cfg, dir)},
    {.key = "checkpoint_interval", .type = CFG_DURATION, .def = "2s", .flags = CFG_MIN | CFG_MAX, .min = 10,
     .max = 3600000, F(fs_state_cfg, checkpoint_interval_ms)},
};
static const cfg_schema state_schema = CFG_SCHEMA("state", fs_state_cfg, state_fields, NULL, NULL);

static const cfg_field metrics_fields[] = {
    {.key = "listen", .type = CFG_STRING, .def = "127.0.0.1:9464", F(fs_metrics_cfg, listen)},
};
static const cfg_schema metrics_schema = CFG_SCHEMA("metrics", fs_metrics_cfg, metrics_fields, NULL, cfg_check_metrics);

static const cfg_field log_fields[] = {
    {.key = "level", .type = CFG_ENUM, .def = "info", .enums = log_levels, F(fs_log_cfg, level)},
    {.key = "format", .type = CFG_ENUM, .def = "auto", .enums = log_formats, F(fs_log_cfg, format)},
};
static const cfg_schema log_schema = CFG_SCHEMA("log", fs_log_cfg, log_fields, NULL, NULL);

static const cfg_field aggregate_fields[] = {
    {.key = "group_id", .type = CFG_STRING, .def = "", F(fs_aggregate_cfg, group_id)},
    {.key = "instances", .type = CFG_INT, .def = "1", .flags = CFG_MIN | CFG_MAX, .min = 1, .max = 1024,
     F(fs_aggregate_cfg, instances)},
    {.key = "assignment", .type = CFG_ENUM, .def = "group", .enums = aggregate_assignments,
     F(fs_aggregate_cfg, assignment)},
};
static const cfg_schema aggregate_schema = CFG_SCHEMA("aggregate", fs_aggregate_cfg, aggregate_fields, NULL, NULL);

static const cfg_field root_fields[] = {
    {.key = "kafka", .type = CFG_KV, .def = "{}", F(fs_config, kafka)},
    {.key = "group_id", .type = CFG_STRING, .def = "finsent", F(fs_config, group_id)},
    {.key = "inputs", .type = CFG_OBJECT_ARRAY, .sub = &input_schema, .flags = CFG_MIN, .min = 1,
     F(fs_config, inputs)},
    {.key = "dead_letter_topic", .type = CFG_STRING, .def = "finsent.deadletter", F(fs_config, dead_letter_topic)},
    {.key = "scored_topic", .type = CFG_STRING, .def = "", F(fs_config, scored_topic)},
    {.key = "aggregate", .type = CFG_OBJECT, .sub = &aggregate_schema, F(fs_config, aggregate)},
    {.key = "ingest", .type = CFG_OBJECT, .sub = &ingest_schema, F(fs_config, ingest)},
    {.key = "model", .type = CFG_OBJECT, .sub = &model_schema, F(fs_config, model)},
    {.key = "windows", .type = CFG_OBJECT, .sub = &windows_schema, F(fs_config, windows)},
    {.key = "baseline", .type = CFG_OBJECT, .sub = &baseline_schema, F(fs_config, baseline)},
    {.key = "rules", .type = CFG_OBJECT_ARRAY, .def = "[]", .sub = &rule_schema, F(fs_config, rules)},
    {.key = "silences", .type = CFG_OBJECT_ARRAY, .def = "[]", .sub = &silence_schema, F(fs_config, silences)},
    {.key = "sinks", .type = CFG_OBJECT_ARRAY, .def = "[]", .sub = &sink_schema, F(fs_config, sinks)},
    {.key = "outbox", .type = CFG_OBJECT, .sub = &outbox_schema, F(fs_config, outbox)},
    {.key = "state", .type = CFG_OBJECT, .sub = &state_schema, F(fs_config, state)},
    {.key = "metrics", .type = CFG_OBJECT, .sub = &metrics_schema, F(fs_config, metrics)},
    {.key = "log", .type = CFG_OBJECT, .sub = &log_schema, F(fs_config, log)},
};
const cfg_schema cfg_finsent_schema = CFG_SCHEMA("config", fs_config, root_fields, NULL, cfg_check_config);

int cfg_load(const char *path, fs_config *out, char *err, size_t errlen) {
    return cfg_load_file(path, &cfg_finsent_schema, out, err, errlen);
}

int cfg_load_string(const char *name, const char *json, fs_config *out, char *err, size_t errlen) {
    return cfg_load_text(name, json, strlen(json), &cfg_finsent_schema, out, err, errlen);
}

void cfg_free(fs_config *cfg) { cfg_obj_free(&cfg_finsent_schema, cfg); }

void cfg_print_effective(FILE *f, const fs_config *cfg) {
    cJSON *j = cfg_to_json(&cfg_finsent_schema, cfg);
    char *s = cJSON_Print(j);
    fprintf(f, "%s\n", s);
    cJSON_free(s);
    cJSON_Delete(j);
}

const char *cfg_kafka_get(const fs_config *cfg, const char *key) {
    for (size_t i = 0; i < cfg->kafka.n; i++)
        if (strcmp(cfg->kafka.keys[i], key) == 0) return cfg->kafka.vals[i];
    return NULL;
}

const fs_sink *cfg_find_sink(const fs_config *cfg, const char *name) {
    for (size_t i = 0; i < cfg->sinks.n; i++)
        if (strcmp(cfg->sinks.v[i].name, name) == 0) return &cfg->sinks.v[i];
    return NULL;
}
