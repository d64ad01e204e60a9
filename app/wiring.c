/* wiring — config to module options; see wiring.h. */
#include "app/wiring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/errmsg.h"
#include "util/xalloc.h"

/* NULL when the configured pointer is the default, so the decoder's own
 * default (with its fall-backs) applies. */
static char *pointer_or_default(const char *configured, const char *dflt) {
    return strcmp(configured, dflt) == 0 ? NULL : xstrdup(configured);
}

void wire_ingest(const fs_config *cfg, ingest_options *out) {
    for (size_t i = 0; i < cfg->kafka.n; i++) ingest_options_set_kafka(out, cfg->kafka.keys[i], cfg->kafka.vals[i]);
    out->group_id = xstrdup(cfg->group_id);
    for (size_t i = 0; i < cfg->inputs.n; i++) {
        const fs_input *fi = &cfg->inputs.v[i];
        ingest_input *in = ingest_options_add_input(out, fi->topic, fi->stream);
        in->fields.id = pointer_or_default(fi->fields.id, "/id");
        in->fields.ts = pointer_or_default(fi->fields.ts, "/ts");
        in->fields.title = pointer_or_default(fi->fields.title, "/title");
        in->fields.body = pointer_or_default(fi->fields.body, "/body");
        in->fields.text = pointer_or_default(fi->fields.text, "/text");
        in->fields.source = pointer_or_default(fi->fields.source, "/source");
        in->fields.entities = pointer_or_default(fi->fields.entities, "/entities");
    }
    out->dead_letter_topic = cfg->dead_letter_topic[0] ? xstrdup(cfg->dead_letter_topic) : NULL;
    out->queue_capacity = cfg->ingest.queue_capacity;
    out->decode_threads = cfg->ingest.decode_threads > 0 ? cfg->ingest.decode_threads : -1;
    out->max_message_bytes = cfg->ingest.max_message_bytes;
    out->max_text_bytes = cfg->ingest.max_text_bytes;
    out->dead_letter_give_up_ms = cfg->ingest.dead_letter_give_up_after_ms;
    for (size_t i = 0; i < cfg->ingest.watchlist.n; i++)
        ingest_options_add_watch(out, cfg->ingest.watchlist.v[i].name, cfg->ingest.watchlist.v[i].entity);
}

cls_options wire_classifier(const fs_config *cfg) {
    return (cls_options){
        .head_name = cfg->model.head_name,
        .threads = cfg->model.threads,
        .max_len = cfg->model.max_len,
        .token_budget = cfg->model.batch_tokens,
        .quantize = cfg->model.quantize == FS_QUANTIZE_INT8,
    };
}

labelmap *wire_labels(const fs_config *cfg) {
    labelmap *m = lm_create();
    for (size_t i = 0; i < cfg->model.sentiment_labels.n; i++)
        lm_set(m, cfg->model.sentiment_labels.keys[i], cfg->model.sentiment_labels.vals[i]);
    return m;
}

/* config scope enum → window scope bit */
static enum win_scope scope_bit(int fs_scope) {
    switch (fs_scope) {
    case FS_SCOPE_GLOBAL: return WIN_SCOPE_GLOBAL;
    case FS_SCOPE_TOPIC: return WIN_SCOPE_TOPIC;
    case FS_SCOPE_ENTITY: return WIN_SCOPE_ENTITY;
    default: return WIN_SCOPE_ENTITY_TOPIC;
    }
}

static enum alert_severity severity_of(int fs_sev) {
    return fs_sev == FS_SEV_INFO ? ALERT_INFO : fs_sev == FS_SEV_CRITICAL ? ALERT_CRITICAL : ALERT_WARNING;
}

static int make_dir(const char *dir, char *err, size_t errlen) {
    char *p = xstrdup(dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0700) < 0 && errno != EEXIST) break;
        *s = '/';
    }
    free(p);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        return err_set(err, errlen, "outbox.dir: cannot create %s: %s", dir, strerror(errno));
    }
    return 0;
}

