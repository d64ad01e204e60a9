/* vocab_build — WordPiece vocabulary learner; see vocab_build.h.
 *
 * The merge loop is incremental: each pair keeps its weighted count and the
 * list of words it occurs in, a max-heap holds (count, pair) entries with
 * lazy deletion (an entry whose count is stale is skipped when popped), and
 * a merge rewrites only the words on the merged pair's list. */
#include "train/vocab_build.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "util/dict.h"
#include "util/errmsg.h"
#include "util/heap.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define VB_MAX_WORD 100

/* ---- basic pre-tokenizer ---------------------------------------------------- */

static int is_ws(utf8proc_int32_t c) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return 1;
    return utf8proc_category(c) == UTF8PROC_CATEGORY_ZS;
}

static int is_control(utf8proc_int32_t c) {
    if (c == '\t' || c == '\n' || c == '\r') return 0;
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_CC || k == UTF8PROC_CATEGORY_CF;
}

static int is_punct(utf8proc_int32_t c) {
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return 1;
    utf8proc_category_t k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_PO;
}

static int is_cjk(utf8proc_int32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

typedef struct wordbuf {
    char buf[4 * VB_MAX_WORD + 16];
    size_t len;
    int over; /* the word grew past the buffer */
} wordbuf;

static void wb_flush(wordbuf *w, vb_emit_fn emit, void *arg) {
    if (w->len && !w->over) emit(w->buf, w->len, arg);
    w->len = 0;
    w->over = 0;
}

static void wb_put(wordbuf *w, utf8proc_int32_t c) {
    if (w->len + 4 > sizeof w->buf) {
        w->over = 1;
        return;
    }
    w->len += (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)w->buf + w->len);
}

void vb_basic_pretokenize(const char *text, size_t len, int lowercase, vb_emit_fn emit, void *arg) {
    wordbuf w = {.len = 0};
    size_t i = 0;
    while (i < len) {
        int32_t c;
        size_t n = utf8_next(text + i, len - i, &c);
        if (n == 0) {
            i++; /* an invalid byte is dropped */
            continue;
        }
        i += n;
        if (c == 0 || c == 0xFFFD || is_control(c)) continue;
        if (is_ws(c)) {
            wb_flush(&w, emit, arg);
            continue;
        }
        if (is_cjk(c)) {
            wb_flush(&w, emit, arg);
            wb_put(&w, c);
            wb_flush(&w, emit, arg);
            continue;
        }
        utf8proc_int32_t parts[8];
        int np = 1;
        parts[0] = c;
        if (lowercase) {
            int last = 0;
            utf8proc_ssize_t k = utf8proc_decompose_char(utf8proc_tolower(c), parts, 8, UTF8PROC_DECOMPOSE, &last);
            np = k > 0 && k <= 8 ? (int)k : 1;
            if (k <= 0 || k > 8) parts[0] = utf8proc_tolower(c);
        }
        for (int p = 0; p < np; p++) {
            utf8proc_int32_t d = parts[p];
            if (lowercase && utf8proc_category(d) == UTF8PROC_CATEGORY_MN) continue;
            if (is_punct(d)) {
                wb_flush(&w, emit, arg);
                wb_put(&w, d);
                wb_flush(&w, emit, arg);
            } else {
                wb_put(&w, d);
            }
        }
    }
    wb_flush(&w, emit, arg);
}

/* ---- learner ------------------------------------------------------------------------ */

typedef struct pairinfo {
    uint64_t key; /* a << 32 | b */
    long count;
    int *words, nwords, capwords;
    int last_word; /* last word appended to words, to skip immediate repeats */
    int stamp;     /* merge step that last changed count */
} pairinfo;

typedef struct heapent {
    long count;
    uint64_t key;
} heapent;

/* Words, symbols and pairs are interned in util/dict tables (FNV: the
 * keys come from the training files and the learner itself); each one's
 * id indexes the arrays below. */
struct vb_learner {
    int lowercase;
    vb_pretok_fn pretok;
    dict *words; /* word text → word id */
    long *wfreq;
    size_t nwords, capwords;
    /* symbols */
    dict *symmap; /* symbol text → symbol id */
    const char **sym; /* symbol id → its text (the dict's copy) */
    long *symfreq;
    int nsym, capsym;
    /* per word symbol sequences */
    int **ws;
    int *wn, *wstamp;
    /* pairs */
    dict *pairmap; /* pair key (a << 32 | b, 8 bytes) → pair index */
    pairinfo *pairs;
    int npairs, cappairs;
    heap *heap; /* heapent, by count then key (heapent_before) */
    char **out;
    int nout;
};

/* Max-heap by count, then by smaller key (earlier symbols). */
static int heapent_before(const void *a, const void *b) {
    const heapent *x = a, *y = b;
    return x->count > y->count || (x->count == y->count && x->key < y->key);
}

