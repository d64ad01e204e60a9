/* window — event-time windows, watermark and late events; see window.h.
 *
 * Entity and topic names are interned in util/dict (seeded hashing: they
 * come from messages). The two maps on the per-event path — a key's
 * (scope, entity id, topic id) to its id, and a key id to its slot in a
 * window — are integer maps kept here: through the generic byte-key dict
 * they cost 1.8 to 2.3 times the events/s of `finsent bench aggregate`
 * (a hash of the bytes and a compare through the stored copy, per key per
 * event), measured when the rest moved to util. */
#include "alerts/window.h"

#include <stdlib.h>
#include <string.h>

#include "util/codec.h"
#include "util/dict.h"
#include "util/utf8.h"
#include "util/xalloc.h"

typedef struct win_slot {
    uint32_t key_id;
    int n_samples;
    int min_sample; /* index of the least negative sample when full */
    win_stats stats;
} win_slot;

/* All windows starting at one time: key id -> slot, open addressing. */
typedef struct win_bucket {
    int64_t start;
    uint32_t *table; /* slot index + 1, 0 = empty */
    uint32_t table_cap;
    win_slot *slots;
    win_sample *samples; /* top_k per slot, at slot index × top_k */
    uint32_t n_slots, slots_cap;
} win_bucket;

typedef struct win_source {
    int64_t max_ts;
    int64_t last_seen_ms;
    int used;
    int held; /* win_hold: has lag, so never idle */
} win_source;

typedef struct key_ref {
    uint32_t scope, eid, tid;
} key_ref;

/* A slot of a closing bucket with its key's rank, for sorting. */
typedef struct ranked_slot {
    uint32_t rank, slot;
} ranked_slot;

struct win_engine {
    win_config cfg;
    win_emit_fn emit;
    win_late_fn late_fn;
    void *ud;

    dict *entities, *topics; /* names interned to ids (entity id + 1, topic id + 1 in key_refs) */
    win_key **keys;
    key_ref *key_refs;
    uint32_t *key_rank; /* position of each key in name order */
    uint32_t n_keys, keys_cap, n_ranked;
    uint32_t *key_table; /* key id + 1, open addressing on key_hash */
    uint32_t key_table_cap;

    win_bucket **buckets; /* open, sorted by start */
    int n_buckets, buckets_cap;
    win_bucket **spare; /* closed buckets kept for reuse */
    int n_spare, spare_cap;

    win_source *sources;
    int n_sources;

    int64_t watermark;
    int64_t late;
    win_result *results;
    uint32_t results_cap;
    ranked_slot *order;
    uint32_t *by_rank; /* slot index + 1 per key rank, while closing a bucket */
    uint32_t by_rank_cap;
    win_sample staged; /* the event being added, as a sample */
    int staged_ready;
    uint32_t *scratch; /* key ids of the event being added */
    uint32_t scratch_cap;
};

/* The dense id of s among names d interned so far, adding it on first sight. */
static uint32_t name_intern(dict *d, const char *s) { return (uint32_t)dict_add(d, s, strlen(s), NULL); }

/* The name of interned id (entity or topic). */
static const char *name_at(const dict *d, uint32_t id) { return dict_key(d, (int)id, NULL); }

/* The key name of a scope for an entity and topic (either may be NULL). */
static char *key_name(enum win_scope scope, const char *entity, const char *topic) {
    switch (scope) {
    case WIN_SCOPE_GLOBAL: return xstrdup("*");
    case WIN_SCOPE_TOPIC: return xasprintf("topic=%s", topic);
    case WIN_SCOPE_ENTITY: return xasprintf("entity=%s", entity);
    default: return xasprintf("entity=%s,topic=%s", entity, topic);
    }
}

static uint32_t hash_u32(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    return x ^ (x >> 16);
}

/* Keys are identified by (scope, entity id + 1, topic id + 1), 0 = none. */
static uint32_t key_hash(const key_ref *r) {
    return hash_u32((uint32_t)r->scope * 0x9E3779B1u ^ hash_u32(r->eid * 0x85EBCA6Bu ^ r->tid));
}

