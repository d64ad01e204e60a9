/* ingest — ownership helpers for ingest_options; see ingest.h. */
#include "ingest/ingest.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/entity_match.h"
#include "util/xalloc.h"

/* The watch list's matcher, built once by the first decode that needs it
 * (decode threads race for it: the mutex picks one builder). */
struct ingest_watch_index {
    pthread_mutex_t mu;
    em_matcher *_Atomic m;
};

static void watch_index_drop(struct ingest_watch_index *w) {
    if (!w) return;
    em_free(w->m);
    w->m = NULL;
}

static void fields_free(ingest_fields *f) {
    free(f->id);
    free(f->ts);
    free(f->title);
    free(f->body);
    free(f->text);
    free(f->source);
    free(f->entities);
}

void ingest_options_free(ingest_options *o) {
    for (int i = 0; i < o->n_kafka; i++) {
        free(o->kafka[i].key);
        free(o->kafka[i].value);
    }
    free(o->kafka);
    free(o->group_id);
    for (int i = 0; i < o->n_inputs; i++) {
        free(o->inputs[i].topic);
        free(o->inputs[i].stream);
        fields_free(&o->inputs[i].fields);
    }
    free(o->inputs);
    free(o->dead_letter_topic);
    for (int i = 0; i < o->n_watchlist; i++) {
        free(o->watchlist[i].name);
        free(o->watchlist[i].entity);
    }
    free(o->watchlist);
    if (o->watch_index) {
        watch_index_drop(o->watch_index);
        pthread_mutex_destroy(&o->watch_index->mu);
        free(o->watch_index);
    }
    memset(o, 0, sizeof *o);
}

void ingest_options_set_kafka(ingest_options *o, const char *key, const char *value) {
    o->kafka = xrealloc(o->kafka, sizeof *o->kafka * (size_t)(o->n_kafka + 1));
    o->kafka[o->n_kafka].key = xstrdup(key);
    o->kafka[o->n_kafka].value = xstrdup(value);
    o->n_kafka++;
}

ingest_input *ingest_options_add_input(ingest_options *o, const char *topic, const char *stream) {
    o->inputs = xrealloc(o->inputs, sizeof *o->inputs * (size_t)(o->n_inputs + 1));
    ingest_input *in = &o->inputs[o->n_inputs++];
    memset(in, 0, sizeof *in);
    in->topic = xstrdup(topic);
    in->stream = stream ? xstrdup(stream) : NULL;
    return in;
}

void ingest_options_add_watch(ingest_options *o, const char *name, const char *entity) {
    o->watchlist = xrealloc(o->watchlist, sizeof *o->watchlist * (size_t)(o->n_watchlist + 1));
    o->watchlist[o->n_watchlist].name = xstrdup(name);
    o->watchlist[o->n_watchlist].entity = xstrdup(entity);
    o->n_watchlist++;
    if (!o->watch_index) {
        o->watch_index = xcalloc(1, sizeof *o->watch_index);
        pthread_mutex_init(&o->watch_index->mu, NULL);
    }
    watch_index_drop(o->watch_index);
}

const em_matcher *ingest_options_matcher(const ingest_options *o) {
    struct ingest_watch_index *w = o->watch_index;
    if (!w || o->n_watchlist == 0) return NULL;
    em_matcher *m = atomic_load_explicit(&w->m, memory_order_acquire);
    if (m) return m;
    pthread_mutex_lock(&w->mu);
    if (!(m = w->m)) {
        m = em_new();
        for (int i = 0; i < o->n_watchlist; i++) em_add(m, o->watchlist[i].name, i);
        em_build(m);
        atomic_store_explicit(&w->m, m, memory_order_release);
    }
    pthread_mutex_unlock(&w->mu);
    return m;
}

const ingest_input *ingest_options_input(const ingest_options *o, const char *topic) {
    for (int i = 0; i < o->n_inputs; i++)
        if (strcmp(o->inputs[i].topic, topic) == 0) return &o->inputs[i];
    return NULL;
}

int ingest_options_decode_threads(const ingest_options *o) {
    return o->decode_threads == 0 ? INGEST_DEFAULT_DECODE_THREADS : o->decode_threads < 0 ? 0 : o->decode_threads;
}
