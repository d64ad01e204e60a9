/* crashpoint — fault injection for the crash tests: a named place in the
 * code where the process can be made to die as kill -9 would kill it.
 *
 * FINSENT_CRASHPOINT="NAME:N" makes the N-th time crashpoint("NAME") is
 * reached raise SIGKILL on the whole process (no handler runs, nothing is
 * flushed: exactly a kill -9 at that line). Unset (the normal case), a
 * crashpoint is one comparison. The names in use:
 *   checkpoint-write  halfway through writing a snapshot's temp file
 *   checkpoint-swap   between moving state.ckpt to state.prev.ckpt and
 *                     moving the new snapshot into place
 *   checkpoint-renamed  the new snapshot in place, its offsets not yet
 *                     acknowledged to the consumer (nor committed)
 *   checkpoint-acked  a durable snapshot's offsets acknowledged to the
 *                     consumer, which commits them later
 *   outbox-written    right after an alert is fsync'd in the outbox, before
 *                     any checkpoint covers the messages that fired it
 *   delivered         a sink accepted an alert; the outbox has not recorded
 *                     it (the restart sends it again under the same id)
 * Tests only: it is not a user setting. */
#ifndef FINSENT_CRASHPOINT_H
#define FINSENT_CRASHPOINT_H

void crashpoint(const char *name);

#endif
