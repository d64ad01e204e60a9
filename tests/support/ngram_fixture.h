/* ngram_fixture — the multi-head encoder fixture with a random n-gram part,
 * in a scratch model directory, for the n-gram and explanation tests. */
#ifndef FINSENT_TEST_NGRAM_FIXTURE_H
#define FINSENT_TEST_NGRAM_FIXTURE_H

#include <stddef.h>

#include "classify/ngram.h"

#define NGRAM_FIXTURE_BASE "tests/fixtures/encoder/multihead"

/* An n-gram part for NGRAM_FIXTURE_BASE on its sentiment head (index 1,
 * 3 labels, mix 1.5): word 1- and 2-grams, character 3- and 4-grams,
 * buckets buckets, random IDF, weights and bias (a fixed sequence: the
 * same on every run). Free with ngram_free. */
ngram_model *ngram_fixture_part(int buckets);

/* Creates /tmp/finsent-ngram-XXXXXX into dir; 0, or -1 when it cannot. */
int ngram_fixture_dir(char *dir, size_t n);

/* Removes a model directory ngram_save wrote into dir, and dir. */
void ngram_fixture_remove(const char *dir);

#endif
