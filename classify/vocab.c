/* vocab — a WordPiece vocabulary (vocab.txt) with a hash index.
 *
 * The file is read the way Hugging Face's load_vocab reads it: one token
 * per line, id = line number from 0, line ends "\n", "\r\n" or "\r"
 * (Python's universal newlines), empty lines are tokens too, and when a
 * token appears twice the later line's id wins. Lookups go through an
 * open-addressing table keyed by FNV-1a of the token bytes, so a
 * "##"-prefixed lookup hashes the prefix and the piece without copying. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/tok_vocab_internal.h"
#include "classify/tokenizer.h"
#include "util/xalloc.h"

struct tok_vocab {
    char *arena;       /* all tokens, each NUL-terminated */
    char **tokens;     /* id → token text (into arena) */
    uint32_t *lens;    /* id → byte length */
    int n;
    int32_t *slots;    /* hash table of ids, -1 empty; size mask + 1 */
    uint32_t *hashes;  /* hash of the id in the same slot */
    uint32_t mask;
    size_t max_plain, max_cont;
    int cls, sep, pad, unk, mask_id;
};

#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

static uint32_t fnv_add(uint32_t h, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * FNV_PRIME;
    return h;
}

/* hash of "##" folded in once */
static uint32_t fnv_cont_seed(void) { return fnv_add(FNV_OFFSET, "##", 2); }

static int slot_matches(const tok_vocab *v, int32_t id, uint32_t h, int cont, const char *s, size_t n) {
    if (v->hashes[id] != h) return 0;
    const char *tok = v->tokens[id];
    size_t len = v->lens[id];
    if (cont) {
        if (len != n + 2 || tok[0] != '#' || tok[1] != '#') return 0;
        tok += 2;
    } else if (len != n) {
        return 0;
    }
    return memcmp(tok, s, n) == 0;
}

int tok_vocab_lookup(const tok_vocab *v, int cont, const char *s, size_t n) {
    uint32_t h = fnv_add(cont ? fnv_cont_seed() : FNV_OFFSET, s, n);
    for (uint32_t i = h & v->mask;; i = (i + 1) & v->mask) {
        int32_t id = v->slots[i];
        if (id < 0) return -1;
        if (slot_matches(v, id, h, cont, s, n)) return id;
    }
}

size_t tok_vocab_max_len(const tok_vocab *v, int cont) { return cont ? v->max_cont : v->max_plain; }

/* Inserts id; an equal token already present is replaced (later line wins). */
static void vocab_insert(tok_vocab *v, int32_t id) {
    const char *tok = v->tokens[id];
    size_t len = v->lens[id];
    uint32_t h = fnv_add(FNV_OFFSET, tok, len);
    v->hashes[id] = h;
    for (uint32_t i = h & v->mask;; i = (i + 1) & v->mask) {
        int32_t old = v->slots[i];
        if (old < 0 || (v->hashes[old] == h && v->lens[old] == len && memcmp(v->tokens[old], tok, len) == 0)) {
            v->slots[i] = id;
            return;
        }
    }
}

static char *read_file(const char *path, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "vocab %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap + 1);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) buf = xrealloc(buf, (cap *= 2) + 1);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "vocab %s: read error", path);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

tok_vocab *tok_vocab_load(const char *path, char *err, size_t errlen) {
    size_t len;
    char *buf = read_file(path, &len, err, errlen);
    if (!buf) return NULL;
    if (len == 0) {
        snprintf(err, errlen, "vocab %s: empty file", path);
        free(buf);
        return NULL;
    }
    /* Count lines: a final line without a line end still counts. */
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n' || (buf[i] == '\r' && (i + 1 >= len || buf[i + 1] != '\n'))) lines++;
    }
    if (buf[len - 1] != '\n' && buf[len - 1] != '\r') lines++;
    if (lines > INT32_MAX / 4) {
        snprintf(err, errlen, "vocab %s: too many lines", path);
        free(buf);
        return NULL;
    }
    tok_vocab *v = xcalloc(1, sizeof *v);
    v->arena = buf; /* line ends become NULs in place */
    v->n = (int)lines;
    v->tokens = xmalloc(lines * sizeof *v->tokens);
    v->lens = xmalloc(lines * sizeof *v->lens);
    v->hashes = xmalloc(lines * sizeof *v->hashes);
    uint32_t cap = 16;
    while (cap < 2 * lines) cap *= 2;
    v->mask = cap - 1;
    v->slots = xmalloc(cap * sizeof *v->slots);
    memset(v->slots, 0xff, cap * sizeof *v->slots);
    size_t start = 0, id = 0;
    for (size_t i = 0; i <= len && id < lines; i++) {
        if (i < len && buf[i] != '\n' && buf[i] != '\r') continue;
        size_t tlen = i - start;
        v->tokens[id] = buf + start;
        v->lens[id] = (uint32_t)tlen;
        if (tlen > v->max_plain) v->max_plain = tlen;
        if (tlen >= 2 && buf[start] == '#' && buf[start + 1] == '#' && tlen - 2 > v->max_cont) v->max_cont = tlen - 2;
        if (i < len && buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n') buf[i++] = '\0';
        if (i < len) buf[i] = '\0';
        start = i + 1;
        id++;
    }
    for (int i = 0; i < v->n; i++) vocab_insert(v, i);
    v->cls = tok_vocab_id(v, "[CLS]");
    v->sep = tok_vocab_id(v, "[SEP]");
    v->unk = tok_vocab_id(v, "[UNK]");
    v->pad = tok_vocab_id(v, "[PAD]");
    v->mask_id = tok_vocab_id(v, "[MASK]");
    const char *missing = v->cls < 0 ? "[CLS]" : v->sep < 0 ? "[SEP]" : v->unk < 0 ? "[UNK]" : v->pad < 0 ? "[PAD]" : NULL;
    if (missing) {
        snprintf(err, errlen, "vocab %s: no %s token", path, missing);
        tok_vocab_free(v);
        return NULL;
    }
    return v;
}

void tok_vocab_free(tok_vocab *v) {
    if (!v) return;
    free(v->arena);
    free(v->tokens);
    free(v->lens);
    free(v->hashes);
    free(v->slots);
    free(v);
}

int tok_vocab_size(const tok_vocab *v) { return v->n; }

int tok_vocab_id(const tok_vocab *v, const char *token) { return tok_vocab_lookup(v, 0, token, strlen(token)); }

const char *tok_vocab_token(const tok_vocab *v, int id) { return id >= 0 && id < v->n ? v->tokens[id] : NULL; }

int tok_vocab_cls(const tok_vocab *v) { return v->cls; }
int tok_vocab_sep(const tok_vocab *v) { return v->sep; }
int tok_vocab_pad(const tok_vocab *v) { return v->pad; }
int tok_vocab_unk(const tok_vocab *v) { return v->unk; }
int tok_vocab_mask(const tok_vocab *v) { return v->mask_id; }
