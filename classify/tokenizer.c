/* tokenizer — BertTokenizer (BasicTokenizer + WordpieceTokenizer) in C.
 *
 * Follows Hugging Face transformers' slow BertTokenizer step by step:
 *   clean: drop U+0000, U+FFFD and category C* except \t \n \r; map
 *          \t \n \r, space and Zs to ' '
 *   pad CJK ideographs (the _is_chinese_char ranges) with spaces
 *   NFC, then split on Python's str.split() whitespace (after cleaning
 *          that is ' ', U+2028 and U+2029)
 *   per whitespace token, when uncased: lower-case one code point at a
 *          time (as tokenize()'s do_lower_case pass and the fast
 *          tokenizer do, so a final Σ becomes σ, not ς), NFD, drop Mn
 *   split on punctuation (ASCII 33-47, 58-64, 91-96, 123-126, P*)
 *   WordPiece: greedy longest match, "##" continuations, a word of more
 *          than 100 code points or with an unmatched rest is one [UNK].
 * Invalid UTF-8: each byte that does not start a well-formed sequence is
 * one U+FFFD (counted, then dropped by cleaning).
 *
 * Special tokens: before all of the above, the raw text is cut at every
 * exact, case-sensitive occurrence of [CLS], [SEP], [PAD], [UNK] or
 * [MASK] (those in the vocab), as PreTrainedTokenizer.tokenize does with
 * its added-tokens Trie; each occurrence is its own id and the text
 * between is tokenized as above. A memchr for '[' finds candidates, so
 * texts without '[' pay one memchr.
 *
 * Speed: a whitespace token that is all ASCII takes a path with no Unicode
 * work (NFC, NFD and lower() are identities or ASCII there); any other
 * token goes through utf8proc. Scratch buffers live in the tokenizer and
 * grow to the longest token seen, so nothing is allocated per character. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "classify/tok_vocab_internal.h"
#include "classify/tokenizer.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define TOK_MAX_WORD_CHARS 100 /* WordpieceTokenizer.max_input_chars_per_word */
#define TOK_NSPECIAL 5

/* A special token kept whole when it occurs literally in the text. */
typedef struct tok_special {
    const char *s;
    size_t n;
    int id;
} tok_special;

struct tokenizer {
    const tok_vocab *v;
    int lower;
    /* the whitespace token being gathered: cleaned UTF-8 */
    char *tb;
    size_t tb_len, tb_cap;
    int tb_ascii;
    /* Unicode path scratch */
    utf8proc_int32_t *cp, *cp2;
    size_t cp_cap, cp2_cap;
    char *wb; /* a word's UTF-8 */
    size_t wb_cap;
    uint32_t *woff; /* byte offset of each code point of the word, plus end */
    size_t woff_cap;
    int32_t pieces[TOK_MAX_WORD_CHARS];
    tok_special special[TOK_NSPECIAL]; /* those present in the vocab */
    int nspecial;
    /* output: a callback per word (no WordPiece), per id, or a bounded id array */
    void (*word_fn)(const char *w, size_t n, void *arg);
    /* tok_word_spans: the raw-text offset of every byte of tb, the raw
     * span of the word being handed out, and the caller's callback */
    size_t *tb_src;
    size_t tb_src_cap;
    const char *text;
    size_t cur_start, cur_end;
    size_t *parts; /* source parts of a Unicode token: (tb start, tb end) pairs */
    size_t parts_cap;
    tok_span_fn span_fn;
    void *span_arg;
    void (*fn)(int id, void *arg);
    void *arg;
    int32_t *out;
    int out_n, out_cap;
    int stop; /* out is full and one more piece came: truncated */
};

enum { A_WORD = 0, A_SPACE, A_DROP };

