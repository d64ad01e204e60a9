/* dict — interning hash table; see dict.h. */
#include "util/dict.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util/fnv.h"
#include "util/xalloc.h"

struct dict {
    enum dict_hash hash;
    uint32_t *slots; /* id + 1, 0 = empty; cap a power of two */
    uint32_t cap;
    char **keys;     /* per id: the copy, NULL when the id is free */
    uint32_t *lens;
    uint64_t *hashes;
    int n_ids, ids_cap; /* ids handed out; room in the per-id arrays */
    int count;
    int *free_ids; /* a stack of deleted ids */
    int n_free, free_cap;
};

/* ---- SipHash-1-3 (Aumasson and Bernstein), streaming over two pieces ---- */

static uint64_t sip_key[2];
static pthread_once_t sip_once = PTHREAD_ONCE_INIT;

static void sip_init_key(void) {
    if (getrandom(sip_key, sizeof sip_key, 0) != (ssize_t)sizeof sip_key) {
        /* no entropy source: still differs per process and run */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        sip_key[0] = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)ts.tv_sec;
        sip_key[1] = (uint64_t)getpid() * 0xC2B2AE3D27D4EB4Full ^ (uint64_t)(uintptr_t)&ts;
    }
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

typedef struct sip {
    uint64_t v0, v1, v2, v3, m; /* m: bytes not yet absorbed, little-endian */
    size_t n;                   /* bytes seen */
} sip;

