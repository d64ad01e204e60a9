/* scored — the records of the scored topic that joins the classify and
 * aggregate roles (README "Scaling out", docs/operations.md).
 *
 * One record per (scored event, aggregation key): the Kafka message key is
 * the aggregation key (so that all of one key's records land on one
 * partition and one aggregate instance owns its windows), the value is one
 * JSON object: the scored event (DESIGN.md "Scored event": id, stream, ts
 * as RFC 3339, source, text, entities, topic {label, score}, sentiment
 * {label, score}) plus what the windows need to give the alerts a
 * single-process run gives: ts_ms, p_negative, label indexes, "key" (the
 * aggregation key) and "origin" {topic, partition, offset} of the input
 * message, by which the aggregate role drops the copies an at-least-once
 * classify run produces again. Floats round-trip exactly. */
#ifndef FINSENT_SCORED_H
#define FINSENT_SCORED_H

#include "ingest/decode.h"
#include "util/event.h"

/* The record value for event e (scored, with its Kafka origin) and one of
 * its aggregation keys. Caller frees. */
char *scored_record_json(const event *e, const char *key);

/* Decodes a scored record (same contract as decode_message, whose
 * signature it shares so that the consumer can use either): the event
 * comes back with agg_key and in_* set from the record and origin_* from m
 * (the scored topic's partition and offset). in and opt's field mapping
 * are not used; opt's max_message_bytes is. A record without the fields
 * above is a dead letter (bad_field_type, missing_text, ...). */
event *scored_decode(const ingest_options *opt, const ingest_input *in, const decode_msg *m, decode_result *res);

#endif