/* Class of each ASCII byte after cleaning; bytes >= 0x80 are not looked up. */
static unsigned char ascii_class[128];
static unsigned char ascii_punct[128];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void init_tables(void) {
    for (int c = 0; c < 128; c++) {
        ascii_class[c] = (c < 32 || c == 127) ? A_DROP : A_WORD;
        ascii_punct[c] = (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
    }
    ascii_class[' '] = ascii_class['\t'] = ascii_class['\n'] = ascii_class['\r'] = A_SPACE;
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    *cap = c;
    return xrealloc(p, c * elem);
}

tokenizer *tok_new(const tok_vocab *v, int lowercase) {
    pthread_once(&tables_once, init_tables);
    tokenizer *t = xcalloc(1, sizeof *t);
    t->v = v;
    t->lower = lowercase != 0;
    t->tb_ascii = 1;
    static const char *const names[TOK_NSPECIAL] = {"[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"};
    for (int i = 0; i < TOK_NSPECIAL; i++) {
        int id = tok_vocab_id(v, names[i]);
        if (id < 0) continue;
        t->special[t->nspecial++] = (tok_special){names[i], strlen(names[i]), id};
    }
    return t;
}

void tok_free(tokenizer *t) {
    if (!t) return;
    free(t->tb);
    free(t->cp);
    free(t->cp2);
    free(t->wb);
    free(t->woff);
    free(t->tb_src);
    free(t->parts);
    free(t);
}

/* ---- output ---- */

static void emit(tokenizer *t, int id) {
    if (t->fn) {
        t->fn(id, t->arg);
    } else if (t->out_n < t->out_cap) {
        t->out[t->out_n++] = id;
    } else {
        t->stop = 1;
    }
}

/* ---- WordPiece ---- */

/* WordPiece of one word: s[0..off(ncp)), where off(k) is woff[k], or k
 * when woff is NULL (ASCII). Emits its pieces, or one [UNK]; under
 * tok_words hands the whole word to word_fn instead. */
static void wordpiece(tokenizer *t, const char *s, const uint32_t *woff, size_t ncp) {
    if (t->word_fn) {
        t->word_fn(s, woff ? woff[ncp] : ncp, t->arg);
        return;
    }
    if (ncp > TOK_MAX_WORD_CHARS) {
        emit(t, tok_vocab_unk(t->v));
        return;
    }
    int np = 0;
    size_t start = 0;
    while (start < ncp) {
        int cont = start > 0;
        size_t maxb = tok_vocab_max_len(t->v, cont);
        size_t b0 = woff ? woff[start] : start;
        size_t end = ncp;
        if (!woff) {
            if (end - start > maxb) end = start + maxb;
        } else {
            while (end > start && woff[end] - b0 > maxb) end--;
        }
        int id = -1;
        for (; end > start; end--) {
            size_t b1 = woff ? woff[end] : end;
            id = tok_vocab_lookup(t->v, cont, s + b0, b1 - b0);
            if (id >= 0) break;
        }
        if (id < 0) {
            emit(t, tok_vocab_unk(t->v));
            return;
        }
        t->pieces[np++] = id;
        start = end;
    }
    for (int i = 0; i < np; i++) emit(t, t->pieces[i]);
}

/* ---- ASCII whitespace tokens ---- */

/* Under tok_word_spans: the raw span of tb[a..b) becomes the current one. */
static void set_span(tokenizer *t, size_t a, size_t b) {
    if (!t->span_fn) return;
    t->cur_start = t->tb_src[a];
    t->cur_end = t->tb_src[b - 1] + 1;
}

static void ascii_token(tokenizer *t, char *s, size_t n) {
    if (t->lower)
        for (size_t i = 0; i < n; i++)
            if (s[i] >= 'A' && s[i] <= 'Z') s[i] = (char)(s[i] + 32);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ascii_punct[(unsigned char)s[i]]) continue;
        if (i > start) {
            set_span(t, start, i);
            wordpiece(t, s + start, NULL, i - start);
        }
        set_span(t, i, i + 1);
        wordpiece(t, s + i, NULL, 1);
        start = i + 1;
    }
    if (n > start) {
        set_span(t, start, n);
        wordpiece(t, s + start, NULL, n - start);
    }
}

