/* tokenizer — Hugging Face BertTokenizer semantics (BasicTokenizer +
 * WordpieceTokenizer) over utf8proc.
 *
 * Special tokens: every exact, case-sensitive occurrence in the raw text
 * of "[CLS]", "[SEP]", "[PAD]", "[UNK]" or "[MASK]" (those in the vocab)
 * is that one id, for cased and uncased tokenizers alike ("[cls]" is split
 * like any text), and the text around it is tokenized as below, so
 * "a[SEP]b" gives a [SEP] b — as Hugging Face's tokenize() does (it
 * matches special tokens before lower-casing and cleaning).
 *
 * Pipeline per piece of text: invalid UTF-8 replaced (each bad byte counts once in
 * tok_stats.invalid_utf8, and the replacement is then dropped like U+FFFD)
 * → clean (drop U+0000, U+FFFD, control chars; whitespace → ' ') → pad CJK
 * ideographs with spaces → whitespace split → (uncased: lower-case, NFD,
 * drop Mn marks) → split on punctuation → WordPiece greedy longest match
 * with "##" continuations, words over 100 code points → [UNK]
 * → [CLS] ... [SEP], truncated to max_len. */
#ifndef FINSENT_TOKENIZER_H
#define FINSENT_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

typedef struct tok_vocab tok_vocab;

/* Loads a vocab.txt (one token per line, id = line number, CRLF tolerated).
 * Returns NULL and writes a one-line message naming the file into err when
 * the file is missing, empty, or lacks [CLS], [SEP], [UNK] or [PAD]. */
tok_vocab *tok_vocab_load(const char *path, char *err, size_t errlen);
void tok_vocab_free(tok_vocab *v);
int tok_vocab_size(const tok_vocab *v);
/* Id of a token, or -1 when absent. */
int tok_vocab_id(const tok_vocab *v, const char *token);
/* Token text of an id; NULL when out of range. Owned by the vocab. */
const char *tok_vocab_token(const tok_vocab *v, int id);
int tok_vocab_cls(const tok_vocab *v);
int tok_vocab_sep(const tok_vocab *v);
int tok_vocab_pad(const tok_vocab *v);
int tok_vocab_unk(const tok_vocab *v);
int tok_vocab_mask(const tok_vocab *v); /* [MASK], -1 when absent */

typedef struct tok_stats {
    uint64_t invalid_utf8; /* bytes of invalid UTF-8 replaced */
    uint64_t truncated;    /* texts cut to max_len */
} tok_stats;

/* A tokenizer holds scratch buffers: one per thread. It borrows the vocab,
 * which must outlive it. lowercase: 1 for uncased models (do_lower_case). */
typedef struct tokenizer tokenizer;
tokenizer *tok_new(const tok_vocab *v, int lowercase);
void tok_free(tokenizer *t);

/* Encodes text[0..len) into ids, [CLS] first and [SEP] last, at most
 * max_len ids in all (max_len >= 2). Returns the number of ids written to
 * ids (which holds max_len entries). Never fails: empty text gives
 * [CLS] [SEP]. stats may be NULL. */
int tok_encode(tokenizer *t, const char *text, size_t len, int max_len, int32_t *ids, tok_stats *stats);

/* The word pieces of text without [CLS]/[SEP] and without truncation, for
 * tests and vocab building: calls fn(piece_id, arg) for each piece. */
void tok_pieces(tokenizer *t, const char *text, size_t len, void (*fn)(int id, void *arg), void *arg);

/* The basic tokens of text before WordPiece, without truncation: calls
 * fn(w, n, arg) for each word and each punctuation mark as the pipeline
 * above leaves them (cleaned, lower-cased and accent-stripped when the
 * tokenizer is uncased; UTF-8, not NUL-terminated, valid only during the
 * call) and for each literal special token ("[SEP]"). */
void tok_words(tokenizer *t, const char *text, size_t len, void (*fn)(const char *w, size_t n, void *arg), void *arg);

/* tok_words' words with the raw bytes each came from: fn(w, n, start,
 * end, arg) where text[start..end) holds the word (ASCII and words whose
 * normalisation keeps their punctuation split; dropped control characters
 * inside the span included) or, when NFC, lower-casing or accent
 * stripping changed where punctuation splits a whitespace token, that
 * whole token (then several words share one span). Same words, in the
 * same order, as tok_words. */
typedef void (*tok_span_fn)(const char *w, size_t n, size_t start, size_t end, void *arg);
void tok_word_spans(tokenizer *t, const char *text, size_t len, tok_span_fn fn, void *arg);

#endif
