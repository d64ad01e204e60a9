/* window — event-time windows, watermark and late events; see window.h. */
#include "alerts/window.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/xalloc.h"

typedef struct win_slot {
    uint32_t key_id;
    int n_samples;
    int min_sample; /* index of the least negative sample when full */
    win_stats stats;
    win_sample samples[WIN_TOPK_MAX];
} win_slot;

/* All windows starting at one time: key id -> slot, open addressing. */
typedef struct win_bucket {
    int64_t start;
    uint32_t *table; /* slot index + 1, 0 = empty */
    uint32_t table_cap;
    win_slot *slots;
    uint32_t n_slots, slots_cap;
} win_bucket;

typedef struct win_source {
    int64_t max_ts;
    int64_t last_seen_ms;
    int used;
} win_source;

struct win_engine {
    win_config cfg;
    win_emit_fn emit;
    win_late_fn late_fn;
    void *ud;

    win_key **keys;
    uint32_t n_keys, keys_cap;
    uint32_t *key_table; /* key id + 1 */
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
    uint32_t *scratch; /* key ids of the event being added */
    uint32_t scratch_cap;
};

static uint32_t hash_bytes(uint32_t h, const char *s) {
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return (h ^ 0xff) * 16777619u;
}

static uint32_t key_hash(enum win_scope scope, const char *entity, const char *topic) {
    uint32_t h = (2166136261u ^ (uint32_t)scope) * 16777619u;
    if (entity) h = hash_bytes(h, entity);
    if (topic) h = hash_bytes(h, topic);
    return h;
}

