/* event — ownership helpers for the shared event struct; see event.h. */
#include "util/event.h"

#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "util/timeutil.h"
#include "util/xalloc.h"

void event_free(event *e) {
    if (!e) return;
    free(e->id);
    free(e->stream);
    free(e->source);
    free(e->text);
    for (int i = 0; i < e->n_entities; i++) free(e->entities[i]);
    free(e->entities);
    free(e->origin_topic);
    free(e->agg_key);
    free(e->in_topic);
    free(e);
}

void event_add_entity(event *e, const char *key) {
    for (int i = 0; i < e->n_entities; i++)
        if (strcmp(e->entities[i], key) == 0) return;
    e->entities = xrealloc(e->entities, sizeof(char *) * (size_t)(e->n_entities + 1));
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
