/* event — ownership helpers for the shared event struct; see event.h. */
#include "util/event.h"

#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "util/timeutil.h"
#include "util/xalloc.h"

/* 1 when p points into e's packed allocation (and so is not freed alone). */
static int packed(const event *e, const void *p) {
    const char *b = (const char *)e;
    return (const char *)p >= b && (const char *)p < b + e->packed_bytes;
}

/* Frees p unless it lives in e's packed allocation. */
static void drop(const event *e, void *p) {
    if (!packed(e, p)) free(p);
}

void event_free(event *e) {
    if (!e) return;
    drop(e, e->id);
    drop(e, e->stream);
    drop(e, e->source);
    drop(e, e->text);
    for (int i = 0; i < e->n_entities; i++) drop(e, e->entities[i]);
    drop(e, e->entities);
    drop(e, e->origin_topic);
    drop(e, e->agg_key);
    drop(e, e->in_topic);
    free(e);
}

/* Copies n bytes of s and a NUL to *w, advancing it; returns the copy. */
static char *put(char **w, const char *s, size_t n) {
    char *out = *w;
    memcpy(out, s, n);
    out[n] = '\0';
    *w += n + 1;
    return out;
}

event *event_new_packed(const event_strings *s) {
    /* layout: the event, the entities array, then the strings */
    size_t ents = sizeof(char *) * (size_t)s->n_entities;
    size_t bytes = sizeof(event) + ents + strlen(s->id) + 1 + s->text_len + 1;
    if (s->stream) bytes += strlen(s->stream) + 1;
    if (s->source) bytes += strlen(s->source) + 1;
    if (s->origin_topic) bytes += strlen(s->origin_topic) + 1;
    for (int i = 0; i < s->n_entities; i++) bytes += strlen(s->entities[i]) + 1;
    event *e = xmalloc(bytes);
    memset(e, 0, sizeof *e);
    e->packed_bytes = bytes;
    e->topic.index = -1;
    e->sentiment.index = -1;
    char *w = (char *)(e + 1) + ents;
    e->id = put(&w, s->id, strlen(s->id));
    if (s->stream) e->stream = put(&w, s->stream, strlen(s->stream));
    if (s->source) e->source = put(&w, s->source, strlen(s->source));
    if (s->origin_topic) e->origin_topic = put(&w, s->origin_topic, strlen(s->origin_topic));
    e->text = put(&w, s->text, s->text_len);
    if (s->n_entities) {
        e->entities = (char **)(e + 1);
        for (int i = 0; i < s->n_entities; i++) e->entities[i] = put(&w, s->entities[i], strlen(s->entities[i]));
        e->n_entities = s->n_entities;
    }
    return e;
}

void event_set_string(event *e, char **field, const char *s) {
    drop(e, *field);
    *field = s ? xstrdup(s) : NULL;
}

void event_add_entity(event *e, const char *key) {
    for (int i = 0; i < e->n_entities; i++)
        if (strcmp(e->entities[i], key) == 0) return;
    size_t n = sizeof(char *) * (size_t)(e->n_entities + 1);
    if (e->entities && packed(e, e->entities)) { /* the packed array cannot grow: move it out */
        char **grown = xmalloc(n);
        memcpy(grown, e->entities, n - sizeof(char *));
        e->entities = grown;
    } else {
        e->entities = xrealloc(e->entities, n);
    }
    e->entities[e->n_entities++] = xstrdup(key);
}

static void add_score(cJSON *o, const char *name, const event_score *sc) {
    if (sc->index < 0) return;
    cJSON *h = cJSON_AddObjectToObject(o, name);
    cJSON_AddStringToObject(h, "label", sc->label);
    cJSON_AddNumberToObject(h, "score", sc->score);
}

struct cJSON *event_scored_cjson(const event *e) {
    cJSON *o = cJSON_CreateObject();
    char ts[40];
    time_format(e->ts_ms, ts, sizeof ts);
    cJSON_AddStringToObject(o, "id", e->id);
    cJSON_AddStringToObject(o, "stream", e->stream ? e->stream : "");
    cJSON_AddStringToObject(o, "ts", ts);
    if (e->source) cJSON_AddStringToObject(o, "source", e->source);
    cJSON_AddStringToObject(o, "text", e->text);
    cJSON *ents = cJSON_AddArrayToObject(o, "entities");
    for (int i = 0; i < e->n_entities; i++) cJSON_AddItemToArray(ents, cJSON_CreateString(e->entities[i]));
    add_score(o, "topic", &e->topic);
    add_score(o, "sentiment", &e->sentiment);
    return o;
}

char *event_scored_json(const event *e) {
    cJSON *o = event_scored_cjson(e);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *out = xstrdup(s ? s : "{}");
    cJSON_free(s);
    return out;
}
