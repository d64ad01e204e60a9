/* vocab — a WordPiece vocabulary (vocab.txt) with a hash index.
 *
 * The file is read the way Hugging Face's load_vocab reads it: one token
 * per line, id = line number from 0, line ends "\n", "\r\n" or "\r"
 * (Python's universal newlines), empty lines are tokens too, and when a
 * token appears twice the later line's id wins. Lookups go through
 * util/dict (FNV-hashed: the keys come from the vocab file, and lookups of
 * outside text cannot add any), a "##"-prefixed one as a two-part key
 * without copying. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/tok_vocab_internal.h"
#include "classify/tokenizer.h"
#include "util/dict.h"
#include "util/errmsg.h"
#include "util/xalloc.h"

struct tok_vocab {
    dict *index;         /* token text → dict id */
    int *vid;            /* dict id → vocab id (the token's last line) */
    const char **tokens; /* vocab id → token text (the dict's copy) */
    int n;
    size_t max_plain, max_cont;
    int cls, sep, pad, unk, mask_id;
};

int tok_vocab_lookup(const tok_vocab *v, int cont, const char *s, size_t n) {
    int k = cont ? dict_find2(v->index, "##", 2, s, n) : dict_find(v->index, s, n);
    return k < 0 ? -1 : v->vid[k];
}

size_t tok_vocab_max_len(const tok_vocab *v, int cont) { return cont ? v->max_cont : v->max_plain; }

static char *read_file(const char *path, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(err, errlen, "vocab %s: %s", path, strerror(errno));
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
        err_set(err, errlen, "vocab %s: read error", path);
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
        err_set(err, errlen, "vocab %s: empty file", path);
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
        err_set(err, errlen, "vocab %s: too many lines", path);
        free(buf);
        return NULL;
    }
    tok_vocab *v = xcalloc(1, sizeof *v);
    v->index = dict_new(DICT_FNV);
    v->n = (int)lines;
    v->tokens = xmalloc(lines * sizeof *v->tokens);
    v->vid = xmalloc(lines * sizeof *v->vid); /* dict ids < lines */
    size_t start = 0, id = 0;
    for (size_t i = 0; i <= len && id < lines; i++) {
        if (i < len && buf[i] != '\n' && buf[i] != '\r') continue;
        size_t tlen = i - start;
        int k = dict_add(v->index, buf + start, tlen, NULL);
        v->vid[k] = (int)id; /* a later line of the same token wins */
        v->tokens[id] = dict_key(v->index, k, NULL);
        if (tlen > v->max_plain) v->max_plain = tlen;
        if (tlen >= 2 && buf[start] == '#' && buf[start + 1] == '#' && tlen - 2 > v->max_cont) v->max_cont = tlen - 2;
        if (i < len && buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n') i++;
        start = i + 1;
        id++;
    }
    free(buf);
    v->cls = tok_vocab_id(v, "[CLS]");
    v->sep = tok_vocab_id(v, "[SEP]");
    v->unk = tok_vocab_id(v, "[UNK]");
    v->pad = tok_vocab_id(v, "[PAD]");
    v->mask_id = tok_vocab_id(v, "[MASK]");
    const char *missing = v->cls < 0 ? "[CLS]" : v->sep < 0 ? "[SEP]" : v->unk < 0 ? "[UNK]" : v->pad < 0 ? "[PAD]" : NULL;
    if (missing) {
        err_set(err, errlen, "vocab %s: no %s token", path, missing);
        tok_vocab_free(v);
        return NULL;
    }
    return v;
}

void tok_vocab_free(tok_vocab *v) {
    if (!v) return;
    dict_free(v->index);
    free(v->tokens);
    free(v->vid);
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
