/* scored_source — the aggregate role's pl_source: the consumer of the
 * scored topic (decoding with scored_decode), dropping the copies of a
 * record that an at-least-once classify run produced again.
 *
 * A record is identified by (aggregation key, input topic, input
 * partition, input offset). Identities are remembered while their windows
 * may still be open: until the pipeline's watermark passes the record's
 * time + window_ms (every window of it closed); a copy arriving later than
 * that is late (not counted, dead-lettered as late_event), never counted
 * twice. A dropped copy is acknowledged at once (the original holds the
 * offset back until its windows close).
 *
 * Rebuild records (ingest_rebuilding: read again below the committed
 * offset after an assignment) are counted as usual and feed the mute
 * (alerts/part_mute.h): the source records every record's key and scored
 * partition, and each rebuild record's last window end, so that the
 * alerts engine does not send again what was sent before. */
#ifndef FINSENT_SCORED_SOURCE_H
#define FINSENT_SCORED_SOURCE_H

#include <stdint.h>

#include "alerts/part_mute.h"
#include "app/pipeline.h"
#include "ingest/consumer.h"

typedef struct scored_source scored_source;

/* A source over c (borrowed; the caller closes it after the pipeline);
 * window_ms: the windows' size; mute (borrowed) is fed as said above. */
scored_source *scored_source_new(ingest_consumer *c, int64_t window_ms, part_mute *mute);
/* The pipeline whose watermark lets identities go (borrowed); until it is
 * set, every identity is kept. Call once, right after pipeline_start. */
void scored_source_watch(scored_source *s, pipeline *p);
pl_source scored_source_pl(scored_source *s);
/* Copies dropped so far. */
int64_t scored_source_duplicates(const scored_source *s);
/* Rebuild records handed out so far. */
int64_t scored_source_rebuilt(const scored_source *s);
/* Seconds from the first rebuild record handed out to the last (0: none). */
double scored_source_rebuild_seconds(const scored_source *s);
void scored_source_free(scored_source *s);

#endif