static int str_eq(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

static void key_table_insert(uint32_t *table, uint32_t cap, uint32_t h, uint32_t id) {
    uint32_t i = h & (cap - 1);
    while (table[i]) i = (i + 1) & (cap - 1);
    table[i] = id + 1;
}

/* Returns the id of the key, interning it on first sight. */
static uint32_t key_intern(win_engine *w, enum win_scope scope, const char *entity, const char *topic) {
    uint32_t h = key_hash(scope, entity, topic);
    uint32_t i = h & (w->key_table_cap - 1);
    for (uint32_t v; (v = w->key_table[i]) != 0; i = (i + 1) & (w->key_table_cap - 1)) {
        const win_key *k = w->keys[v - 1];
        if (k->scope == scope && str_eq(k->entity, entity) && str_eq(k->topic, topic)) return v - 1;
    }
    if (w->n_keys == w->keys_cap) {
        w->keys_cap = w->keys_cap ? w->keys_cap * 2 : 64;
        w->keys = xrealloc(w->keys, sizeof *w->keys * w->keys_cap);
    }
    win_key *k = xcalloc(1, sizeof *k);
    k->scope = scope;
    k->id = w->n_keys;
    switch (scope) {
    case WIN_SCOPE_GLOBAL: k->name = xstrdup("*"); break;
    case WIN_SCOPE_TOPIC: k->name = xasprintf("topic=%s", topic); break;
    case WIN_SCOPE_ENTITY: k->name = xasprintf("entity=%s", entity); break;
    case WIN_SCOPE_ENTITY_TOPIC: k->name = xasprintf("entity=%s,topic=%s", entity, topic); break;
    }
    if (entity) k->entity = xstrdup(entity);
    if (topic) k->topic = xstrdup(topic);
    w->keys[w->n_keys++] = k;
    if (w->n_keys * 2 > w->key_table_cap) {
        uint32_t cap = w->key_table_cap * 2;
        uint32_t *t = xcalloc(cap, sizeof *t);
        for (uint32_t j = 0; j < w->n_keys; j++) {
            const win_key *kj = w->keys[j];
            key_table_insert(t, cap, key_hash(kj->scope, kj->entity, kj->topic), j);
        }
        free(w->key_table);
        w->key_table = t;
        w->key_table_cap = cap;
    } else {
        key_table_insert(w->key_table, w->key_table_cap, h, k->id);
    }
    return k->id;
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
    w->key_table_cap = 256;
    w->key_table = xcalloc(w->key_table_cap, sizeof *w->key_table);
    w->watermark = INT64_MIN;
    return w;
}

static void bucket_free(win_bucket *b) {
    free(b->table);
    free(b->slots);
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
    free(w->key_table);
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

static win_slot *bucket_slot(win_bucket *b, uint32_t key_id) {
    uint32_t mask = b->table_cap - 1;
    uint32_t i = (key_id * 2654435761u) & mask;
    for (uint32_t v; (v = b->table[i]) != 0; i = (i + 1) & mask)
        if (b->slots[v - 1].key_id == key_id) return &b->slots[v - 1];
    if (b->n_slots == b->slots_cap) {
        b->slots_cap = b->slots_cap ? b->slots_cap * 2 : 32;
        b->slots = xrealloc(b->slots, sizeof *b->slots * b->slots_cap);
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
    return s;
}

/* Orders samples: more negative first, then earlier, then smaller id. */
static int sample_before(float pa, int64_t ta, const char *ia, const win_sample *b) {
    if (pa != b->p_negative) return pa > b->p_negative;
    if (ta != b->ts_ms) return ta < b->ts_ms;
    return strcmp(ia, b->id) < 0;
}

static void copy_trunc(char *dst, size_t cap, const char *src) {
    size_t n = src ? strlen(src) : 0;
    if (n < cap) {
        memcpy(dst, src ? src : "", n + 1);
        return;
    }
    n = cap - 1;
    while (n > 0 && ((uint8_t)src[n] & 0xC0) == 0x80) n--; /* do not split a UTF-8 sequence */
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void sample_fill(win_sample *s, const event *e) {
    copy_trunc(s->id, sizeof s->id, e->id);
    copy_trunc(s->source, sizeof s->source, e->source);
    s->ts_ms = e->ts_ms;
    s->p_negative = e->p_negative;
    size_t n = strlen(e->text);
    if (n <= WIN_SAMPLE_TEXT_MAX) {
        memcpy(s->text, e->text, n + 1);
    } else {
        n = WIN_SAMPLE_TEXT_MAX;
        while (n > 0 && ((uint8_t)e->text[n] & 0xC0) == 0x80) n--;
        memcpy(s->text, e->text, n);
        memcpy(s->text + n, "\xE2\x80\xA6", 4); /* "…" and NUL */
    }
}

static void slot_offer_sample(win_slot *s, const event *e, int k) {
    if (k == 0) return;
    if (s->n_samples < k) {
        sample_fill(&s->samples[s->n_samples++], e);
    } else {
        if (!sample_before(e->p_negative, e->ts_ms, e->id ? e->id : "", &s->samples[s->min_sample])) return;
        sample_fill(&s->samples[s->min_sample], e);
    }
    if (s->n_samples == k) { /* find the new least negative */
        int m = 0;
        for (int i = 1; i < k; i++) {
            const win_sample *a = &s->samples[i];
            if (sample_before(s->samples[m].p_negative, s->samples[m].ts_ms, s->samples[m].id, a)) m = i;
        }
        s->min_sample = m;
    }
}

static int cmp_sample(const void *a, const void *b) {
    const win_sample *x = a, *y = b;
    if (sample_before(x->p_negative, x->ts_ms, x->id, y)) return -1;
    if (sample_before(y->p_negative, y->ts_ms, y->id, x)) return 1;
    return 0;
}

static int cmp_result(const void *a, const void *b) {
    const win_result *x = a, *y = b;
    return strcmp(x->key->name, y->key->name);
}

static void close_front(win_engine *w) {
    win_bucket *b = w->buckets[0];
    memmove(w->buckets, w->buckets + 1, sizeof *w->buckets * (size_t)(w->n_buckets - 1));
    w->n_buckets--;
    if (b->n_slots > 0) {
        if (b->n_slots > w->results_cap) {
            w->results_cap = b->n_slots;
            w->results = xrealloc(w->results, sizeof *w->results * w->results_cap);
        }
        for (uint32_t i = 0; i < b->n_slots; i++) {
            win_slot *s = &b->slots[i];
            qsort(s->samples, (size_t)s->n_samples, sizeof s->samples[0], cmp_sample);
            w->results[i] = (win_result){w->keys[s->key_id], b->start, b->start + w->cfg.size_ms,
                                         s->stats, s->samples, s->n_samples};
        }
        qsort(w->results, b->n_slots, sizeof *w->results, cmp_result);
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
        if (w->cfg.idle_timeout_ms > 0 && now_ms - s->last_seen_ms > w->cfg.idle_timeout_ms) continue;
        active++;
        if (m < lo) lo = m;
    }
    int64_t wm = active ? lo : hi;
    if (wm > w->watermark) {
        w->watermark = wm;
        close_ready(w);
    }
}

static void source_seen(win_engine *w, int source, int64_t ts_ms, int64_t now_ms) {
    if (source < 0) source = 0;
    if (source >= w->n_sources) {
        int n = source + 1;
        w->sources = xrealloc(w->sources, sizeof *w->sources * (size_t)n);
        for (int i = w->n_sources; i < n; i++) w->sources[i] = (win_source){INT64_MIN, 0, 0};
        w->n_sources = n;
    }
    win_source *s = &w->sources[source];
    s->used = 1;
    s->last_seen_ms = now_ms;
    if (ts_ms > s->max_ts) s->max_ts = ts_ms;
    recompute_watermark(w, now_ms);
}

void win_observe(win_engine *w, int source, int64_t ts_ms, int64_t now_ms) { source_seen(w, source, ts_ms, now_ms); }

void win_tick(win_engine *w, int64_t now_ms) { recompute_watermark(w, now_ms); }

void win_flush(win_engine *w) {
    while (w->n_buckets > 0) {
        int64_t end = w->buckets[0]->start + w->cfg.size_ms;
        if (end > w->watermark) w->watermark = end;
        close_front(w);
    }
}

static int label_class(const char *label) {
    if (strcasecmp(label, "negative") == 0) return 0;
    if (strcasecmp(label, "neutral") == 0) return 1;
    if (strcasecmp(label, "positive") == 0) return 2;
    return -1;
}

static void count_in(win_engine *w, win_bucket *b, uint32_t key_id, const event *e, int cls, int64_t signed_micro) {
    win_slot *s = bucket_slot(b, key_id);
    s->stats.count++;
    if (cls == 0) s->stats.negatives++;
    else if (cls == 1) s->stats.neutrals++;
    else s->stats.positives++;
    s->stats.score_micro += signed_micro;
    slot_offer_sample(s, e, w->cfg.top_k);
}

int win_add(win_engine *w, int source, const event *e, int64_t now_ms) {
    int cls = label_class(e->sentiment.label);
    if (cls < 0) return -1;
    source_seen(w, source, e->ts_ms, now_ms);

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
    if (sc & WIN_SCOPE_GLOBAL) w->scratch[nk++] = key_intern(w, WIN_SCOPE_GLOBAL, NULL, NULL);
    if ((sc & WIN_SCOPE_TOPIC) && topic) w->scratch[nk++] = key_intern(w, WIN_SCOPE_TOPIC, NULL, topic);
    for (int i = 0; i < e->n_entities; i++) {
        if (sc & WIN_SCOPE_ENTITY) w->scratch[nk++] = key_intern(w, WIN_SCOPE_ENTITY, e->entities[i], NULL);
        if ((sc & WIN_SCOPE_ENTITY_TOPIC) && topic)
            w->scratch[nk++] = key_intern(w, WIN_SCOPE_ENTITY_TOPIC, e->entities[i], topic);
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
