/* entity_match — normalisation and the Aho-Corasick matcher of watch-list
 * names; see entity_match.h.
 *
 * The automaton works on bytes: names and texts are normalised UTF-8, so
 * a byte match that starts at a character boundary (every name starts
 * with a lead byte) ends at one too. The trie is built with an edge list
 * per state, then flattened into one array of edges sorted by byte per
 * state; the root's transitions are a dense table since most bytes of a
 * text are read at the root, where strcspn skips the bytes that start
 * no name. */
#include "ingest/entity_match.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "util/xalloc.h"

#define EM_OPTIONS                                                                                                    \
    (UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)

/* ---- normalisation ---- */

int em_normalize(em_norm *b, const char *s, size_t n) {
    const utf8proc_uint8_t *u = (const utf8proc_uint8_t *)s;
    int32_t *buf = b->stack;
    size_t cap = EM_NORM_STACK;
    utf8proc_ssize_t r;
    /* reencode writes a NUL after the UTF-8 bytes, which can take the
     * last element: one code point of room is kept for it */
    for (;;) {
        r = utf8proc_decompose_custom(u, (utf8proc_ssize_t)n, buf, (utf8proc_ssize_t)cap - 1, EM_OPTIONS, NULL, NULL);
        if (r < 0) {
            b->s = (char *)b->stack;
            b->stack[0] = 0;
            b->n = 0;
            return -1;
        }
        if ((size_t)r < cap) break;
        if (b->heap_cap < (size_t)r + 1) {
            free(b->heap);
            b->heap_cap = (size_t)r + 1;
            b->heap = xmalloc(sizeof *b->heap * b->heap_cap);
        }
        buf = b->heap;
        cap = b->heap_cap;
    }
    r = utf8proc_reencode(buf, r, EM_OPTIONS);
    b->s = (char *)buf;
    b->n = r < 0 ? 0 : (size_t)r;
    b->s[b->n] = '\0';
    return r < 0 ? -1 : 0;
}

void em_norm_free(em_norm *b) {
    free(b->heap);
    b->heap = NULL;
    b->heap_cap = 0;
}

int em_is_ascii(const char *s, size_t n) {
    size_t i = 0;
    uint64_t w, acc = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        acc |= w;
    }
    for (; i < n; i++) acc |= (unsigned char)s[i];
    return (acc & 0x8080808080808080ULL) == 0;
}

/* Scripts written without spaces between words (see the header), as
 * sorted, disjoint code point ranges. */
static const int32_t unspaced[][2] = {
    {0x0E00, 0x0EFF},   /* Thai, Lao */
    {0x0F00, 0x0FFF},   /* Tibetan */
    {0x1000, 0x109F},   /* Myanmar */
    {0x1100, 0x11FF},   /* Hangul Jamo */
    {0x1780, 0x17FF},   /* Khmer */
    {0x19E0, 0x19FF},   /* Khmer symbols */
    {0x2E80, 0x2FDF},   /* CJK radicals, Kangxi radicals */
    {0x3000, 0x312F},   /* CJK symbols (々 〇), Hiragana, Katakana, Bopomofo */
    {0x3130, 0x318F},   /* Hangul compatibility Jamo */
    {0x31A0, 0x31FF},   /* Bopomofo extended, CJK strokes, Katakana extension */
    {0x3400, 0x4DBF},   /* CJK extension A */
    {0x4E00, 0x9FFF},   /* CJK unified ideographs */
    {0xA000, 0xA4CF},   /* Yi */
    {0xA960, 0xA97F},   /* Hangul Jamo extended A */
    {0xA9E0, 0xA9FF},   /* Myanmar extended B */
    {0xAA60, 0xAA7F},   /* Myanmar extended A */
    {0xAC00, 0xD7FF},   /* Hangul syllables, Jamo extended B */
    {0xF900, 0xFAFF},   /* CJK compatibility ideographs */
    {0xFF66, 0xFFDC},   /* half-width Katakana and Hangul */
    {0x1B000, 0x1B16F}, /* Kana supplement and extensions */
    {0x20000, 0x3134F}, /* CJK extensions B-G, compatibility supplement */
};

int em_spaced_word_cp(int32_t c) {
    if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    utf8proc_category_t cat = utf8proc_category(c);
    if (!(cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO)) return 0; /* L*, M*, N* */
    if (c < unspaced[0][0]) return 1;
    int lo = 0, hi = (int)(sizeof unspaced / sizeof unspaced[0]) - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (c < unspaced[mid][0]) hi = mid - 1;
        else if (c > unspaced[mid][1]) lo = mid + 1;
        else return 0;
    }
    return 1;
}