static inline void sip_round(sip *s) {
    s->v0 += s->v1;
    s->v1 = ROTL(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = ROTL(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = ROTL(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = ROTL(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = ROTL(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = ROTL(s->v2, 32);
}

static inline void sip_word(sip *s, uint64_t w) {
    s->v3 ^= w;
    sip_round(s);
    s->v0 ^= w;
}

static void sip_start(sip *s) {
    s->v0 = 0x736f6d6570736575ull ^ sip_key[0];
    s->v1 = 0x646f72616e646f6dull ^ sip_key[1];
    s->v2 = 0x6c7967656e657261ull ^ sip_key[0];
    s->v3 = 0x7465646279746573ull ^ sip_key[1];
    s->m = 0;
    s->n = 0;
}

static void sip_bytes(sip *s, const unsigned char *p, size_t len) {
    while (len && (s->n & 7)) {
        s->m |= (uint64_t)*p++ << (8 * (s->n++ & 7));
        len--;
        if ((s->n & 7) == 0) {
            sip_word(s, s->m);
            s->m = 0;
        }
    }
    for (; len >= 8; p += 8, len -= 8, s->n += 8) {
        uint64_t w = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
                     (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
        sip_word(s, w);
    }
    while (len--) s->m |= (uint64_t)*p++ << (8 * (s->n++ & 7));
}

static uint64_t sip_end(sip *s) {
    sip_word(s, s->m | (uint64_t)(s->n & 0xff) << 56);
    s->v2 ^= 0xff;
    sip_round(s);
    sip_round(s);
    sip_round(s);
    return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

static uint64_t sip_hash2(const void *a, size_t alen, const void *b, size_t blen) {
    sip s;
    sip_start(&s);
    sip_bytes(&s, a, alen);
    sip_bytes(&s, b, blen);
    return sip_end(&s);
}

static inline uint64_t hash2(const dict *d, const void *a, size_t alen, const void *b, size_t blen) {
    if (d->hash == DICT_FNV) return fnv1a64_more(fnv1a64_more(FNV1A64_OFFSET, a, alen), b, blen);
    return sip_hash2(a, alen, b, blen);
}

/* ---- the table ------------------------------------------------------------ */

/* The home slot: FNV-1a's low bits see only the low bits of each byte, so
 * the high half is folded in before masking. */
static inline uint32_t home(const dict *d, uint64_t h) { return (uint32_t)(h ^ (h >> 32)) & (d->cap - 1); }

dict *dict_new(enum dict_hash h) {
    if (h == DICT_SEEDED) pthread_once(&sip_once, sip_init_key);
    dict *d = xcalloc(1, sizeof *d);
    d->hash = h;
    d->cap = 16;
    d->slots = xcalloc(d->cap, sizeof *d->slots);
    return d;
}

void dict_free(dict *d) {
    if (!d) return;
    for (int i = 0; i < d->n_ids; i++) free(d->keys[i]);
    free(d->keys);
    free(d->lens);
    free(d->hashes);
    free(d->slots);
    free(d->free_ids);
    free(d);
}

/* The slot holding id, which is in the table. */
static uint32_t slot_of(const dict *d, int id) {
    uint32_t i = home(d, d->hashes[id]);
    while (d->slots[i] != (uint32_t)id + 1) i = (i + 1) & (d->cap - 1);
    return i;
}

static inline int find_hashed(const dict *d, uint64_t h, const void *a, size_t alen, const void *b, size_t blen) {
    size_t len = alen + blen;
    for (uint32_t i = home(d, h);; i = (i + 1) & (d->cap - 1)) {
        uint32_t v = d->slots[i];
        if (!v) return -1;
        int id = (int)v - 1;
        if (d->hashes[id] == h && d->lens[id] == len && (!alen || memcmp(d->keys[id], a, alen) == 0) &&
            (!blen || memcmp(d->keys[id] + alen, b, blen) == 0))
            return id;
    }
}

int dict_find(const dict *d, const void *key, size_t len) {
    return find_hashed(d, hash2(d, key, len, NULL, 0), key, len, NULL, 0);
}

int dict_find2(const dict *d, const void *a, size_t alen, const void *b, size_t blen) {
    return find_hashed(d, hash2(d, a, alen, b, blen), a, alen, b, blen);
}

static void put_slot(dict *d, int id) {
    uint32_t i = home(d, d->hashes[id]);
    while (d->slots[i]) i = (i + 1) & (d->cap - 1);
    d->slots[i] = (uint32_t)id + 1;
}

static void grow(dict *d) {
    free(d->slots);
    d->cap *= 2;
    d->slots = xcalloc(d->cap, sizeof *d->slots);
    for (int id = 0; id < d->n_ids; id++)
        if (d->keys[id]) put_slot(d, id);
}

int dict_add(dict *d, const void *key, size_t len, int *added) {
    uint64_t h = hash2(d, key, len, NULL, 0);
    int id = find_hashed(d, h, key, len, NULL, 0);
    if (added) *added = id < 0;
    if (id >= 0) return id;
    if (len > UINT32_MAX || d->count >= INT32_MAX - 1) abort(); /* beyond the documented limits */
    if (d->n_free) {
        id = d->free_ids[--d->n_free];
    } else {
        if (d->n_ids == d->ids_cap) {
            d->ids_cap = d->ids_cap ? d->ids_cap * 2 : 16;
            d->keys = xrealloc(d->keys, sizeof *d->keys * (size_t)d->ids_cap);
            d->lens = xrealloc(d->lens, sizeof *d->lens * (size_t)d->ids_cap);
            d->hashes = xrealloc(d->hashes, sizeof *d->hashes * (size_t)d->ids_cap);
        }
        id = d->n_ids++;
    }
    char *copy = xmalloc(len + 1);
    if (len) memcpy(copy, key, len);
    copy[len] = '\0';
    d->keys[id] = copy;
    d->lens[id] = (uint32_t)len;
    d->hashes[id] = h;
    d->count++;
    if ((size_t)d->count * 2 > d->cap) grow(d);
    else put_slot(d, id);
    return id;
}

void dict_del_id(dict *d, int id) {
    uint32_t mask = d->cap - 1, i = slot_of(d, id);
    /* backward shift: move each later entry of the run into the hole when
     * its home slot is not between the hole and it (cyclically) */
    for (uint32_t j = (i + 1) & mask; d->slots[j]; j = (j + 1) & mask) {
        uint32_t k = home(d, d->hashes[d->slots[j] - 1]);
        int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (stays) continue;
        d->slots[i] = d->slots[j];
        i = j;
    }
    d->slots[i] = 0;
    free(d->keys[id]);
    d->keys[id] = NULL;
    d->count--;
    if (d->n_free == d->free_cap) {
        d->free_cap = d->free_cap ? d->free_cap * 2 : 16;
        d->free_ids = xrealloc(d->free_ids, sizeof *d->free_ids * (size_t)d->free_cap);
    }
    d->free_ids[d->n_free++] = id;
}

int dict_del(dict *d, const void *key, size_t len) {
    int id = dict_find(d, key, len);
    if (id >= 0) dict_del_id(d, id);
    return id;
}

const char *dict_key(const dict *d, int id, size_t *len) {
    if (id < 0 || id >= d->n_ids || !d->keys[id]) return NULL;
    if (len) *len = d->lens[id];
    return d->keys[id];
}

int dict_count(const dict *d) { return d->count; }

int dict_id_limit(const dict *d) { return d->n_ids; }

void dict_clear(dict *d) {
    for (int i = 0; i < d->n_ids; i++) free(d->keys[i]);
    memset(d->slots, 0, sizeof *d->slots * d->cap);
    d->n_ids = 0;
    d->count = 0;
    d->n_free = 0;
}
