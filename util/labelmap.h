/* labelmap — the one place that decides what a sentiment label means.
 *
 * A sentiment head's labels are model-specific strings ("negative",
 * "Bearish", "LABEL_0"); every part of finsent that needs their meaning —
 * the classifier's p_negative and its check at load, the windows' counts,
 * eval's gold labels, the back-test report — asks a labelmap for the
 * class. Lookup is case-insensitive: first the map's own entries (the
 * config's model.sentiment_labels, or a command's --sentiment-labels),
 * then the built-in synonyms
 *   negative, bearish, neg → negative
 *   neutral, neu           → neutral
 *   positive, bullish, pos → positive
 * A label found in neither (e.g. "other") means none of the three: the
 * windows do not count such an event (counted as "not counted"). An entry
 * may map a label to none on purpose. */
#ifndef FINSENT_LABELMAP_H
#define FINSENT_LABELMAP_H

#include <stddef.h>

/* The classes; the values are the windows' class indexes. */
enum lm_class { LM_NONE = -1, LM_NEGATIVE = 0, LM_NEUTRAL = 1, LM_POSITIVE = 2 };

typedef struct labelmap labelmap;

/* An empty map (built-in synonyms only). Never NULL. */
labelmap *lm_create(void);
void lm_free(labelmap *m);

/* Maps label (any case) to class_name: "negative", "neutral", "positive"
 * or "none". Returns 0, or -1 when class_name is none of these (nothing
 * changed). A later entry for the same label replaces the earlier one. */
int lm_set(labelmap *m, const char *label, const char *class_name);

/* Adds "LABEL=CLASS,LABEL=CLASS" entries (a command-line map). Returns 0,
 * or -1 with one line in err naming the bad item (entries before it are
 * kept). */
int lm_parse(labelmap *m, const char *spec, char *err, size_t errlen);

/* The class of label; m NULL: built-in synonyms only. Can't fail. */
int lm_class(const labelmap *m, const char *label);

/* "negative" | "neutral" | "positive" | "none"; parse returns LM_NONE for
 * "none" and -2 for anything else. */
const char *lm_class_name(int cls);
int lm_class_parse(const char *s);

/* Checks a sentiment head's labels: 0 when one of them means negative,
 * else -1 with one line in err naming every label. */
int lm_check_head(const labelmap *m, const char *const *labels, int n, char *err, size_t errlen);

/* "bearish=negative, bullish=positive, other=none" for a head's labels;
 * caller frees. */
char *lm_describe(const labelmap *m, const char *const *labels, int n);

#endif