static void key_table_insert(uint32_t *table, uint32_t cap, uint32_t h, uint32_t id) {
    uint32_t i = h & (cap - 1);
    while (table[i]) i = (i + 1) & (cap - 1);
    table[i] = id + 1;
}

/* Returns the id of the key, interning it on first sight. */
static uint32_t key_intern(win_engine *w, enum win_scope scope, uint32_t eid, uint32_t tid) {
    key_ref ref = {(uint32_t)scope, eid, tid};
    uint32_t h = key_hash(&ref);
    uint32_t i = h & (w->key_table_cap - 1);
    for (uint32_t v; (v = w->key_table[i]) != 0; i = (i + 1) & (w->key_table_cap - 1)) {
        const key_ref *k = &w->key_refs[v - 1];
        if (k->scope == ref.scope && k->eid == eid && k->tid == tid) return v - 1;
    }
    if (w->n_keys == w->keys_cap) {
        w->keys_cap = w->keys_cap ? w->keys_cap * 2 : 64;
        w->keys = xrealloc(w->keys, sizeof *w->keys * w->keys_cap);
        w->key_refs = xrealloc(w->key_refs, sizeof *w->key_refs * w->keys_cap);
        w->key_rank = xrealloc(w->key_rank, sizeof *w->key_rank * w->keys_cap);
    }
    const char *entity = eid ? name_at(w->entities, eid - 1) : NULL;
    const char *topic = tid ? name_at(w->topics, tid - 1) : NULL;
    win_key *k = xcalloc(1, sizeof *k);
    k->scope = scope;
    k->id = w->n_keys;
    k->name = key_name(scope, entity, topic);
    if (entity) k->entity = xstrdup(entity);
    if (topic) k->topic = xstrdup(topic);
    w->key_refs[w->n_keys] = ref;
    w->keys[w->n_keys++] = k;
    if (w->n_keys * 2 > w->key_table_cap) {
        uint32_t cap = w->key_table_cap * 2;
        uint32_t *t = xcalloc(cap, sizeof *t);
        for (uint32_t j = 0; j < w->n_keys; j++) key_table_insert(t, cap, key_hash(&w->key_refs[j]), j);
        free(w->key_table);
        w->key_table = t;
        w->key_table_cap = cap;
    } else {
        key_table_insert(w->key_table, w->key_table_cap, h, k->id);
    }
    return k->id;
}

static const win_key *const *g_sort_keys; /* for rank_cmp; set only inside rank_keys */

static int rank_cmp(const void *a, const void *b) {
    return strcmp(g_sort_keys[*(const uint32_t *)a]->name, g_sort_keys[*(const uint32_t *)b]->name);
}

/* Recomputes every key's rank in name order when keys were added. */
static void rank_keys(win_engine *w) {
    if (w->n_ranked == w->n_keys) return;
    uint32_t *ids = xmalloc(sizeof *ids * w->n_keys);
    for (uint32_t i = 0; i < w->n_keys; i++) ids[i] = i;
    g_sort_keys = (const win_key *const *)w->keys;
    qsort(ids, w->n_keys, sizeof *ids, rank_cmp);
    g_sort_keys = NULL;
    for (uint32_t i = 0; i < w->n_keys; i++) w->key_rank[ids[i]] = i;
    free(ids);
    w->n_ranked = w->n_keys;
}

const char *win_config_check(const win_config *c) {
    if (c->size_ms <= 0) return "window size must be > 0 ms";
    if (c->advance_ms <= 0 || c->advance_ms > c->size_ms) return "window advance must be > 0 and <= size";
    if (c->lateness_ms < 0) return "allowed lateness must be >= 0";
    if (c->idle_timeout_ms < 0) return "idle timeout must be >= 0";
    if (c->scopes == 0 || (c->scopes & ~(unsigned)WIN_SCOPE_ALL)) return "key scopes must be a non-empty set";
    if (c->top_k < 0 || c->top_k > WIN_TOPK_MAX) return "top_k samples must be 0..8";
    return NULL;
}

