/* window_dump — `--dump-windows FILE` of run and replay: every closed
 * window as one tab-separated line, appended as it closes (flushed per
 * window end), so that two runs of the same input can be compared:
 *
 *   KEY <tab> START_MS <tab> END_MS <tab> COUNT <tab> NEGATIVES <tab> NEUTRALS <tab> POSITIVES
 *
 * (the confidence-weighted score is left out: batches of different
 * composition may change a probability in its last float digit). A
 * window closed again after a restart (its events read again) appears
 * again with the same counts. */
#ifndef FINSENT_WINDOW_DUMP_H
#define FINSENT_WINDOW_DUMP_H

#include <stddef.h>

#include "alerts/alerts.h"

typedef struct window_dump window_dump;

/* Opens path for appending; NULL with a one-line reason in err. */
window_dump *window_dump_open(const char *path, char *err, size_t errlen);
/* An observer writing closed windows to d (on_alert NULL). */
alerts_observer window_dump_observer(window_dump *d);
/* Closes; NULL is a no-op. */
void window_dump_close(window_dump *d);

#endif
