/* config — finsent's configuration: the typed struct every module reads,
 * loaded from one JSON file through util/cfgschema (schema in config.c,
 * cross-checks in config_check.c, reference in docs/config.md).
 *
 * Durations are int64 milliseconds (*_ms), sizes uint64 bytes, enums ints
 * with the values below. Strings are owned by the struct; cfg_free frees
 * them. Secrets (sink secret and routing_key, credential-like kafka keys)
 * hold their real values here: never log them, print with
 * cfg_print_effective. */
#ifndef FINSENT_CONFIG_H
#define FINSENT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/cfgschema.h"

enum fs_scope { FS_SCOPE_GLOBAL, FS_SCOPE_TOPIC, FS_SCOPE_ENTITY, FS_SCOPE_ENTITY_TOPIC };
enum fs_quantize { FS_QUANTIZE_NONE, FS_QUANTIZE_INT8 };
enum fs_severity { FS_SEV_INFO, FS_SEV_WARNING, FS_SEV_CRITICAL };
enum fs_sink_type { FS_SINK_WEBHOOK, FS_SINK_KAFKA, FS_SINK_FILE };
enum fs_sink_format { FS_FORMAT_GENERIC, FS_FORMAT_SLACK, FS_FORMAT_PAGERDUTY };
/* log.level and log.format use enum log_level / enum log_format (util/log.h). */

/* JSON pointers into an input message ("" = the field is not mapped). */
typedef struct fs_fields {
    char *id, *ts, *title, *body, *text, *source, *entities;
} fs_fields;

typedef struct fs_input {
    char *topic;
    char *stream; /* defaults to topic */
    fs_fields fields;
} fs_input;

typedef struct fs_watch {
    char *name;   /* text to look for */
    char *entity; /* entity it stands for */
} fs_watch;

typedef struct fs_ingest_cfg {
    int queue_capacity;
    int max_pending_runs; /* runs of events waiting for their windows (app/pending_acks.h) */
    int decode_threads; /* 0: decode on the polling thread */
    uint64_t max_message_bytes;
    uint64_t max_text_bytes;
    int64_t dead_letter_give_up_after_ms; /* a dead letter not delivered this long is given up, visibly */
    CFG_ARRAY(fs_watch) watchlist;
} fs_ingest_cfg;

typedef struct fs_model_cfg {
    char *dir;
    int threads;
    int batch_tokens;
    int64_t max_batch_wait_ms;
    int max_len;
    char *head_name;
    bool explain_alerts; /* words behind each alert (app/alert_words.h) */
    cfg_kv sentiment_labels;   /* label -> negative | neutral | positive | none (util/labelmap.h) */
    double max_uncounted_share; /* /readyz fails above this share of recent events not counted */
    int quantize; /* enum fs_quantize */
} fs_model_cfg;

typedef struct fs_windows_cfg {
    int64_t size_ms;
    int64_t advance_ms; /* defaults to size_ms; divides it */
    int64_t allowed_lateness_ms;
    int64_t idle_timeout_ms;
    cfg_intv keys; /* enum fs_scope values, each once */
} fs_windows_cfg;

typedef struct fs_baseline_cfg {
    double alpha;
    int warmup_windows;
    double robust_k;
} fs_baseline_cfg;

typedef struct fs_rule {
    char *name;
    int scope; /* enum fs_scope; one of windows.keys */
    int min_count;
    int min_negatives;
    double min_negative_share;
    double zscore; /* 0 = not used */
    double ratio;  /* 0 = not used */
    int severity;  /* enum fs_severity */
    cfg_strv sinks; /* names of sinks; empty = every sink */
    int64_t repeat_interval_ms;
    int resolve_after; /* windows */
} fs_rule;

typedef struct fs_silence {
    char *rule; /* "" = any rule */
    char *key;  /* "" = any key */
    int64_t until_ms;
    char *comment;
} fs_silence;

