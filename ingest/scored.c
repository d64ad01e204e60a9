/* scored — scored-topic records; see scored.h. */
#include "ingest/scored.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "util/errmsg.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* The scored event's head (util/event.h) with the label index added, so
 * that the aggregate role gets back exactly what classify computed. */
static void add_index(cJSON *o, const char *name, const event_score *sc) {
    cJSON *h = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!h) {
        h = cJSON_AddObjectToObject(o, name);
        cJSON_AddStringToObject(h, "label", sc->label);
        cJSON_AddNumberToObject(h, "score", sc->score);
    }
    cJSON_AddNumberToObject(h, "index", sc->index);
}

char *scored_record_json(const event *e, const char *key) {
    cJSON *o = event_scored_cjson(e);
    cJSON_AddNumberToObject(o, "ts_ms", (double)e->ts_ms);
    add_index(o, "topic", &e->topic);
    add_index(o, "sentiment", &e->sentiment);
    cJSON_AddNumberToObject(o, "p_negative", e->p_negative);
    cJSON_AddStringToObject(o, "key", key);
    cJSON *org = cJSON_AddObjectToObject(o, "origin");
    cJSON_AddStringToObject(org, "topic", e->origin_topic ? e->origin_topic : "");
    cJSON_AddNumberToObject(org, "partition", e->origin_partition);
    cJSON_AddNumberToObject(org, "offset", (double)e->origin_offset);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *out = xstrdup(s);
    cJSON_free(s);
    return out;
}

__attribute__((format(printf, 3, 4))) static event *fail(decode_result *res, enum decode_reason r, const char *fmt,
                                                          ...) {
    res->reason = r;
    va_list ap;
    va_start(ap, fmt);
    err_vset(res->detail, sizeof res->detail, fmt, ap);
    va_end(ap);
    return NULL;
}

/* A string member, or NULL when absent or not a string. */
static const char *str(const cJSON *o, const char *name) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static int num(const cJSON *o, const char *name, double *out) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(it)) return -1;
    *out = it->valuedouble;
    return 0;
}

static int score(const cJSON *o, const char *name, event_score *sc) {
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, name);
    const char *label = str(h, "label");
    double s, idx;
    if (!label || strlen(label) >= sizeof sc->label || num(h, "score", &s) || num(h, "index", &idx)) return -1;
    snprintf(sc->label, sizeof sc->label, "%s", label);
    sc->score = (float)s;
    sc->index = (int)idx;
    return 0;
}

/* Fills e from the parsed record; the name of the first bad field, or NULL. */
static const char *fill(event *e, const cJSON *o) {
    const char *id = str(o, "id"), *stream = str(o, "stream"), *text = str(o, "text"), *key = str(o, "key");
    const cJSON *ents = cJSON_GetObjectItemCaseSensitive(o, "entities");
    const cJSON *org = cJSON_GetObjectItemCaseSensitive(o, "origin");
    const char *otopic = str(org, "topic");
    double ts, pneg, part, off;
    if (!id) return "id";
    if (!stream) return "stream";
    if (!text) return "text";
    if (!key || !key[0]) return "key";
    if (num(o, "ts_ms", &ts)) return "ts_ms";
    if (num(o, "p_negative", &pneg)) return "p_negative";
    if (!cJSON_IsArray(ents)) return "entities";
    if (!otopic || num(org, "partition", &part) || num(org, "offset", &off)) return "origin";
    if (score(o, "topic", &e->topic)) return "topic";
    if (score(o, "sentiment", &e->sentiment)) return "sentiment";
    const cJSON *it;
    cJSON_ArrayForEach(it, ents) {
        if (!cJSON_IsString(it) || !it->valuestring[0]) return "entities";
        event_add_entity(e, it->valuestring);
    }
    e->id = xstrdup(id);
    e->stream = xstrdup(stream);
    e->text = xstrdup(text);
    const char *source = str(o, "source");
    if (source) e->source = xstrdup(source);
    e->ts_ms = (int64_t)ts;
    e->p_negative = (float)pneg;
    e->agg_key = xstrdup(key);
    e->in_topic = xstrdup(otopic);
    e->in_partition = (int32_t)part;
    e->in_offset = (int64_t)off;
    return NULL;
}

event *scored_decode(const ingest_options *opt, const ingest_input *in, const decode_msg *m, decode_result *res) {
    (void)in;
    memset(res, 0, sizeof *res);
    size_t max = opt && opt->max_message_bytes ? opt->max_message_bytes : INGEST_DEFAULT_MAX_MESSAGE_BYTES;
    if (m->len == 0) return fail(res, DECODE_EMPTY_MESSAGE, "the payload is empty");
    if (m->len > max) return fail(res, DECODE_OVERSIZE, "the payload is %zu bytes, limit %zu", m->len, max);
    if (!utf8_valid(m->payload, m->len)) return fail(res, DECODE_INVALID_UTF8, "the payload is not valid UTF-8");
    cJSON *o = cJSON_ParseWithLength(m->payload, m->len);
    if (!o) return fail(res, DECODE_INVALID_JSON, "not valid JSON");
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return fail(res, DECODE_NOT_AN_OBJECT, "the payload is JSON but not an object");
    }
    event *e = xcalloc(1, sizeof *e);
    const char *bad = fill(e, o);
    cJSON_Delete(o);
    if (bad) {
        event_free(e);
        return fail(res, DECODE_BAD_FIELD_TYPE, "scored record: field \"%s\" missing or of the wrong type", bad);
    }
    e->origin_topic = m->topic ? xstrdup(m->topic) : NULL;
    e->origin_partition = m->partition;
    e->origin_offset = m->offset;
    return e;
}
