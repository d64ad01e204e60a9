/* sentfin — the SEntFiN 1.0 headline set (Sinha et al. 2021) as a
 * headline-level sentiment source for training and evaluation.
 *
 * SEntFiN.csv has the columns "S No.", Title, Decisions, Words; Decisions is
 * a Python-style dict of entity-level labels, {'Entity': 'label', ...},
 * whose keys may contain apostrophes ('Moody's') or be double-quoted.
 *
 * Headline-level label: a headline whose entities all carry the same label
 * gets that label (positive, neutral or negative); a headline whose
 * entities disagree (1,233 of 10,753) is left out, since its headline-level
 * sentiment is not defined. Duplicate titles are kept (they hash to the
 * same split).
 *
 * Split: SEntFiN has no official split. A headline is in the dev split when
 * train_is_dev(title, SF_DEV_FRACTION) holds (FNV-1a 64 of the
 * title's bytes, modulo 10000, below 1000) — the same rule as `finsent
 * train` with its default dev_fraction 0.1, so headlines that `finsent eval
 * --format sentfin` scores are never trained on. */
#ifndef FINSENT_SENTFIN_H
#define FINSENT_SENTFIN_H

#include <stddef.h>

#define SF_MAX_ENTITIES 64
#define SF_DEV_FRACTION 0.1

typedef struct sf_entity {
    const char *name; /* points into the parsed string; not NUL-terminated */
    size_t name_len;
    const char *label; /* "positive", "neutral" or "negative" (static) */
} sf_entity;

/* Parses a Decisions dict s into at most max entities (more are an error).
 * Keys run from their opening quote to the quote that is followed by
 * ": '<label>'" and then "," or "}", so apostrophes inside keys are kept.
 * Returns the number of entities (0 for "{}"), or -1 when s is not such a
 * dict of positive / neutral / negative labels. */
int sf_parse_decisions(const char *s, sf_entity *out, int max);

/* The headline-level label of n entities: their common label, or NULL when
 * n is 0 or they disagree. */
const char *sf_headline_label(const sf_entity *e, int n);

#endif
