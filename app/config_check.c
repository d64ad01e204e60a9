/* config_check — cross-checks between keys of finsent's config; see
 * config_check.h. Messages follow cfgschema's "expected ..., got ..." form. */
#include "app/config_check.h"

#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/config.h"
#include "ingest/entity_match.h"
#include "util/labelmap.h"
#include "util/log.h"
#include "util/xalloc.h"

static const char *const scope_names[] = {"global", "topic", "entity", "entity_topic"};

int cfg_check_fields(void *obj, const cJSON *json, cfg_ctx *ctx) {
    (void)json;
    const fs_fields *f = obj;
    const struct { const char *key, *ptr; } ptrs[] = {
        {"id", f->id},         {"ts", f->ts},         {"title", f->title},       {"body", f->body},
        {"text", f->text},     {"source", f->source}, {"entities", f->entities},
    };
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++)
        if (ptrs[i].ptr[0] != '\0' && ptrs[i].ptr[0] != '/')
            return cfg_fail(ctx, ptrs[i].key, "expected a JSON pointer like \"/%s\" (or \"\" for none), got \"%s\"",
                            ptrs[i].key, ptrs[i].ptr);
    return 0;
}

int cfg_check_input(void *obj, const cJSON *json, cfg_ctx *ctx) {
    (void)json;
    fs_input *in = obj;
    if (in->topic[0] == '\0') return cfg_fail(ctx, "topic", "expected a topic name, got \"\"");
    if (!in->stream) in->stream = xstrdup(in->topic);
    return 0;
}

/* A name must keep a non-blank character after normalisation or it never
 * matches; an entity must be a key that decode accepts (1-64 bytes, not
 * blank), or every message naming it would be a dead letter. */
int cfg_check_watch(void *obj, const cJSON *json, cfg_ctx *ctx) {
    (void)json;
    const fs_watch *w = obj;
    em_norm nb = {0};
    int ok = em_normalize(&nb, w->name, strlen(w->name)) == 0 && strspn(nb.s, " ") < nb.n;
    em_norm_free(&nb);
    if (!ok) return cfg_fail(ctx, "name", "expected a name with a character other than spaces, got \"%s\"", w->name);
    size_t n = strlen(w->entity);
    if (n == 0 || n > 64 || strspn(w->entity, " \t") == n)
        return cfg_fail(ctx, "entity", "expected an entity key of 1 to 64 bytes, got \"%s\"", w->entity);
    return 0;
}

int cfg_check_windows(void *obj, const cJSON *json, cfg_ctx *ctx) {
    fs_windows_cfg *w = obj;
    const cJSON *adv = cJSON_GetObjectItemCaseSensitive(json, "advance");
    if (!adv) w->advance_ms = w->size_ms;
    char size[32], advance[32];
    cfg_format_duration(w->size_ms, size, sizeof size);
    cfg_format_duration(w->advance_ms, advance, sizeof advance);
    if (w->advance_ms > w->size_ms)
        return cfg_fail(ctx, "advance", "expected a duration <= windows.size (%s), got \"%s\"", size, advance);
    if (w->size_ms % w->advance_ms != 0)
        return cfg_fail(ctx, "advance", "expected a duration that divides windows.size (%s), got \"%s\"", size,
                        advance);
    return 0;
}

int cfg_check_model(void *obj, const cJSON *json, cfg_ctx *ctx) {
    (void)json;
    const fs_model_cfg *m = obj;
    for (size_t i = 0; i < m->sentiment_labels.n; i++) {
        if (lm_class_parse(m->sentiment_labels.vals[i]) != -2) continue;
        char *path = xasprintf("sentiment_labels.%s", m->sentiment_labels.keys[i]);
        cfg_fail(ctx, path, "expected negative, neutral, positive or none, got \"%s\"", m->sentiment_labels.vals[i]);
        free(path);
        return -1;
    }
    return 0;
}

