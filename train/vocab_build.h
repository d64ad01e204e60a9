/* vocab_build — learns a BERT WordPiece vocabulary from a corpus.
 *
 * Texts are split into words by a pre-tokenizer (by default
 * vb_basic_pretokenize, BERT's BasicTokenizer as classify/tokenizer.h
 * describes it), words are counted, and subwords are learned the way
 * Hugging Face's WordPiece trainer does: start from the characters (a
 * word's first character bare, the others with a "##" prefix) and merge the
 * most frequent adjacent pair until the vocabulary is full or no pair occurs
 * min_freq times. Ties go to the pair made of the earlier-created symbols,
 * so the same corpus gives the same vocabulary. The output starts with
 * [PAD] [UNK] [CLS] [SEP] [MASK] (ids 0-4), then characters by frequency,
 * then merged pieces in the order they were learned. */
#ifndef FINSENT_VOCAB_BUILD_H
#define FINSENT_VOCAB_BUILD_H

#include <stddef.h>

typedef void (*vb_emit_fn)(const char *word, size_t len, void *arg);
/* Splits text[0..len) into words and calls emit for each; lowercase: 1 for
 * uncased vocabularies. */
typedef void (*vb_pretok_fn)(const char *text, size_t len, int lowercase, vb_emit_fn emit, void *arg);

/* BERT BasicTokenizer over utf8proc: invalid UTF-8 bytes, U+0000, U+FFFD
 * and control characters dropped; whitespace splits; CJK ideographs become
 * words of their own; uncased: lower-case, NFD, non-spacing marks dropped;
 * each punctuation character is a word of its own. */
void vb_basic_pretokenize(const char *text, size_t len, int lowercase, vb_emit_fn emit, void *arg);

typedef struct vb_learner vb_learner;

/* pretok NULL means vb_basic_pretokenize. Never NULL. */
vb_learner *vb_new(int lowercase, vb_pretok_fn pretok);
void vb_free(vb_learner *v);
/* Counts the words of one text. Words over 100 bytes are skipped (the
 * tokenizer maps them to [UNK] anyway). */
void vb_add_text(vb_learner *v, const char *text, size_t len);
/* Distinct words counted so far. */
size_t vb_word_count(const vb_learner *v);

/* Learns at most vocab_size tokens (>= 5; the special tokens included);
 * merges stop when the best pair occurs fewer than min_freq times. Returns
 * the number of tokens and points *tokens at them (owned by v, valid until
 * vb_free). Call once. */
int vb_learn(vb_learner *v, int vocab_size, int min_freq, char ***tokens);

/* Writes tokens one per line to path. Returns 0, or -1 with a message
 * naming the file in err. */
int vb_write(char *const *tokens, int n, const char *path, char *err, size_t errlen);

#endif
