/* run_state — the checkpoint store of `finsent run` (app/checkpoint.h):
 * where it lives, what a start restores, what a bad state does.
 *
 * The store is state.dir, or <outbox.dir>/state (one per process, like
 * the outbox). On start the newest valid snapshot is restored into the
 * pipeline before anything is read; a snapshot of other window settings
 * is set aside with a warning (the rules warm up again); a corrupt one,
 * with no valid one before it, is a one-line error (exit 2) that names
 * the file and the way out: --reset-state, which moves the snapshots aside
 * (renamed *.bad-<unix time>) and starts from the committed offsets. */
#ifndef FINSENT_RUN_STATE_H
#define FINSENT_RUN_STATE_H

#include <stddef.h>

#include "app/checkpoint.h"
#include "app/config.h"
#include "app/pipeline.h"

/* Opens (and locks) the store of cfg into *out; *out is NULL when
 * state.enabled is false. reset: set the snapshots aside first. Returns
 * 0, or -1 with one line in err. */
int run_state_open(const fs_config *cfg, int reset, ckpt_store **out, char *err, size_t errlen);

/* Restores the store's newest snapshot into p (created, not started).
 * Returns 0 (restored, or nothing to restore, logged either way), or -1
 * with one line in err. */
int run_state_restore(ckpt_store *s, const fs_config *cfg, pipeline *p, char *err, size_t errlen);

#endif
