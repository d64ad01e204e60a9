/* train — the training loop behind `finsent train --config FILE`.
 *
 * Reads labelled CSV / JSONL files (each file feeds one head), splits a dev
 * set off deterministically by a hash of the text, optionally pre-trains
 * with masked-language modelling (15% of tokens: 80% [MASK], 10% random, 10%
 * kept) on the training texts and unlabelled text files, then fine-tunes
 * the heads with AdamW (an example trains only the head it is labelled
 * for), evaluates on the dev set after each epoch, keeps the best model by
 * the dev criterion in `out` (the mean over the data files' domains, e.g.
 * tweets and headlines, of each domain's mean macro-F1 over heads; see
 * train_data.h), and writes a resumable checkpoint to
 * `out/checkpoint` after every epoch and every `checkpoint_every`
 * pre-training steps. Batches hold whole sequences up to a token budget.
 *
 * With init_from (a Hugging Face BERT model directory, or one of finsent's),
 * the shape comes from its config.json (the "model" block is ignored), its
 * tensors are loaded by name, and heads it lacks start from random.
 *
 * Determinism: every random choice comes from PCG32 streams seeded by
 * `seed` and the epoch or pre-training step, so a run resumed from a
 * checkpoint ends with the same weights as one that was never stopped.
 *
 * "objective": "ngram" runs the n-gram stage instead (ngram_train.h): the
 * same data and dev split, init_from the trained encoder model. */
#ifndef FINSENT_TRAIN_H
#define FINSENT_TRAIN_H

#include <stddef.h>

#include "train/train_config.h"


/* Runs the whole training described by c. Progress goes to stderr. Returns
 * 0, or -1 with one line naming the failing file or setting in err (a bad
 * data row: file and line). */
int train_run(const train_cfg *c, char *err, size_t errlen);

#endif
