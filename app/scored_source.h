/* scored_source — the aggregate role's pl_source: the consumer of the
 * scored topic (decoding with scored_decode), dropping the copies of a
 * record that an at-least-once classify run produced again.
 *
 * Copies are recognised by a copy table (app/copy_table.h: identities
 * while the record's windows may be open, then each (input partition,
 * scored partition) pair's input-offset high water). A dropped copy is
 * acknowledged at once (the original holds the offset back until its
 * windows close).
 *
 * Rebuild records (ingest_rebuilding: read again below the committed
 * offset after an assignment) are counted as usual and feed the mute
 * (alerts/part_mute.h): the source records every record's key and scored
 * partition, and each rebuild record's last window end, so that the
 * alerts engine does not send again what was sent before.
 *
 * Checkpoints (scored_source_durable: static assignment): a second copy
 * table follows what the pipeline has released, is saved with each
 * checkpoint and loaded on restore, and the first assignment then goes on
 * from the checkpoint instead of rebuilding (docs/state.md).
 *
 * Rebalances (the consumer group's eager assignments): on each one, before
 * any record of it is handed out, the pipeline counts what it holds and
 * starts empty (pipeline_restart: windows, baselines, alert state,
 * pending acknowledgements, watermark sources = every input partition
 * through every assigned scored partition), and the identities and the
 * mute are forgotten: every assigned partition is then rebuilt from its
 * beginning, as after a restart. The pipeline is the one pipeline_start
 * attached (pl_source.attach); its watermark also lets identities go.
 *
 * Upstream outages: with a watcher of the classify group (group_watch.h),
 * an input partition that classify has stopped on holds every pair fed by
 * it (pl_source.stalled_inputs), so that its records, scored once classify
 * is back, are not late because the pairs went idle meanwhile. */
#ifndef FINSENT_SCORED_SOURCE_H
#define FINSENT_SCORED_SOURCE_H

#include <stdint.h>

#include "alerts/part_mute.h"
#include "app/pipeline.h"
#include "ingest/consumer.h"
#include "ingest/group_watch.h"

typedef struct scored_source scored_source;

/* A source over c (borrowed; the caller closes it after the pipeline);
 * window_ms: the windows' size; mute (borrowed) is fed as said above. */
scored_source *scored_source_new(ingest_consumer *c, int64_t window_ms, part_mute *mute);
/* Adds an input partition (a watermark source with every scored partition
 * assigned); the signature of ingest_list_topic_partitions's callback (ud:
 * the source). Call for every input partition before pipeline_start. */
void scored_source_add_input(const char *topic, int32_t partition, void *ud);
/* Watches g (borrowed, NULL: none) for the classify group's stalls on the
 * input partitions added so far (adds them to g). */
void scored_source_watch(scored_source *s, group_watch *g);
/* Assignments so far (each one a rebuild of every assigned partition). */
int64_t scored_source_rebalances(const scored_source *s);
/* Checkpoints (the aggregate role with static assignment and a state
 * directory): the source keeps the copy table as of the records the
 * pipeline has released, which the pipeline's checkpoints carry
 * (pl_source.save/load), and starts a restored partition at the
 * checkpoint's offset. Call before scored_source_pl. */
void scored_source_durable(scored_source *s);

pl_source scored_source_pl(scored_source *s);
/* Copies dropped so far. */
int64_t scored_source_duplicates(const scored_source *s);
/* Rebuild records handed out so far. */
int64_t scored_source_rebuilt(const scored_source *s);
/* Rebuild records handed out since the last assignment. */
int64_t scored_source_rebuilt_last(const scored_source *s);
/* Seconds from the first rebuild record handed out since the last
 * assignment to the last one (0: none). */
double scored_source_rebuild_seconds(const scored_source *s);
void scored_source_free(scored_source *s);

#endif