vb_learner *vb_new(int lowercase, vb_pretok_fn pretok) {
    vb_learner *v = xcalloc(1, sizeof *v);
    v->lowercase = lowercase;
    v->pretok = pretok ? pretok : vb_basic_pretokenize;
    v->words = dict_new(DICT_FNV);
    v->symmap = dict_new(DICT_FNV);
    v->pairmap = dict_new(DICT_FNV);
    v->heap = heap_new(sizeof(heapent), heapent_before);
    return v;
}

void vb_free(vb_learner *v) {
    if (!v) return;
    dict_free(v->words);
    dict_free(v->symmap);
    dict_free(v->pairmap);
    free(v->wfreq);
    free(v->sym); /* the strings belong to the symbol map */
    free(v->symfreq);
    for (size_t w = 0; w < v->nwords && v->ws; w++) free(v->ws[w]);
    free(v->ws);
    free(v->wn);
    free(v->wstamp);
    for (int p = 0; p < v->npairs; p++) free(v->pairs[p].words);
    free(v->pairs);
    heap_free(v->heap);
    free(v->out);
    free(v);
}

static void count_word(const char *w, size_t n, void *arg) {
    vb_learner *v = arg;
    if (n > VB_MAX_WORD) return;
    int added, id = dict_add(v->words, w, n, &added);
    if (added) {
        if (v->nwords == v->capwords) {
            v->capwords = v->capwords ? v->capwords * 2 : 4096;
            v->wfreq = xrealloc(v->wfreq, sizeof *v->wfreq * v->capwords);
        }
        v->wfreq[id] = 0;
        v->nwords++;
    }
    v->wfreq[id]++;
}

void vb_add_text(vb_learner *v, const char *text, size_t len) { v->pretok(text, len, v->lowercase, count_word, v); }

size_t vb_word_count(const vb_learner *v) { return v->nwords; }

static int sym_get(vb_learner *v, const char *s, size_t n) {
    int added, id = dict_add(v->symmap, s, n, &added);
    if (added) {
        if (v->nsym == v->capsym) {
            v->capsym = v->capsym ? v->capsym * 2 : 1024;
            v->sym = xrealloc(v->sym, sizeof *v->sym * (size_t)v->capsym);
            v->symfreq = xrealloc(v->symfreq, sizeof *v->symfreq * (size_t)v->capsym);
        }
        v->sym[id] = dict_key(v->symmap, id, NULL);
        v->symfreq[id] = 0;
        v->nsym++;
    }
    return id;
}

/* The pair (a, b), added with a zero count on first sight. The pointer
 * is good until the next pair is added. */
static pairinfo *pair_get(vb_learner *v, int a, int b) {
    uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    int added, id = dict_add(v->pairmap, &key, sizeof key, &added);
    if (!added) return &v->pairs[id];
    if (v->npairs == v->cappairs) {
        v->cappairs = v->cappairs ? v->cappairs * 2 : 4096;
        v->pairs = xrealloc(v->pairs, sizeof *v->pairs * (size_t)v->cappairs);
    }
    pairinfo *p = &v->pairs[v->npairs++]; /* ids follow insertion: id == npairs - 1 */
    memset(p, 0, sizeof *p);
    p->key = key;
    p->last_word = -1;
    p->stamp = -1;
    return p;
}

static void push_pair(vb_learner *v, const pairinfo *p) { heap_push(v->heap, &(heapent){p->count, p->key}); }

/* Adds (sign = +1) or removes (-1) the pairs of word w; touched pairs get
 * stamp and, when added, the word on their list. */
static void word_pairs(vb_learner *v, int w, int sign, int stamp, int **dirty, int *ndirty, int *capdirty) {
    for (int i = 0; i + 1 < v->wn[w]; i++) {
        pairinfo *p = pair_get(v, v->ws[w][i], v->ws[w][i + 1]);
        p->count += sign * v->wfreq[w];
        if (sign > 0 && p->last_word != w) {
            if (p->nwords == p->capwords) {
                p->capwords = p->capwords ? p->capwords * 2 : 4;
                p->words = xrealloc(p->words, sizeof *p->words * (size_t)p->capwords);
            }
            p->words[p->nwords++] = w;
            p->last_word = w;
        }
        if (p->stamp != stamp) {
            p->stamp = stamp;
            if (*ndirty == *capdirty) {
                *capdirty = *capdirty ? *capdirty * 2 : 256;
                *dirty = xrealloc(*dirty, sizeof **dirty * (size_t)*capdirty);
            }
            (*dirty)[(*ndirty)++] = (int)(p - v->pairs);
        }
    }
}

static int cmp_symfreq_ctx_ids(const void *a, const void *b, void *ctx) {
    const long *f = ctx;
    int x = *(const int *)a, y = *(const int *)b;
    if (f[x] != f[y]) return f[x] > f[y] ? -1 : 1;
    return x - y;
}