int cfg_check_rule(void *obj, const cJSON *json, cfg_ctx *ctx) {
    (void)json;
    const fs_rule *r = obj;
    if (r->name[0] == '\0') return cfg_fail(ctx, "name", "expected a rule name, got \"\"");
    if (r->min_negatives == 0 && r->min_negative_share == 0 && r->zscore == 0 && r->ratio == 0)
        return cfg_fail(ctx, NULL, "expected at least one condition (min_negatives, min_negative_share, zscore or "
                                   "ratio), got none");
    return 0;
}

/* True when the host that starts rest (after "scheme://", up to ':', '/',
 * '?' or the end) is localhost, 127.0.0.0/8 or [::1]. */
static int host_is_loopback(const char *rest) {
    const char *at = strchr(rest, '@');
    size_t end = strcspn(rest, "/?#");
    if (at && (size_t)(at - rest) < end) rest = at + 1; /* skip user:password@ */
    if (strncmp(rest, "[::1]", 5) == 0) return 1;
    size_t n = strcspn(rest, ":/?#");
    if (n == 9 && strncasecmp(rest, "localhost", 9) == 0) return 1;
    char host[64];
    if (n == 0 || n >= sizeof host) return 0;
    memcpy(host, rest, n);
    host[n] = '\0';
    struct in_addr a;
    return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

int cfg_check_sink(void *obj, const cJSON *json, cfg_ctx *ctx) {
    const fs_sink *s = obj;
    if (s->name[0] == '\0') return cfg_fail(ctx, "name", "expected a sink name, got \"\"");
    if (s->type == FS_SINK_WEBHOOK) {
        const char *u = s->url;
        const char *rest = strncasecmp(u, "https://", 8) == 0 ? u + 8 : strncasecmp(u, "http://", 7) == 0 ? u + 7 : NULL;
        if (!rest || rest[0] == '\0' || rest[0] == '/')
            return cfg_fail(ctx, "url", "expected an http:// or https:// URL, got \"%s\"", u);
        if (strncasecmp(u, "http://", 7) == 0 && !host_is_loopback(rest))
            log_warn("config", "sink \"%s\": plain http to a host that is not loopback: alerts and their signatures "
                               "travel unencrypted; use an https:// URL",
                     s->name);
        if (s->format == FS_FORMAT_PAGERDUTY && !cJSON_GetObjectItemCaseSensitive(json, "routing_key"))
            return cfg_fail(ctx, "routing_key", "required key is missing (format is \"pagerduty\")");
    } else if (s->type == FS_SINK_KAFKA && s->topic[0] == '\0') {
        return cfg_fail(ctx, "topic", "expected a topic name, got \"\"");
    } else if (s->type == FS_SINK_FILE && s->path[0] == '\0') {
        return cfg_fail(ctx, "path", "expected a file path, got \"\"");
    }
    return 0;
}

/* True when s is "host:port", "[v6]:port" with a port from 1 to 65535. */
/* The metrics endpoint listens on an IPv4 address or localhost; port 0
 * picks a free one. Same rule as http_endpoint_start. */
static bool host_port_ok(const char *s) {
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || colon[1] == '\0') return false;
    char host[64];
    size_t hl = (size_t)(colon - s);
    if (hl >= sizeof host) return false;
    memcpy(host, s, hl);
    host[hl] = '\0';
    struct in_addr a;
    if (strcmp(host, "localhost") != 0 && inet_pton(AF_INET, host, &a) != 1) return false;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    return *end == '\0' && colon[1] >= '0' && colon[1] <= '9' && port >= 0 && port <= 65535;
}

int cfg_check_metrics(void *obj, const cJSON *json, cfg_ctx *ctx) {
    (void)json;
    const fs_metrics_cfg *m = obj;
    if (m->listen[0] != '\0' && !host_port_ok(m->listen))
        return cfg_fail(ctx, "listen", "expected host:port like \"127.0.0.1:9464\" (or \"\" to disable), got \"%s\"",
                        m->listen);
    return 0;
}

/* Names of the sinks, for "did you mean"; caller frees the array. */
static const char **sink_names(const fs_config *c) {
    const char **names = xcalloc(c->sinks.n, sizeof(char *));
    for (size_t i = 0; i < c->sinks.n; i++) names[i] = c->sinks.v[i].name;
    return names;
}