/* The code point starting at s[i] (i < n), or -1 for a bad sequence. */
static int32_t cp_at(const char *s, size_t n, size_t i) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) return c;
    utf8proc_int32_t cp;
    return utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp) > 0 ? cp : -1;
}

/* The code point ending just before s[i] (i > 0). */
static int32_t cp_before(const char *s, size_t n, size_t i) {
    size_t j = i - 1;
    while (j > 0 && i - j < 4 && ((unsigned char)s[j] & 0xC0) == 0x80) j--;
    return cp_at(s, n, j);
}

/* ---- the matcher ---- */

typedef struct em_edge {
    uint8_t b;
    int32_t to;
} em_edge;

typedef struct em_state {
    int32_t fail; /* longest proper suffix that is a trie state */
    int32_t out;  /* first pattern ending here, -1 */
    int32_t dict; /* nearest state on the fail chain with out >= 0, -1 */
    uint32_t e0;  /* edges[e0 .. e0 + ne) after em_build */
    uint16_t ne;
    uint16_t ecap; /* while building: capacity of tmp[state] */
} em_state;

typedef struct em_pat {
    int id;
    uint32_t len;       /* bytes of the normalised name */
    uint8_t left;       /* first character is a spaced word character */
    uint8_t right;      /* last character is */
    int32_t next;       /* another pattern ending in the same state, -1 */
} em_pat;

struct em_matcher {
    em_state *st;
    int nst, st_cap;
    em_edge **tmp; /* per state, while building */
    em_edge *edges;
    int32_t root[256];  /* the root's transitions (0: none) */
    int32_t start[256]; /* root[b] for b and, for ASCII upper case, its lower case */
    char starters[257]; /* the bytes b with start[b] != 0, for strcspn */
    em_pat *pat;
    int npat, pat_cap;
    int built;
};

static int new_state(em_matcher *m) {
    if (m->nst == m->st_cap) {
        m->st_cap = m->st_cap ? 2 * m->st_cap : 256;
        m->st = xrealloc(m->st, sizeof *m->st * (size_t)m->st_cap);
        m->tmp = xrealloc(m->tmp, sizeof *m->tmp * (size_t)m->st_cap);
    }
    m->st[m->nst] = (em_state){.fail = 0, .out = -1, .dict = -1};
    m->tmp[m->nst] = NULL;
    return m->nst++;
}

em_matcher *em_new(void) {
    em_matcher *m = xcalloc(1, sizeof *m);
    new_state(m);
    return m;
}

void em_free(em_matcher *m) {
    if (!m) return;
    if (m->tmp)
        for (int i = 0; i < m->nst; i++) free(m->tmp[i]);
    free(m->tmp);
    free(m->st);
    free(m->edges);
    free(m->pat);
    free(m);
}

int em_count(const em_matcher *m) { return m->npat; }

/* The child of state s on byte b while building, -1 when none. */
static int32_t tmp_child(const em_matcher *m, int s, uint8_t b) {
    for (int i = 0; i < m->st[s].ne; i++)
        if (m->tmp[s][i].b == b) return m->tmp[s][i].to;
    return -1;
}

int em_add(em_matcher *m, const char *name, int id) {
    em_norm nb = {0};
    if (em_normalize(&nb, name, strlen(name)) || nb.n == 0) {
        em_norm_free(&nb);
        return -1;
    }
    int s = 0;
    for (size_t i = 0; i < nb.n; i++) {
        uint8_t b = (uint8_t)nb.s[i];
        int32_t t = tmp_child(m, s, b);
        if (t < 0) {
            t = new_state(m); /* may move m->st: index again below */
            em_state *ps = &m->st[s];
            if (ps->ne == ps->ecap) {
                ps->ecap = ps->ecap ? (uint16_t)(2 * ps->ecap) : 2;
                m->tmp[s] = xrealloc(m->tmp[s], sizeof **m->tmp * ps->ecap);
            }
            m->tmp[s][ps->ne++] = (em_edge){b, t};
        }
        s = t;
    }
    if (m->npat == m->pat_cap) {
        m->pat_cap = m->pat_cap ? 2 * m->pat_cap : 64;
        m->pat = xrealloc(m->pat, sizeof *m->pat * (size_t)m->pat_cap);
    }
    m->pat[m->npat] = (em_pat){.id = id,
                               .len = (uint32_t)nb.n,
                               .left = (uint8_t)em_spaced_word_cp(cp_at(nb.s, nb.n, 0)),
                               .right = (uint8_t)em_spaced_word_cp(cp_before(nb.s, nb.n, nb.n)),
                               .next = m->st[s].out};
    m->st[s].out = m->npat++;
    em_norm_free(&nb);
    return 0;
}