typedef struct fs_sink {
    char *name;
    int type; /* enum fs_sink_type */
    /* webhook */
    char *url;
    int format;        /* enum fs_sink_format */
    char *secret;      /* HMAC key or NULL */
    char *routing_key; /* PagerDuty; NULL unless format is pagerduty or given */
    int64_t timeout_ms;
    int max_in_flight;
    int64_t give_up_after_ms;
    bool tls_verify;
    /* kafka */
    char *topic;
    /* file */
    char *path;
} fs_sink;

typedef struct fs_outbox_cfg {
    char *dir;
    bool fsync;
    uint64_t max_bytes;
} fs_outbox_cfg;

/* The stream state of `finsent run` (app/checkpoint.h). */
typedef struct fs_state_cfg {
    bool enabled;                  /* false: offsets commit as windows close, state is rebuilt by warm-up */
    char *dir;                     /* "" = <outbox.dir>/state */
    int64_t checkpoint_interval_ms; /* how often a checkpoint is written, and so offsets committed */
} fs_state_cfg;

typedef struct fs_metrics_cfg {
    char *listen; /* host:port, "" = disabled */
} fs_metrics_cfg;

typedef struct fs_log_cfg {
    int level;  /* enum log_level */
    int format; /* enum log_format */
} fs_log_cfg;

/* The aggregate role (finsent run --role aggregate). */
typedef struct fs_aggregate_cfg {
    char *group_id; /* where its offsets are committed; "" = group_id + "-aggregate" */
    int instances;  /* bounds --instance; with assignment static, instance i of N owns p % N == i */
    int assignment; /* enum fs_aggregate_assignment */
} fs_aggregate_cfg;

/* How aggregate instances get their scored partitions. */
enum fs_aggregate_assignment {
    FS_AGGREGATE_GROUP,  /* the consumer group (failover; every rebalance rebuilds) */
    FS_AGGREGATE_STATIC, /* p % instances == --instance (no failover) */
};

typedef struct fs_config {
    cfg_kv kafka; /* librdkafka properties, in file order */
    char *group_id;
    CFG_ARRAY(fs_input) inputs;
    char *dead_letter_topic;
    char *scored_topic; /* "" = none; required by the classify and aggregate roles */
    fs_aggregate_cfg aggregate;
    fs_ingest_cfg ingest;
    fs_model_cfg model;
    fs_windows_cfg windows;
    fs_baseline_cfg baseline;
    CFG_ARRAY(fs_rule) rules;
    CFG_ARRAY(fs_silence) silences;
    CFG_ARRAY(fs_sink) sinks;
    fs_outbox_cfg outbox;
    fs_state_cfg state;
    fs_metrics_cfg metrics;
    fs_log_cfg log;
} fs_config;

/* The schema behind fs_config, for tools that walk it. */
extern const cfg_schema cfg_finsent_schema;

/* Loads and checks the config at path (named in messages as given).
 * Returns 0 with *out filled (free with cfg_free), or -1 with one
 * line "FILE: PATH: expected ..., got ..." in err and nothing to free. */
int cfg_load(const char *path, fs_config *out, char *err, size_t errlen);

/* As cfg_load, for JSON text in memory; name is used in messages. */
int cfg_load_string(const char *name, const char *json, fs_config *out, char *err, size_t errlen);

/* Frees what cfg_load allocated and zeroes *cfg. */
void cfg_free(fs_config *cfg);

/* Writes the effective config as indented JSON and a newline: every key,
 * defaults filled, durations and sizes in human form, secrets as "***". */
void cfg_print_effective(FILE *f, const fs_config *cfg);

/* The value of a kafka pass-through property, or NULL when not set. */
const char *cfg_kafka_get(const fs_config *cfg, const char *key);

/* The sink with this name, or NULL. */
const fs_sink *cfg_find_sink(const fs_config *cfg, const char *name);

#endif
