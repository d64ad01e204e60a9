/* jsonl — small helpers for commands that read JSON lines of any length
 * (classify, tokenize, eval). */
#ifndef FINSENT_JSONL_H
#define FINSENT_JSONL_H

#include <stddef.h>

/* 1 when s[0..n) is only spaces, tabs, CR and LF. */
int jsonl_blank(const char *s, size_t n);

/* Removes every \u0000 escape from line[0..len) in place and returns the
 * new length. cJSON strings end at NUL, and BERT's tokenizer drops U+0000
 * anyway; a "\\" escape is skipped whole, so "\\u0000" stays. */
size_t jsonl_drop_nul_escapes(char *line, size_t len);

#endif
