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

/* The domains of c's data files: of_data[i] gets data file i's domain index
 * (domains numbered by first appearance); names, when not NULL, gets the
 * domain names (c->data.n entries at most, borrowed from c). Returns the
 * number of domains. */
int train_domains(const train_cfg *c, int *of_data, const char **names);

/* The dev criterion's weights. count[d * nh + h]: dev examples of head h in
 * domain d. The criterion is the mean over the domains with dev examples
 * of each domain's mean macro-F1 over its heads with dev examples, so
 * w[d * nh + h] = 1 / (domains * heads of d) where count > 0, else 0, and
 * the criterion is sum over (d, h) of w * macro-F1(d, h). A small
 * cross-domain dev set (headlines beside tweets) thus weighs as much as
 * the main one. */
void train_dev_weights(const size_t *count, int nd, int nh, double *w);

#endif
