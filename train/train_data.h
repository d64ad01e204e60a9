/* train_data — the labelled examples of a training config's data files,
 * shared by the encoder training (train.c) and the n-gram stage
 * (ngram_train.c) so both see the same texts and labels.
 *
 * A .csv file (RFC 4180, header row) gives the columns named by "text" and
 * "label"; "format": "sentfin" reads SEntFiN.csv's Title and the headline
 * label its Decisions agree on (headlines whose entities disagree are
 * skipped); anything else is JSONL with string "text" and a label id or
 * name under "label". */
#ifndef FINSENT_TRAIN_DATA_H
#define FINSENT_TRAIN_DATA_H

#include <stddef.h>

#include "train/train_config.h"

/* Receives one example: its text (valid during the call), head and label id. */
typedef void (*train_text_fn)(const char *text, int head, int label, void *arg);

/* Reads data file d, whose labels belong to c->heads.v[head], calling
 * fn(text, head, label, arg) for each example in file order. Returns 0, or
 * -1 with one line in err naming the file (and line) on an unreadable
 * file, a missing column or a label that is not one of the head's. */
int train_read_labelled(const train_cfg *c, const train_data_cfg *d, int head, train_text_fn fn, void *arg, char *err,
                        size_t errlen);

/* The dev-split decision for a text: FNV-1a 64 of its bytes, modulo 10000,
 * below fraction * 10000. */
int train_is_dev(const char *text, size_t len, double fraction);

#endif