win_engine *win_create(const win_config *cfg, win_emit_fn emit, win_late_fn late, void *ud) {
    if (win_config_check(cfg) || !emit) abort();
    win_engine *w = xcalloc(1, sizeof *w);
    w->cfg = *cfg;
    w->emit = emit;
    w->late_fn = late;
    w->ud = ud;
    /* entity and topic names: the one interning table */
    w->key_table_cap = 256;
    w->key_table = xcalloc(w->key_table_cap, sizeof *w->key_table);
    w->entities = dict_new(DICT_SEEDED);
    w->topics = dict_new(DICT_SEEDED);
    w->watermark = INT64_MIN;
    return w;
}

static void bucket_free(win_bucket *b) {
    free(b->table);
    free(b->slots);
    free(b->samples);
    free(b);
}

void win_destroy(win_engine *w) {
    if (!w) return;
    for (uint32_t i = 0; i < w->n_keys; i++) {
        free((char *)w->keys[i]->name);
        free((char *)w->keys[i]->entity);
        free((char *)w->keys[i]->topic);
        free(w->keys[i]);
    }
    free(w->keys);
    free(w->key_refs);
    free(w->key_rank);
    free(w->key_table);
    dict_free(w->entities);
    dict_free(w->topics);
    free(w->order);
    free(w->by_rank);
    for (int i = 0; i < w->n_buckets; i++) bucket_free(w->buckets[i]);
    for (int i = 0; i < w->n_spare; i++) bucket_free(w->spare[i]);
    free(w->buckets);
    free(w->spare);
    free(w->sources);
    free(w->results);
    free(w->scratch);
    free(w);
}

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Finds or opens the bucket of windows starting at start. */
static win_bucket *bucket_get(win_engine *w, int64_t start) {
    int i = w->n_buckets;
    while (i > 0 && w->buckets[i - 1]->start > start) i--;
    if (i > 0 && w->buckets[i - 1]->start == start) return w->buckets[i - 1];
    win_bucket *b;
    if (w->n_spare > 0) {
        b = w->spare[--w->n_spare];
    } else {
        b = xcalloc(1, sizeof *b);
        b->table_cap = 64;
        b->table = xcalloc(b->table_cap, sizeof *b->table);
    }
    b->start = start;
    b->n_slots = 0;
    if (w->n_buckets == w->buckets_cap) {
        w->buckets_cap = w->buckets_cap ? w->buckets_cap * 2 : 8;
        w->buckets = xrealloc(w->buckets, sizeof *w->buckets * (size_t)w->buckets_cap);
    }
    memmove(w->buckets + i + 1, w->buckets + i, sizeof *w->buckets * (size_t)(w->n_buckets - i));
    w->buckets[i] = b;
    w->n_buckets++;
    return b;
}

/* Returns the index of the key's slot in b, opening it on first sight. */
static uint32_t bucket_slot(win_bucket *b, uint32_t key_id, int top_k) {
    uint32_t mask = b->table_cap - 1;
    uint32_t i = (key_id * 2654435761u) & mask;
    for (uint32_t v; (v = b->table[i]) != 0; i = (i + 1) & mask)
        if (b->slots[v - 1].key_id == key_id) return v - 1;
    if (b->n_slots == b->slots_cap) {
        b->slots_cap = b->slots_cap ? b->slots_cap * 2 : 32;
        b->slots = xrealloc(b->slots, sizeof *b->slots * b->slots_cap);
        if (top_k > 0) b->samples = xrealloc(b->samples, sizeof *b->samples * b->slots_cap * (size_t)top_k);
    }
    win_slot *s = &b->slots[b->n_slots++];
    s->key_id = key_id;
    s->n_samples = 0;
    s->min_sample = 0;
    memset(&s->stats, 0, sizeof s->stats);
    if (b->n_slots * 2 > b->table_cap) {
        b->table_cap *= 2;
        free(b->table);
        b->table = xcalloc(b->table_cap, sizeof *b->table);
        mask = b->table_cap - 1;
        for (uint32_t j = 0; j < b->n_slots; j++) {
            uint32_t k = (b->slots[j].key_id * 2654435761u) & mask;
            while (b->table[k]) k = (k + 1) & mask;
            b->table[k] = j + 1;
        }
    } else {
        b->table[i] = b->n_slots;
    }
    return b->n_slots - 1;
}