/* ---- Unicode whitespace tokens ---- */

static int is_punct_cp(utf8proc_int32_t c) {
    if (c < 128) return ascii_punct[c];
    utf8proc_category_t cat = utf8proc_category(c);
    return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

/* utf8proc_decompose of s[0..n) into t->cp2 with options; returns length. */
static size_t decompose(tokenizer *t, const char *s, size_t n, utf8proc_option_t opts) {
    for (;;) {
        utf8proc_ssize_t r = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, t->cp2,
                                                (utf8proc_ssize_t)t->cp2_cap, opts);
        if (r < 0) return 0; /* cannot happen: s is well-formed UTF-8 */
        if ((size_t)r <= t->cp2_cap) return (size_t)r;
        t->cp2 = grow(t->cp2, &t->cp2_cap, (size_t)r, sizeof *t->cp2);
    }
}

/* Encodes cps s[0..n) as UTF-8 into t->wb with offsets in t->woff. */
static size_t encode_word(tokenizer *t, const utf8proc_int32_t *s, size_t n) {
    t->wb = grow(t->wb, &t->wb_cap, 4 * n + 1, 1);
    t->woff = grow(t->woff, &t->woff_cap, n + 1, sizeof *t->woff);
    size_t b = 0;
    for (size_t i = 0; i < n; i++) {
        t->woff[i] = (uint32_t)b;
        b += (size_t)utf8proc_encode_char(s[i], (utf8proc_uint8_t *)t->wb + b);
    }
    t->woff[n] = (uint32_t)b;
    return b;
}

/* Under tok_word_spans: cuts the token's cleaned raw bytes tb at
 * punctuation, as its normalised code points are cut below, into
 * (start, end) pairs of tb offsets in t->parts; returns their count. */
static size_t source_parts(tokenizer *t) {
    size_t np = 0, start = 0, i = 0;
    t->parts = grow(t->parts, &t->parts_cap, 2 * t->tb_len + 2, sizeof *t->parts);
    while (i < t->tb_len) {
        utf8proc_int32_t c = 0;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)t->tb + i, (utf8proc_ssize_t)(t->tb_len - i), &c);
        if (k <= 0) k = 1; /* cannot happen: tb holds well-formed code points */
        if (is_punct_cp(c)) {
            if (i > start) t->parts[2 * np] = start, t->parts[2 * np++ + 1] = i;
            t->parts[2 * np] = i, t->parts[2 * np++ + 1] = i + (size_t)k;
            start = i + (size_t)k;
        }
        i += (size_t)k;
    }
    if (t->tb_len > start) t->parts[2 * np] = start, t->parts[2 * np++ + 1] = t->tb_len;
    return np;
}

/* Words the punctuation split of cps cp[0..n) gives. */
static size_t count_words(const utf8proc_int32_t *cp, size_t n) {
    size_t w = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        int p = i < n && is_punct_cp(cp[i]);
        if (i < n && !p) continue;
        w += (i > start) + p;
        start = i + 1;
    }
    return w;
}

/* Under tok_word_spans: word k of the token gets source part k when the
 * parts match the words one for one (nparts != 0), else the whole token
 * (normalisation changed what punctuation splits). */
static void span_part(tokenizer *t, size_t nparts, size_t k) {
    if (!t->span_fn) return;
    if (nparts) set_span(t, t->parts[2 * k], t->parts[2 * k + 1]);
    else set_span(t, 0, t->tb_len);
}

