/* decode_pool — decodes messages ahead of the consumer's polling thread on
 * a few worker threads, handing them back in the order they were pushed.
 *
 * The polling thread pushes messages (with an opaque tag, e.g. the Kafka
 * message that owns the payload) and takes decoded jobs from the head;
 * workers decode the oldest undecoded jobs meanwhile. When the head is not
 * decoded yet and no worker has started it, decode_pool_take decodes it on
 * the calling thread, so 0 workers means "decode on the polling thread".
 * Order is the push order (so per-partition order is kept); the pool never
 * reorders, skips or acknowledges anything: what to do with a job is the
 * caller's.
 *
 * Threads: push, take, drop_if, count and free from one thread (the
 * polling thread); the workers are internal. */
#ifndef FINSENT_DECODE_POOL_H
#define FINSENT_DECODE_POOL_H

#include <stddef.h>

#include "ingest/decode.h"
#include "ingest/ingest.h"
#include "util/event.h"

typedef struct decode_pool decode_pool;

/* One message and, once taken, its decoding. */
typedef struct decode_job {
    void *tag;               /* the caller's, e.g. the rd_kafka_message_t owning m.payload */
    decode_msg m;            /* m.payload and m.topic must stay valid until the job is taken or dropped */
    const ingest_input *in;  /* the mapping (NULL: default) */
    event *e;                /* the event (caller owns it after take), or NULL */
    decode_result r;         /* why e is NULL */
} decode_job;

/* Frees a tag of a job that is dropped (decode_pool_drop_if, decode_pool_free). */
typedef void (*decode_pool_release_fn)(void *tag);

/* Starts `threads` workers (0: none) decoding with opt's limits and watch
 * list (opt must outlive the pool). Can't fail (aborts on out of memory or
 * when a thread cannot start). */
decode_pool *decode_pool_new(const ingest_options *opt, int threads, decode_pool_release_fn release);

/* Appends n messages (their tag, m and in; e and r are ignored) in order,
 * waking the workers once; the pool grows as needed (the caller bounds
 * it). Can't fail. */
void decode_pool_push(decode_pool *p, const decode_job *jobs, size_t n);

/* Jobs pushed and not yet taken or dropped. */
size_t decode_pool_count(decode_pool *p);

/* Takes the oldest job into *out, decoded (waiting for the worker that
 * decodes it, or decoding it here); returns 1, or 0 when the pool is empty.
 * The caller then owns out->tag and out->e. */
int decode_pool_take(decode_pool *p, decode_job *out);

/* Drops every job whose tag drop(tag, ud) says 1 for (its event is freed,
 * its tag released); the others keep their order. Returns how many. */
int decode_pool_drop_if(decode_pool *p, int (*drop)(void *tag, void *ud), void *ud);

/* Stops the workers, drops every job left, frees the pool. NULL is a no-op. */
void decode_pool_free(decode_pool *p);

#endif