/* Orders samples: more negative first, then earlier, then smaller id. */
static int sample_before(float pa, int64_t ta, const char *ia, const win_sample *b) {
    if (pa != b->p_negative) return pa > b->p_negative;
    if (ta != b->ts_ms) return ta < b->ts_ms;
    return strcmp(ia, b->id) < 0;
}

static void sample_fill(win_sample *s, const event *e) {
    const char *id = e->id ? e->id : "", *source = e->source ? e->source : "";
    utf8_truncate(s->id, id, strlen(id), sizeof s->id - 1, 0);
    utf8_truncate(s->source, source, strlen(source), sizeof s->source - 1, 0);
    s->ts_ms = e->ts_ms;
    s->p_negative = e->p_negative;
    utf8_truncate(s->text, e->text, strlen(e->text), WIN_SAMPLE_TEXT_MAX, 1);
}

/* The event as a sample, made once per win_add however many slots take it. */
static const win_sample *staged_sample(win_engine *w, const event *e) {
    if (!w->staged_ready) {
        sample_fill(&w->staged, e);
        w->staged_ready = 1;
    }
    return &w->staged;
}

/* Keeps the k most negative events of a slot in samples[0..k). */
static void slot_offer_sample(win_engine *w, win_slot *s, win_sample *samples, const event *e, int k) {
    if (s->n_samples < k) {
        samples[s->n_samples++] = *staged_sample(w, e);
    } else {
        if (!sample_before(e->p_negative, e->ts_ms, e->id ? e->id : "", &samples[s->min_sample])) return;
        samples[s->min_sample] = *staged_sample(w, e);
    }
    if (s->n_samples == k) { /* find the new least negative */
        int m = 0;
        for (int i = 1; i < k; i++)
            if (sample_before(samples[m].p_negative, samples[m].ts_ms, samples[m].id, &samples[i])) m = i;
        s->min_sample = m;
    }
}

static int cmp_sample(const void *a, const void *b) {
    const win_sample *x = a, *y = b;
    if (sample_before(x->p_negative, x->ts_ms, x->id, y)) return -1;
    if (sample_before(y->p_negative, y->ts_ms, y->id, x)) return 1;
    return 0;
}

static int cmp_ranked(const void *a, const void *b) {
    uint32_t x = ((const ranked_slot *)a)->rank, y = ((const ranked_slot *)b)->rank;
    return (x > y) - (x < y);
}

static void close_front(win_engine *w) {
    win_bucket *b = w->buckets[0];
    memmove(w->buckets, w->buckets + 1, sizeof *w->buckets * (size_t)(w->n_buckets - 1));
    w->n_buckets--;
    if (b->n_slots > 0) {
        if (b->n_slots > w->results_cap) {
            w->results_cap = b->n_slots;
            w->results = xrealloc(w->results, sizeof *w->results * w->results_cap);
            w->order = xrealloc(w->order, sizeof *w->order * w->results_cap);
        }
        rank_keys(w);
        for (uint32_t i = 0; i < b->n_slots; i++) w->order[i] = (ranked_slot){w->key_rank[b->slots[i].key_id], i};
        if ((uint64_t)b->n_slots * 8 >= w->n_keys) { /* dense: place by rank in O(keys) */
            if (w->n_keys > w->by_rank_cap) {
                w->by_rank_cap = w->n_keys * 2;
                w->by_rank = xrealloc(w->by_rank, sizeof *w->by_rank * w->by_rank_cap);
            }
            memset(w->by_rank, 0, sizeof *w->by_rank * w->n_keys);
            for (uint32_t i = 0; i < b->n_slots; i++) w->by_rank[w->order[i].rank] = i + 1;
            uint32_t k = 0;
            for (uint32_t r = 0; r < w->n_keys; r++)
                if (w->by_rank[r]) w->order[k++] = (ranked_slot){r, w->by_rank[r] - 1};
        } else {
            qsort(w->order, b->n_slots, sizeof *w->order, cmp_ranked);
        }
        for (uint32_t i = 0; i < b->n_slots; i++) {
            win_slot *s = &b->slots[w->order[i].slot];
            win_sample *samples = b->samples ? b->samples + (size_t)w->order[i].slot * (size_t)w->cfg.top_k : NULL;
            if (s->n_samples > 1) qsort(samples, (size_t)s->n_samples, sizeof *samples, cmp_sample);
            w->results[i] = (win_result){w->keys[s->key_id], b->start, b->start + w->cfg.size_ms,
                                         s->stats, samples, s->n_samples};
        }
        w->emit(w->results, (int)b->n_slots, w->ud);
    }
    memset(b->table, 0, sizeof *b->table * b->table_cap);
    b->n_slots = 0;
    if (w->n_spare == w->spare_cap) {
        w->spare_cap = w->spare_cap ? w->spare_cap * 2 : 8;
        w->spare = xrealloc(w->spare, sizeof *w->spare * (size_t)w->spare_cap);
    }
    w->spare[w->n_spare++] = b;
}