static void unicode_token(tokenizer *t) {
    /* NFC */
    size_t n = decompose(t, t->tb, t->tb_len, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    n = (size_t)utf8proc_normalize_utf32(t->cp2, (utf8proc_ssize_t)n, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    t->cp = grow(t->cp, &t->cp_cap, n + 1, sizeof *t->cp);
    memcpy(t->cp, t->cp2, n * sizeof *t->cp);
    if (t->lower) {
        /* lower-case per code point, then NFD, then drop Mn */
        for (size_t i = 0; i < n; i++) t->cp2[i] = utf8proc_tolower(t->cp[i]);
        size_t nb = encode_word(t, t->cp2, n);
        n = decompose(t, t->wb, nb, UTF8PROC_DECOMPOSE | UTF8PROC_STABLE);
        t->cp = grow(t->cp, &t->cp_cap, n + 1, sizeof *t->cp);
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (utf8proc_category(t->cp2[i]) != UTF8PROC_CATEGORY_MN) t->cp[k++] = t->cp2[i];
        n = k;
    }
    size_t nparts = 0, k = 0;
    if (t->span_fn && (nparts = source_parts(t)) != count_words(t->cp, n)) nparts = 0;
    /* split on punctuation, WordPiece each part */
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        int p = i < n && is_punct_cp(t->cp[i]);
        if (i < n && !p) continue;
        if (i > start) {
            span_part(t, nparts, k++);
            encode_word(t, t->cp + start, i - start);
            wordpiece(t, t->wb, t->woff, i - start);
        }
        if (p) {
            span_part(t, nparts, k++);
            encode_word(t, t->cp + i, 1);
            wordpiece(t, t->wb, t->woff, 1);
        }
        start = i + 1;
    }
}

static void flush(tokenizer *t) {
    if (t->tb_len == 0) return;
    if (t->tb_ascii)
        ascii_token(t, t->tb, t->tb_len);
    else
        unicode_token(t);
    t->tb_len = 0;
    t->tb_ascii = 1;
}

/* Appends raw bytes s[0..n) (s points into the text being run) to tb. */
static void push(tokenizer *t, const char *s, size_t n) {
    t->tb = grow(t->tb, &t->tb_cap, t->tb_len + n, 1);
    if (t->span_fn) {
        t->tb_src = grow(t->tb_src, &t->tb_src_cap, t->tb_len + n, sizeof *t->tb_src);
        for (size_t k = 0; k < n; k++) t->tb_src[t->tb_len + k] = (size_t)(s - t->text) + k;
    }
    memcpy(t->tb + t->tb_len, s, n);
    t->tb_len += n;
}

/* ---- decoding and cleaning ---- */

static int is_chinese(utf8proc_int32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* One well-formed non-ASCII code point (bytes s[0..n)) of the input. */
static void take_cp(tokenizer *t, utf8proc_int32_t c, const char *s, size_t n) {
    if (c == 0xFFFD) return;
    utf8proc_category_t cat = utf8proc_category(c);
    if (cat == UTF8PROC_CATEGORY_CN || cat >= UTF8PROC_CATEGORY_CC) return; /* C*: control */
    if (cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP) {
        flush(t);
        return;
    }
    if (is_chinese(c)) {
        flush(t);
        push(t, s, n);
        t->tb_ascii = 0;
        flush(t);
        return;
    }
    push(t, s, n);
    t->tb_ascii = 0;
}

/* First literal special token in text[from..len): returns its offset and
 * sets *sp, or returns len when there is none. The special tokens do not
 * overlap, so the first match is the Trie's. */
static size_t next_special(const tokenizer *t, const char *text, size_t from, size_t len, const tok_special **sp) {
    while (from < len) {
        const char *b = memchr(text + from, '[', len - from);
        if (!b) return len;
        size_t k = (size_t)(b - text);
        for (int i = 0; i < t->nspecial; i++) {
            const tok_special *x = &t->special[i];
            if (len - k >= x->n && memcmp(text + k, x->s, x->n) == 0) {
                *sp = x;
                return k;
            }
        }
        from = k + 1;
    }
    return len;
}

/* Cleans text[i..end) into whitespace tokens (flushing each completed one)
 * and adds its invalid bytes to *invalid. Returns the offset reached: end,
 * or less when t->stop was raised. No UTF-8 sequence straddles end, which
 * is the text's end or a '['. */
static size_t feed(tokenizer *t, const char *text, size_t i, size_t end, uint64_t *invalid) {
    const unsigned char *s = (const unsigned char *)text;
    while (i < end && !t->stop) {
        unsigned c = s[i];
        if (c < 0x80) {
            switch (ascii_class[c]) {
            case A_WORD: {
                size_t j = i + 1;
                while (j < end && s[j] < 0x80 && ascii_class[s[j]] == A_WORD) j++;
                push(t, text + i, j - i);
                i = j;
                break;
            }
            case A_SPACE: flush(t); i++; break;
            default: i++; break;
            }
            continue;
        }
        int32_t cp;
        size_t n = utf8_next(text + i, end - i, &cp);
        if (n == 0) {
            (*invalid)++;
            i++;
            continue;
        }
        take_cp(t, cp, text + i, n);
        i += n;
    }
    return i;
}

/* Runs the whole pipeline over text[0..len); returns the invalid bytes.
 * When t->stop is raised the rest is only scanned for invalid bytes. */
static uint64_t tok_run(tokenizer *t, const char *text, size_t len) {
    const unsigned char *s = (const unsigned char *)text;
    uint64_t invalid = 0;
    size_t i = 0;
    t->tb_len = 0;
    t->tb_ascii = 1;
    t->text = text;
    while (i < len && !t->stop) {
        const tok_special *sp = NULL;
        size_t k = next_special(t, text, i, len, &sp);
        i = feed(t, text, i, k, &invalid);
        if (t->stop || !sp) break;
        flush(t);
        if (t->word_fn) {
            t->cur_start = k;
            t->cur_end = k + sp->n;
            t->word_fn(sp->s, sp->n, t->arg);
        } else {
            emit(t, sp->id);
        }
        i = k + sp->n;
    }
    if (!t->stop) flush(t);
    t->tb_len = 0;
    while (i < len) {
        int32_t cp;
        size_t n = s[i] < 0x80 ? 1 : utf8_next(text + i, len - i, &cp);
        if (n == 0) {
            invalid++;
            n = 1;
        }
        i += n;
    }
    return invalid;
}

int tok_encode(tokenizer *t, const char *text, size_t len, int max_len, int32_t *ids, tok_stats *stats) {
    if (max_len < 2) max_len = 2;
    ids[0] = tok_vocab_cls(t->v);
    t->fn = NULL;
    t->out = ids + 1;
    t->out_cap = max_len - 2;
    t->out_n = 0;
    t->stop = 0;
    uint64_t invalid = tok_run(t, text, len);
    int n = t->out_n;
    ids[n + 1] = tok_vocab_sep(t->v);
    if (stats) {
        stats->invalid_utf8 += invalid;
        stats->truncated += (uint64_t)t->stop;
    }
    t->stop = 0;
    return n + 2;
}

void tok_pieces(tokenizer *t, const char *text, size_t len, void (*fn)(int id, void *arg), void *arg) {
    t->fn = fn;
    t->arg = arg;
    t->stop = 0;
    tok_run(t, text, len);
    t->fn = NULL;
    t->arg = NULL;
}

void tok_words(tokenizer *t, const char *text, size_t len, void (*fn)(const char *w, size_t n, void *arg), void *arg) {
    t->word_fn = fn;
    t->arg = arg;
    t->stop = 0;
    tok_run(t, text, len);
    t->word_fn = NULL;
    t->arg = NULL;
}

/* tok_words callback of tok_word_spans: adds the current raw span. */
static void span_word(const char *w, size_t n, void *arg) {
    tokenizer *t = arg;
    t->span_fn(w, n, t->cur_start, t->cur_end, t->span_arg);
}

void tok_word_spans(tokenizer *t, const char *text, size_t len, tok_span_fn fn, void *arg) {
    t->span_fn = fn;
    t->span_arg = arg;
    tok_words(t, text, len, span_word, t);
    t->span_fn = NULL;
    t->span_arg = NULL;
}
