/* part_mute — keys → scored partition and per-partition rebuild ends,
 * under one mutex; see part_mute.h. */
#include "alerts/part_mute.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

typedef struct pm_slot {
    char *key; /* NULL: empty */
    uint64_t hash;
    int32_t partition;
} pm_slot;

struct part_mute {
    pthread_mutex_t mu;
    pm_slot *tab;
    size_t cap, n;
    int64_t *until; /* per partition: muted up to this window end; INT64_MIN: not rebuilding */
    int32_t n_until;
};

static uint64_t pm_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static pm_slot *find(part_mute *m, const char *key, uint64_t h) {
    size_t i = h & (m->cap - 1);
    while (m->tab[i].key && !(m->tab[i].hash == h && strcmp(m->tab[i].key, key) == 0)) i = (i + 1) & (m->cap - 1);
    return &m->tab[i];
}

/* Re-inserts every key into a table of cap slots. */
static void rehash(part_mute *m, size_t cap) {
    pm_slot *old = m->tab;
    size_t old_cap = m->cap;
    m->tab = xcalloc(cap, sizeof *m->tab);
    m->cap = cap;
    m->n = 0;
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].key) continue;
        *find(m, old[i].key, old[i].hash) = old[i];
        m->n++;
    }
    free(old);
}

part_mute *pm_new(void) {
    part_mute *m = xcalloc(1, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
    m->cap = 64;
    m->tab = xcalloc(m->cap, sizeof *m->tab);
    return m;
}

void pm_free(part_mute *m) {
    if (!m) return;
    for (size_t i = 0; i < m->cap; i++) free(m->tab[i].key);
    free(m->tab);
    free(m->until);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

void pm_reset(part_mute *m) {
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->cap; i++) {
        free(m->tab[i].key);
        m->tab[i].key = NULL;
    }
    m->n = 0;
    for (int32_t i = 0; i < m->n_until; i++) m->until[i] = INT64_MIN;
    pthread_mutex_unlock(&m->mu);
}

void pm_own(part_mute *m, const char *key, int32_t partition) {
    uint64_t h = pm_hash(key);
    pthread_mutex_lock(&m->mu);
    pm_slot *s = find(m, key, h);
    if (!s->key) {
        if ((m->n + 1) * 2 > m->cap) {
            rehash(m, m->cap * 2);
            s = find(m, key, h);
        }
        *s = (pm_slot){xstrdup(key), h, partition};
        m->n++;
    } else {
        s->partition = partition;
    }
    pthread_mutex_unlock(&m->mu);
}

void pm_rebuilt(part_mute *m, int32_t partition, int64_t end_ms) {
    if (partition < 0) return;
    pthread_mutex_lock(&m->mu);
    if (partition >= m->n_until) {
        m->until = xrealloc(m->until, sizeof *m->until * (size_t)(partition + 1));
        for (int32_t i = m->n_until; i <= partition; i++) m->until[i] = INT64_MIN;
        m->n_until = partition + 1;
    }
    if (end_ms > m->until[partition]) m->until[partition] = end_ms;
    pthread_mutex_unlock(&m->mu);
}

int pm_muted(part_mute *m, const char *key, int64_t window_end_ms) {
    uint64_t h = pm_hash(key);
    pthread_mutex_lock(&m->mu);
    const pm_slot *s = find(m, key, h);
    int muted = s->key && s->partition < m->n_until && window_end_ms <= m->until[s->partition];
    pthread_mutex_unlock(&m->mu);
    return muted;
}