static void close_ready(win_engine *w) {
    while (w->n_buckets > 0 && w->watermark != INT64_MIN &&
           w->buckets[0]->start + w->cfg.size_ms <= w->watermark)
        close_front(w);
}

static int64_t mark_of(const win_engine *w, const win_source *s) {
    return s->max_ts == INT64_MIN ? INT64_MIN : s->max_ts - w->cfg.lateness_ms;
}

static void recompute_watermark(win_engine *w, int64_t now_ms) {
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    int active = 0;
    for (int i = 0; i < w->n_sources; i++) {
        const win_source *s = &w->sources[i];
        if (!s->used) continue;
        int64_t m = mark_of(w, s);
        if (m > hi) hi = m;
        if (w->cfg.idle_timeout_ms > 0 && !s->held && now_ms - s->last_seen_ms > w->cfg.idle_timeout_ms) continue;
        active++;
        if (m < lo) lo = m;
    }
    int64_t wm = active ? lo : hi;
    if (wm > w->watermark) {
        w->watermark = wm;
        close_ready(w);
    }
}

/* The source's slot, added (unused) on first sight. */
static win_source *source_at(win_engine *w, int source) {
    if (source < 0) source = 0;
    if (source >= w->n_sources) {
        int n = source + 1;
        w->sources = xrealloc(w->sources, sizeof *w->sources * (size_t)n);
        for (int i = w->n_sources; i < n; i++) w->sources[i] = (win_source){INT64_MIN, 0, 0, 0};
        w->n_sources = n;
    }
    return &w->sources[source];
}

static void source_seen(win_engine *w, int source, int64_t ts_ms, int64_t now_ms) {
    win_source *s = source_at(w, source);
    s->used = 1;
    s->last_seen_ms = now_ms;
    if (ts_ms > s->max_ts) s->max_ts = ts_ms;
    recompute_watermark(w, now_ms);
}

void win_observe(win_engine *w, int source, int64_t ts_ms, int64_t now_ms) { source_seen(w, source, ts_ms, now_ms); }

void win_tick(win_engine *w, int64_t now_ms) { recompute_watermark(w, now_ms); }

void win_hold(win_engine *w, int source, int held, int64_t now_ms) {
    win_source *s = source_at(w, source);
    if (s->held && !held) s->last_seen_ms = now_ms; /* idle_timeout counts from the end of the lag */
    s->held = held;
    if (held) s->used = 1;
}

void win_flush(win_engine *w) {
    while (w->n_buckets > 0) {
        int64_t end = w->buckets[0]->start + w->cfg.size_ms;
        if (end > w->watermark) w->watermark = end;
        close_front(w);
    }
}

static void count_in(win_engine *w, win_bucket *b, uint32_t key_id, const event *e, int cls, int64_t signed_micro) {
    uint32_t si = bucket_slot(b, key_id, w->cfg.top_k);
    win_slot *s = &b->slots[si];
    s->stats.count++;
    if (cls == 0) s->stats.negatives++;
    else if (cls == 1) s->stats.neutrals++;
    else s->stats.positives++;
    s->stats.score_micro += signed_micro;
    if (cls == 0 && w->cfg.top_k > 0)
        slot_offer_sample(w, s, b->samples + (size_t)si * (size_t)w->cfg.top_k, e, w->cfg.top_k);
}