static int check_rule_refs(const fs_config *c, cfg_ctx *ctx) {
    char rel[64];
    const char **names = sink_names(c);
    int rc = 0;
    for (size_t i = 0; i < c->rules.n && rc == 0; i++) {
        const fs_rule *r = &c->rules.v[i];
        bool keyed = false;
        for (size_t k = 0; k < c->windows.keys.n; k++) keyed |= c->windows.keys.v[k] == r->scope;
        if (!keyed) {
            snprintf(rel, sizeof rel, "rules[%zu].scope", i);
            rc = cfg_fail(ctx, rel, "expected one of windows.keys, got \"%s\" (add it to windows.keys)",
                          scope_names[r->scope]);
        }
        for (size_t j = 0; j < r->sinks.n && rc == 0; j++) {
            if (cfg_find_sink(c, r->sinks.v[j])) continue;
            snprintf(rel, sizeof rel, "rules[%zu].sinks[%zu]", i, j);
            const char *near = cfg_suggest(r->sinks.v[j], names, c->sinks.n);
            rc = near ? cfg_fail(ctx, rel, "unknown sink \"%s\" (did you mean \"%s\"?)", r->sinks.v[j], near)
                      : cfg_fail(ctx, rel, "unknown sink \"%s\" (not among sinks[].name)", r->sinks.v[j]);
        }
    }
    free(names);
    return rc;
}

static int check_unique_names(const fs_config *c, cfg_ctx *ctx) {
    char rel[64];
    for (size_t i = 0; i < c->rules.n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->rules.v[i].name, c->rules.v[j].name) == 0) {
                snprintf(rel, sizeof rel, "rules[%zu].name", i);
                return cfg_fail(ctx, rel, "expected a unique rule name, got \"%s\" again", c->rules.v[i].name);
            }
    for (size_t i = 0; i < c->sinks.n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->sinks.v[i].name, c->sinks.v[j].name) == 0) {
                snprintf(rel, sizeof rel, "sinks[%zu].name", i);
                return cfg_fail(ctx, rel, "expected a unique sink name, got \"%s\" again", c->sinks.v[i].name);
            }
    return 0;
}

static int check_silences(const fs_config *c, cfg_ctx *ctx) {
    char rel[64];
    const char **names = xcalloc(c->rules.n, sizeof(char *));
    for (size_t i = 0; i < c->rules.n; i++) names[i] = c->rules.v[i].name;
    int rc = 0;
    for (size_t i = 0; i < c->silences.n && rc == 0; i++) {
        const char *r = c->silences.v[i].rule;
        bool known = r[0] == '\0';
        for (size_t j = 0; j < c->rules.n; j++) known |= strcmp(r, names[j]) == 0;
        if (known) continue;
        snprintf(rel, sizeof rel, "silences[%zu].rule", i);
        const char *near = cfg_suggest(r, names, c->rules.n);
        rc = near ? cfg_fail(ctx, rel, "unknown rule \"%s\" (did you mean \"%s\"?)", r, near)
                  : cfg_fail(ctx, rel, "unknown rule \"%s\" (not among rules[].name)", r);
    }
    free(names);
    return rc;
}

int cfg_check_config(void *obj, const cJSON *json, cfg_ctx *ctx) {
    (void)json;
    const fs_config *c = obj;
    if (c->inputs.n > 0 && !cfg_kafka_get(c, "bootstrap.servers"))
        return cfg_fail(ctx, "kafka.bootstrap.servers", "required key is missing (the config has inputs)");
    if (check_unique_names(c, ctx) || check_rule_refs(c, ctx) || check_silences(c, ctx)) return -1;
    if (c->scored_topic[0] && c->dead_letter_topic[0] && strcmp(c->scored_topic, c->dead_letter_topic) == 0)
        return cfg_fail(ctx, "scored_topic", "must differ from dead_letter_topic");
    for (size_t i = 0; i < c->inputs.n; i++)
        if (c->scored_topic[0] && strcmp(c->inputs.v[i].topic, c->scored_topic) == 0)
            return cfg_fail(ctx, "scored_topic", "must differ from the input topics (\"%s\" is inputs[%zu].topic)",
                            c->scored_topic, i);
    return 0;
}