static void wire_sinks(const fs_config *cfg, wired_alerts *w) {
    w->sinks = xcalloc(cfg->sinks.n, sizeof *w->sinks);
    w->kafka_props = xcalloc(cfg->kafka.n * 2 + 1, sizeof(char *));
    int n_props = 0;
    for (size_t i = 0; i < cfg->kafka.n; i++) {
        if (strcmp(cfg->kafka.keys[i], "bootstrap.servers") == 0) continue;
        w->kafka_props[2 * n_props] = cfg->kafka.keys[i];
        w->kafka_props[2 * n_props + 1] = cfg->kafka.vals[i];
        n_props++;
    }
    for (size_t i = 0; i < cfg->sinks.n; i++) {
        const fs_sink *s = &cfg->sinks.v[i];
        alerts_sink *o = &w->sinks[i];
        switch (s->type) {
        case FS_SINK_WEBHOOK:
            o->kind = ALERTS_SINK_WEBHOOK;
            o->webhook = (wh_config){
                .name = s->name,
                .url = s->url,
                .format = s->format == FS_FORMAT_SLACK       ? WH_SLACK
                          : s->format == FS_FORMAT_PAGERDUTY ? WH_PAGERDUTY
                                                             : WH_GENERIC,
                .secret = s->secret,
                .routing_key = s->routing_key,
                .timeout_ms = (int)s->timeout_ms,
                .max_in_flight = s->max_in_flight,
                .give_up_after_ms = s->give_up_after_ms,
                .failed_file = w->failed_path,
                .tls_verify = s->tls_verify,
            };
            break;
        case FS_SINK_KAFKA:
            o->kind = ALERTS_SINK_KAFKA;
            o->kafka = (ks_config){
                .name = s->name,
                .brokers = cfg_kafka_get(cfg, "bootstrap.servers"),
                .topic = s->topic,
                .props = (const char *const *)w->kafka_props,
                .n_props = n_props,
            };
            break;
        case FS_SINK_FILE:
            o->kind = ALERTS_SINK_FILE;
            o->file.name = s->name;
            o->file.path = s->path;
            break;
        }
    }
    w->opt.sinks = w->sinks;
    w->opt.n_sinks = (int)cfg->sinks.n;
}

int wire_alerts(const fs_config *cfg, wired_alerts *w, char *err, size_t errlen) {
    memset(w, 0, sizeof *w);
    if (make_dir(cfg->outbox.dir, err, errlen) < 0) return -1;
    w->outbox_path = xasprintf("%s/alerts.outbox", cfg->outbox.dir);
    w->failed_path = xasprintf("%s/failed.jsonl", cfg->outbox.dir);

    unsigned scopes = 0;
    for (size_t i = 0; i < cfg->windows.keys.n; i++) scopes |= scope_bit(cfg->windows.keys.v[i]);
    w->opt.window = (win_config){
        .size_ms = cfg->windows.size_ms,
        .advance_ms = cfg->windows.advance_ms,
        .lateness_ms = cfg->windows.allowed_lateness_ms,
        .idle_timeout_ms = cfg->windows.idle_timeout_ms,
        .scopes = scopes,
        .top_k = 3,
    };
    w->opt.baseline = (bl_config){.alpha = cfg->baseline.alpha, .warmup = cfg->baseline.warmup_windows,
                                  .min_stddev = 0.05, .robust_k = cfg->baseline.robust_k};

    /* a rule without sinks goes to every sink */
    w->all_sinks = xcalloc(cfg->sinks.n + 1, sizeof(char *));
    for (size_t i = 0; i < cfg->sinks.n; i++) w->all_sinks[i] = cfg->sinks.v[i].name;
    w->rules = xcalloc(cfg->rules.n + 1, sizeof *w->rules);
    for (size_t i = 0; i < cfg->rules.n; i++) {
        const fs_rule *r = &cfg->rules.v[i];
        int every = r->sinks.n == 0;
        w->rules[i] = (alert_rule){
            .name = r->name,
            .scope = scope_bit(r->scope),
            .min_count = r->min_count,
            .min_negatives = r->min_negatives,
            .min_negative_share = r->min_negative_share,
            .zscore = r->zscore,
            .ratio = r->ratio,
            .severity = severity_of(r->severity),
            .sinks = every ? w->all_sinks : (const char *const *)r->sinks.v,
            .n_sinks = every ? (int)cfg->sinks.n : (int)r->sinks.n,
            .repeat_interval_ms = r->repeat_interval_ms,
            .resolve_after = r->resolve_after,
        };
    }
    w->opt.rules = w->rules;
    w->opt.n_rules = (int)cfg->rules.n;

    w->silences = xcalloc(cfg->silences.n + 1, sizeof *w->silences);
    for (size_t i = 0; i < cfg->silences.n; i++) {
        const fs_silence *s = &cfg->silences.v[i];
        w->silences[i] = (alert_silence){.rule = s->rule[0] ? s->rule : NULL,
                                         .key = s->key[0] ? s->key : NULL,
                                         .until_ms = s->until_ms};
    }
    w->opt.silences = w->silences;
    w->opt.n_silences = (int)cfg->silences.n;
    w->opt.outbox_path = w->outbox_path;
    w->opt.outbox_no_fsync = !cfg->outbox.fsync;
    w->opt.outbox_max_bytes = (int64_t)cfg->outbox.max_bytes;
    wire_sinks(cfg, w);
    return 0;
}

void wired_alerts_free(wired_alerts *w) {
    free(w->all_sinks);
    free(w->rules);
    free(w->silences);
    free(w->sinks);
    free(w->kafka_props);
    free(w->outbox_path);
    free(w->failed_path);
    memset(w, 0, sizeof *w);
}