int win_key_names(unsigned scopes, const event *e, char ***out) {
    const char *topic = e->topic.label[0] ? e->topic.label : NULL;
    char **v = xmalloc(sizeof *v * (size_t)(2 + 2 * e->n_entities));
    int n = 0;
    if (scopes & WIN_SCOPE_GLOBAL) v[n++] = key_name(WIN_SCOPE_GLOBAL, NULL, NULL);
    if ((scopes & WIN_SCOPE_TOPIC) && topic) v[n++] = key_name(WIN_SCOPE_TOPIC, NULL, topic);
    for (int i = 0; i < e->n_entities; i++) {
        if (scopes & WIN_SCOPE_ENTITY) v[n++] = key_name(WIN_SCOPE_ENTITY, e->entities[i], NULL);
        if ((scopes & WIN_SCOPE_ENTITY_TOPIC) && topic)
            v[n++] = key_name(WIN_SCOPE_ENTITY_TOPIC, e->entities[i], topic);
    }
    *out = v;
    return n;
}

int win_add(win_engine *w, int source, const event *e, int64_t now_ms) { return win_add_key(w, source, e, NULL, now_ms); }

int win_add_key(win_engine *w, int source, const event *e, const char *only, int64_t now_ms) {
    int cls = lm_class(w->cfg.labels, e->sentiment.label);
    if (cls < 0) return -1;
    source_seen(w, source, e->ts_ms, now_ms);
    w->staged_ready = 0;

    int64_t micro = (int64_t)((double)e->sentiment.score * 1e6 + 0.5);
    int64_t signed_micro = cls == 0 ? -micro : cls == 2 ? micro : 0;
    const char *topic = e->topic.label[0] ? e->topic.label : NULL;
    unsigned sc = w->cfg.scopes;

    /* the event's keys, interned once for all its windows */
    uint32_t need = 2 + 2 * (uint32_t)e->n_entities, nk = 0;
    if (need > w->scratch_cap) {
        w->scratch_cap = need * 2;
        w->scratch = xrealloc(w->scratch, sizeof *w->scratch * w->scratch_cap);
    }
    uint32_t tid = topic && (sc & (WIN_SCOPE_TOPIC | WIN_SCOPE_ENTITY_TOPIC)) ? name_intern(w->topics, topic) + 1 : 0;
    if (sc & WIN_SCOPE_GLOBAL) w->scratch[nk++] = key_intern(w, WIN_SCOPE_GLOBAL, 0, 0);
    if ((sc & WIN_SCOPE_TOPIC) && tid) w->scratch[nk++] = key_intern(w, WIN_SCOPE_TOPIC, 0, tid);
    if (sc & (WIN_SCOPE_ENTITY | WIN_SCOPE_ENTITY_TOPIC)) {
        for (int i = 0; i < e->n_entities; i++) {
            uint32_t eid = name_intern(w->entities, e->entities[i]) + 1;
            if (sc & WIN_SCOPE_ENTITY) w->scratch[nk++] = key_intern(w, WIN_SCOPE_ENTITY, eid, 0);
            if ((sc & WIN_SCOPE_ENTITY_TOPIC) && tid) w->scratch[nk++] = key_intern(w, WIN_SCOPE_ENTITY_TOPIC, eid, tid);
        }
    }
    if (only) { /* one key of the event (the aggregate role): keep it alone, or none */
        uint32_t kept = 0;
        for (uint32_t i = 0; i < nk && !kept; i++)
            if (strcmp(w->keys[w->scratch[i]]->name, only) == 0) w->scratch[kept++] = w->scratch[i];
        nk = kept;
    }

    int total = 0, missed = 0;
    int64_t last = floor_div(e->ts_ms, w->cfg.advance_ms) * w->cfg.advance_ms;
    for (int64_t start = last; start + w->cfg.size_ms > e->ts_ms; start -= w->cfg.advance_ms) {
        total++;
        if (w->watermark != INT64_MIN && start + w->cfg.size_ms <= w->watermark) {
            missed++;
            continue;
        }
        win_bucket *b = bucket_get(w, start);
        for (uint32_t i = 0; i < nk; i++) count_in(w, b, w->scratch[i], e, cls, signed_micro);
    }
    if (missed > 0) {
        w->late++;
        if (w->late_fn) w->late_fn(e, missed, total, w->ud);
    }
    return 0;
}

