/* part_mute — which alert transitions of the aggregate role were sent
 * before: its keys' scored partitions and, per partition, the window end
 * up to which its state is being rebuilt (docs/operations.md "Moving
 * aggregate state").
 *
 * When an aggregate instance gets a scored partition, it reads the
 * partition again from its beginning up to the committed offset (rebuild
 * records, ingest_rebuilding). A record is committed only once every
 * window it belongs to has closed and the alerts those windows fired are
 * in the outbox, so every transition of the partition's keys at a window
 * end up to the last window end of its rebuild records was durable
 * before: it is muted (not written to the outbox again), while windows,
 * baselines and alert state follow the records as in one process. Other
 * partitions of the same instance stay live meanwhile: the mute is per
 * partition, and a key is muted through the partition its records come
 * from (a scored topic's key lives in one partition).
 *
 * Thread-safe: the source thread records keys and rebuild records, the
 * thread that owns the alerts engine asks. */
#ifndef FINSENT_PART_MUTE_H
#define FINSENT_PART_MUTE_H

#include <stdint.h>

typedef struct part_mute part_mute;

part_mute *pm_new(void);
void pm_free(part_mute *m);

/* Forgets every key and rebuild (a new assignment: every partition is
 * rebuilt again). */
void pm_reset(part_mute *m);

/* Records that key's records come from scored partition (>= 0); the
 * latest call wins. */
void pm_own(part_mute *m, const char *key, int32_t partition);

/* A rebuild record of partition whose last window ends at end_ms: the
 * partition's transitions at window ends <= end_ms are muted. */
void pm_rebuilt(part_mute *m, int32_t partition, int64_t end_ms);

/* 1 when a transition of key at window_end_ms is muted: the key's
 * partition is rebuilding up to at least that end. 0 for unknown keys. */
int pm_muted(part_mute *m, const char *key, int64_t window_end_ms);

#endif