int vb_learn(vb_learner *v, int vocab_size, int min_freq, char ***tokens) {
    static const char *const specials[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    if (vocab_size < 5) vocab_size = 5;
    if (min_freq < 1) min_freq = 1;
    v->ws = xcalloc(v->nwords ? v->nwords : 1, sizeof *v->ws);
    v->wn = xcalloc(v->nwords ? v->nwords : 1, sizeof *v->wn);
    v->wstamp = xcalloc(v->nwords ? v->nwords : 1, sizeof *v->wstamp);
    char piece[8];
    for (size_t w = 0; w < v->nwords; w++) {
        size_t n;
        const char *s = dict_key(v->words, (int)w, &n);
        v->ws[w] = xmalloc(sizeof(int) * (n ? n : 1));
        for (size_t i = 0; i < n;) {
            size_t cl = 1;
            while (i + cl < n && ((uint8_t)s[i + cl] & 0xC0) == 0x80) cl++;
            size_t pl = 0;
            if (i) piece[pl++] = '#', piece[pl++] = '#';
            memcpy(piece + pl, s + i, cl);
            int id = sym_get(v, piece, pl + cl);
            v->symfreq[id] += v->wfreq[w];
            v->ws[w][v->wn[w]++] = id;
            i += cl;
        }
        v->wstamp[w] = -1;
    }
    int nalpha = v->nsym;
    int *order = xmalloc(sizeof(int) * (size_t)(nalpha ? nalpha : 1));
    for (int i = 0; i < nalpha; i++) order[i] = i;
    qsort_r(order, (size_t)nalpha, sizeof *order, cmp_symfreq_ctx_ids, v->symfreq);

    int *dirty = NULL, ndirty = 0, capdirty = 0;
    for (size_t w = 0; w < v->nwords; w++) word_pairs(v, (int)w, +1, 0, &dirty, &ndirty, &capdirty);
    for (int i = 0; i < ndirty; i++) push_pair(v, &v->pairs[dirty[i]]);

    int *merged = NULL, nmerged = 0, capmerged = 0, step = 0;
    heapent top;
    while (5 + nalpha + nmerged < vocab_size && heap_pop(v->heap, &top) == 0) {
        int a = (int)(top.key >> 32), b = (int)(uint32_t)top.key;
        pairinfo *p = pair_get(v, a, b);
        if (p->count != top.count || top.count <= 0) continue; /* stale entry */
        if (top.count < min_freq) break;
        step++;
        const char *sb = v->sym[b];
        char *name = xasprintf("%s%s", v->sym[a], sb + (strncmp(sb, "##", 2) == 0 ? 2 : 0));
        int before = v->nsym, c = sym_get(v, name, strlen(name));
        free(name);
        if (c == before) {
            if (nmerged == capmerged) {
                capmerged = capmerged ? capmerged * 2 : 1024;
                merged = xrealloc(merged, sizeof *merged * (size_t)capmerged);
            }
            merged[nmerged++] = c;
        }
        ndirty = 0;
        int pidx = (int)(p - v->pairs), nw = p->nwords;
        for (int k = 0; k < nw; k++) {
            int w = v->pairs[pidx].words[k];
            if (v->wstamp[w] == step) continue;
            v->wstamp[w] = step;
            int *s = v->ws[w], n = v->wn[w], hit = 0;
            for (int i = 0; i + 1 < n && !hit; i++) hit = s[i] == a && s[i + 1] == b;
            if (!hit) continue;
            word_pairs(v, w, -1, step, &dirty, &ndirty, &capdirty);
            int o = 0;
            for (int i = 0; i < n; i++) {
                if (i + 1 < n && s[i] == a && s[i + 1] == b) {
                    s[o++] = c;
                    i++;
                } else {
                    s[o++] = s[i];
                }
            }
            v->wn[w] = o;
            word_pairs(v, w, +1, step, &dirty, &ndirty, &capdirty);
        }
        /* the merged pair's list is spent; pair_get may have moved pairs */
        v->pairs[pidx].nwords = 0;
        v->pairs[pidx].last_word = -1;
        for (int i = 0; i < ndirty; i++)
            if (v->pairs[dirty[i]].count > 0) push_pair(v, &v->pairs[dirty[i]]);
    }
    free(dirty);

    int room = vocab_size - 5, na = nalpha < room ? nalpha : room;
    v->out = xmalloc(sizeof(char *) * (size_t)(5 + na + nmerged));
    v->nout = 0;
    for (int i = 0; i < 5; i++) v->out[v->nout++] = (char *)specials[i];
    for (int i = 0; i < na; i++) v->out[v->nout++] = (char *)v->sym[order[i]];
    for (int i = 0; i < nmerged && v->nout < vocab_size; i++) v->out[v->nout++] = (char *)v->sym[merged[i]];
    free(order);
    free(merged);
    *tokens = v->out;
    return v->nout;
}

int vb_write(char *const *tokens, int n, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        return err_set(err, errlen, "%s: %s", path, strerror(errno));
    }
    for (int i = 0; i < n; i++) fprintf(f, "%s\n", tokens[i]);
    if (ferror(f) | fclose(f)) {
        return err_set(err, errlen, "%s: write failed", path);
    }
    return 0;
}