int64_t win_watermark(const win_engine *w) { return w->watermark; }
int64_t win_late_count(const win_engine *w) { return w->late; }
uint32_t win_n_keys(const win_engine *w) { return w->n_keys; }
const win_key *win_key_at(const win_engine *w, uint32_t id) { return id < w->n_keys ? w->keys[id] : NULL; }

double win_negative_share(const win_stats *s) { return s->count ? (double)s->negatives / (double)s->count : 0.0; }
double win_weighted_score(const win_stats *s) { return s->count ? (double)s->score_micro / 1e6 / (double)s->count : 0.0; }

/* ---- checkpoints ---- */

int win_stats_ok(const win_stats *c) {
    /* each part checked before the sums, which then cannot overflow */
    if (c->count < 0 || c->count > ((int64_t)1 << 40) || c->negatives < 0 || c->neutrals < 0 || c->positives < 0 ||
        c->negatives > c->count || c->neutrals > c->count || c->positives > c->count)
        return 0;
    int64_t bound = c->count * 2000000;
    return c->negatives + c->neutrals + c->positives == c->count && c->score_micro >= -bound &&
           c->score_micro <= bound;
}

#define WIN_STATE_MAX 50000000u /* most keys, sources, buckets or slots a state may hold */

static void save_sample(cw *o, const win_sample *sm) {
    cw_str(o, sm->id);
    cw_str(o, sm->source);
    cw_i64(o, sm->ts_ms);
    cw_str(o, sm->text);
    cw_f32(o, sm->p_negative);
}

void win_save(const win_engine *w, cw *o) {
    cw_u32(o, w->n_keys);
    for (uint32_t i = 0; i < w->n_keys; i++) {
        const win_key *k = w->keys[i];
        cw_u8(o, (uint8_t)k->scope);
        cw_str(o, k->entity);
        cw_str(o, k->topic);
    }
    cw_u32(o, (uint32_t)w->n_sources);
    for (int i = 0; i < w->n_sources; i++) {
        cw_u8(o, (uint8_t)w->sources[i].used);
        cw_i64(o, w->sources[i].max_ts);
    }
    cw_i64(o, w->watermark);
    cw_i64(o, w->late);
    cw_u32(o, (uint32_t)w->n_buckets);
    for (int i = 0; i < w->n_buckets; i++) {
        const win_bucket *b = w->buckets[i];
        cw_i64(o, b->start);
        cw_u32(o, b->n_slots);
        for (uint32_t j = 0; j < b->n_slots; j++) {
            const win_slot *sl = &b->slots[j];
            cw_u32(o, sl->key_id);
            cw_i64(o, sl->stats.count);
            cw_i64(o, sl->stats.negatives);
            cw_i64(o, sl->stats.neutrals);
            cw_i64(o, sl->stats.positives);
            cw_i64(o, sl->stats.score_micro);
            cw_u32(o, (uint32_t)sl->n_samples);
            for (int k = 0; k < sl->n_samples; k++) save_sample(o, &b->samples[(size_t)j * (size_t)w->cfg.top_k + k]);
        }
    }
}

/* The key of a saved (scope, entity, topic), interned as key id `want`. */
static int load_key(win_engine *w, cr *in, uint32_t want) {
    int scope = cr_u8(in);
    char *entity = cr_str(in, 4096), *topic = cr_str(in, 4096);
    int rc = -1;
    int need_entity = scope == WIN_SCOPE_ENTITY || scope == WIN_SCOPE_ENTITY_TOPIC;
    int need_topic = scope == WIN_SCOPE_TOPIC || scope == WIN_SCOPE_ENTITY_TOPIC;
    if (!cr_ok(in)) goto out;
    if (scope != WIN_SCOPE_GLOBAL && !need_entity && !need_topic) {
        cr_fail(in, "unknown key scope");
        goto out;
    }
    if (!!entity != need_entity || !!topic != need_topic || (entity && !entity[0]) || (topic && !topic[0])) {
        cr_fail(in, "key without its entity or topic");
        goto out;
    }
    uint32_t eid = entity ? name_intern(w->entities, entity) + 1 : 0;
    uint32_t tid = topic ? name_intern(w->topics, topic) + 1 : 0;
    if (key_intern(w, (enum win_scope)scope, eid, tid) != want) {
        cr_fail(in, "a key is saved twice");
        goto out;
    }
    rc = 0;
out:
    free(entity);
    free(topic);
    return rc;
}

