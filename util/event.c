/* event — ownership helpers for the shared event struct; see event.h. */
#include "util/event.h"

#include <stdlib.h>
#include <string.h>

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
    free(e);
}

void event_add_entity(event *e, const char *key) {
    for (int i = 0; i < e->n_entities; i++)
        if (strcmp(e->entities[i], key) == 0) return;
    e->entities = xrealloc(e->entities, sizeof(char *) * (size_t)(e->n_entities + 1));
    e->entities[e->n_entities++] = xstrdup(key);
}
