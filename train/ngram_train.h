/* ngram_train — `finsent train` with "objective": "ngram": fits the n-gram
 * part (ngram.h) of an already trained encoder model and writes the model
 * with it.
 *
 * Reads the config's data files and splits dev off exactly as the encoder
 * training does (train_read_labelled, train_is_dev with dev_fraction).
 * IDF comes from the training-split texts of all heads. Per head, a
 * multinomial logistic regression with L2 (ngram_lr.h) is fitted on the
 * head's training examples for each C of the grid ngram_c_min, 2 ngram_c_min,
 * ... up to ngram_c_max (lambda = 1 / (C n), optionally class-balanced
 * weights n / (k n_c)); for each fit the mixing weight is searched over 0,
 * 0.1, ... ngram_mix_max, and the (C, mix) whose sum with init_from's
 * encoder logits has the best dev score wins (first on ties): the head's
 * macro-F1 per data domain (tweets, headlines), weighted as the encoder
 * training's dev criterion weighs them (train_dev_weights), so the head's
 * choice maximises its share of that criterion. Only dev decides; nothing else is read. With f16 the
 * weights and IDF are rounded to half precision before they are scored, so
 * the stored model scores as chosen. With ngram_refit the chosen C is
 * fitted once more on the head's training and dev examples together (same
 * IDF, same mix) and those weights are stored: more data, but dev no longer
 * measures them. The result, init_from's files plus the
 * n-gram part, goes to out (ngram_save). Deterministic. */
#ifndef FINSENT_NGRAM_TRAIN_H
#define FINSENT_NGRAM_TRAIN_H

#include <stddef.h>

#include "train/train_config.h"

/* Runs the n-gram stage of c (objective ngram; init_from is the encoder
 * model). Progress goes to the log. Returns 0, or -1 with one line in err. */
int ngram_train_run(const train_cfg *c, char *err, size_t errlen);

#endif