static int load_bucket(win_engine *w, cr *in, int64_t prev_start) {
    int64_t start = cr_i64(in);
    uint32_t n = cr_count(in, w->n_keys, 48); /* key, five counts, samples count */
    if (!cr_ok(in)) return -1;
    if (start <= prev_start || !win_time_ok(start)) return cr_fail(in, "window starts out of order or out of range");
    if (w->watermark != INT64_MIN && start + w->cfg.size_ms <= w->watermark)
        return cr_fail(in, "an open window the watermark has closed");
    win_bucket *b = bucket_get(w, start);
    for (uint32_t j = 0; j < n; j++) {
        uint32_t key = cr_u32(in);
        if (!cr_ok(in)) return -1;
        if (key >= w->n_keys) return cr_fail(in, "a window of an unknown key");
        uint32_t si = bucket_slot(b, key, w->cfg.top_k);
        if (si != b->n_slots - 1 || j != si) return cr_fail(in, "a key's window is saved twice");
        win_slot *sl = &b->slots[si];
        sl->stats.count = cr_i64(in);
        sl->stats.negatives = cr_i64(in);
        sl->stats.neutrals = cr_i64(in);
        sl->stats.positives = cr_i64(in);
        sl->stats.score_micro = cr_i64(in);
        uint32_t ns = cr_count(in, (uint32_t)w->cfg.top_k, 24);
        if (!cr_ok(in)) return -1;
        if (!win_stats_ok(&sl->stats) || (int64_t)ns > sl->stats.negatives)
            return cr_fail(in, "inconsistent window counts");
        win_sample *samples = b->samples + (size_t)si * (size_t)w->cfg.top_k;
        for (uint32_t k = 0; k < ns; k++) {
            win_sample *sm = &samples[k];
            cr_strbuf(in, sm->id, sizeof sm->id);
            cr_strbuf(in, sm->source, sizeof sm->source);
            sm->ts_ms = cr_i64(in);
            cr_strbuf(in, sm->text, sizeof sm->text);
            sm->p_negative = cr_f32(in);
            if (!cr_ok(in)) return -1;
        }
        sl->n_samples = (int)ns;
        sl->min_sample = 0;
        for (int k = 1; k < sl->n_samples; k++)
            if (sample_before(samples[sl->min_sample].p_negative, samples[sl->min_sample].ts_ms,
                              samples[sl->min_sample].id, &samples[k]))
                sl->min_sample = k;
    }
    return 0;
}

int win_load(win_engine *w, cr *in, int64_t now_ms) {
    if (w->n_keys || w->n_buckets || w->n_sources) return cr_fail(in, "the window engine is not empty");
    uint32_t nk = cr_count(in, WIN_STATE_MAX, 9);
    for (uint32_t i = 0; i < nk && cr_ok(in); i++) load_key(w, in, i);
    uint32_t ns = cr_count(in, 1u << 20, 9);
    for (uint32_t i = 0; i < ns && cr_ok(in); i++) {
        win_source *s = source_at(w, (int)i);
        s->used = cr_u8(in) != 0;
        s->max_ts = cr_i64(in);
        s->last_seen_ms = now_ms;
        if (cr_ok(in) && !win_mark_ok(s->max_ts))
            cr_fail(in, "a source's event time out of range");
    }
    w->watermark = cr_i64(in);
    w->late = cr_i64(in);
    if (cr_ok(in) && w->late < 0) cr_fail(in, "negative late count");
    if (cr_ok(in) && !win_mark_ok(w->watermark)) cr_fail(in, "watermark out of range");
    uint32_t nb = cr_count(in, WIN_STATE_MAX, 12);
    int64_t prev = INT64_MIN;
    for (uint32_t i = 0; i < nb && cr_ok(in); i++) {
        if (load_bucket(w, in, prev) < 0) break;
        prev = w->buckets[w->n_buckets - 1]->start;
    }
    return cr_ok(in) ? 0 : -1;
}