static int cmp_edge(const void *a, const void *b) {
    return (int)((const em_edge *)a)->b - (int)((const em_edge *)b)->b;
}

/* The transition of a built state s (not the root) on b, -1 when none. */
static inline int32_t child(const em_matcher *m, const em_state *s, uint8_t b) {
    const em_edge *e = m->edges + s->e0;
    int lo = 0, hi = s->ne - 1;
    if (s->ne <= 8) {
        for (int i = 0; i < s->ne; i++)
            if (e[i].b == b) return e[i].to;
        return -1;
    }
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (e[mid].b < b) lo = mid + 1;
        else if (e[mid].b > b) hi = mid - 1;
        else return e[mid].to;
    }
    return -1;
}

/* The automaton's move from state s on byte b (following failure links). */
static inline int32_t step(const em_matcher *m, int32_t s, uint8_t b) {
    while (s) {
        int32_t t = child(m, &m->st[s], b);
        if (t >= 0) return t;
        s = m->st[s].fail;
    }
    return m->root[b];
}

void em_build(em_matcher *m) {
    size_t total = 0;
    for (int s = 0; s < m->nst; s++) total += m->st[s].ne;
    m->edges = xmalloc(sizeof *m->edges * (total ? total : 1));
    size_t at = 0;
    for (int s = 0; s < m->nst; s++) {
        em_state *st = &m->st[s];
        if (st->ne) qsort(m->tmp[s], st->ne, sizeof *m->tmp[s], cmp_edge);
        if (st->ne) memcpy(m->edges + at, m->tmp[s], sizeof *m->edges * st->ne);
        st->e0 = (uint32_t)at;
        at += st->ne;
        free(m->tmp[s]);
    }
    free(m->tmp);
    m->tmp = NULL;
    for (int b = 0; b < 256; b++) m->root[b] = 0;
    for (int i = 0; i < m->st[0].ne; i++) m->root[m->edges[m->st[0].e0 + i].b] = m->edges[m->st[0].e0 + i].to;
    int k = 0;
    for (int b = 1; b < 256; b++) {
        m->start[b] = m->root[b >= 'A' && b <= 'Z' ? b + 32 : b];
        if (m->start[b]) m->starters[k++] = (char)b;
    }
    m->starters[k] = '\0';
    /* breadth first: a state's failure link is known before its children's */
    int32_t *queue = xmalloc(sizeof *queue * (size_t)m->nst);
    int qh = 0, qt = 0;
    for (int i = 0; i < m->st[0].ne; i++) queue[qt++] = m->edges[m->st[0].e0 + i].to;
    while (qh < qt) {
        int32_t u = queue[qh++];
        const em_state *su = &m->st[u];
        for (int i = 0; i < su->ne; i++) {
            const em_edge *e = &m->edges[su->e0 + i];
            em_state *sv = &m->st[e->to];
            sv->fail = step(m, su->fail, e->b);
            const em_state *sf = &m->st[sv->fail];
            sv->dict = sf->out >= 0 ? sv->fail : sf->dict;
            queue[qt++] = e->to;
        }
    }
    free(queue);
    m->built = 1;
}

/* 1 when pattern p ending at e (exclusive) of s[0..n) has its boundaries. */
static int bounded(const em_pat *p, const char *s, size_t n, size_t e) {
    size_t b = e - p->len;
    if (p->left && b > 0 && em_spaced_word_cp(cp_before(s, n, b))) return 0;
    if (p->right && e < n && em_spaced_word_cp(cp_at(s, n, e))) return 0;
    return 1;
}

int em_scan(const em_matcher *m, const char *s, size_t n, em_hit_fn fn, void *arg) {
    if (!m->built || m->npat == 0) return 0;
    int32_t st = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (st == 0) {
            /* at the root most bytes start no name: strcspn skips them
             * (vectorised in glibc), stopping at the NUL at s[n] */
            i += strcspn(s + i, m->starters);
            if (i >= n) return 0;
            st = m->start[(unsigned char)s[i]];
        } else {
            st = step(m, st, (unsigned char)((unsigned)c - 'A' < 26u ? c + 32 : c)); /* ASCII texts come unfolded */
        }
        const em_state *q = &m->st[st];
        for (int32_t u = q->out >= 0 ? st : q->dict; u >= 0; u = m->st[u].dict)
            for (int32_t p = m->st[u].out; p >= 0; p = m->pat[p].next) {
                if (!bounded(&m->pat[p], s, n, i + 1)) continue;
                int rc = fn(m->pat[p].id, arg);
                if (rc) return rc;
            }
    }
    return 0;
}
