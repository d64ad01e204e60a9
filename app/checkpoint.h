/* checkpoint — durable snapshots of the stream state in a directory, in
 * the way of Flink's checkpoints: a snapshot holds the state (windows,
 * baselines, open alerts, watermark sources) together with the source
 * offsets it covers, and input offsets are committed to Kafka only once
 * the snapshot that covers them is durable. A restart restores the newest
 * snapshot and reads each partition again from the offset it records, so
 * every message is counted in its windows exactly once.
 *
 * The directory holds:
 *   LOCK             flock'd for the life of the store (one process per
 *                    directory: a second gets a one-line error), with the
 *                    holder's pid inside for that message
 *   state.ckpt       the newest snapshot
 *   state.prev.ckpt  the one before, the fallback when the newest is bad
 * A snapshot file is  "FSCKPT\r\n" u32 format (1) u32 0 u64 seq u64 length,
 * the payload, and SHA-256 of everything before it (little endian). It is
 * written to state.ckpt.tmp, fsync'd, the newest is renamed to
 * state.prev.ckpt, the temp file to state.ckpt, and the directory is
 * fsync'd: a crash at any point leaves one valid newest snapshot (the new
 * one or the one before), never a torn one under the name.
 *
 * Writing is asynchronous: the caller serialises the state (fast, on its
 * own thread, so the snapshot is consistent) and hands the bytes to a
 * writer thread, then learns from ckpt_durable when they are on disk. A
 * failed write (disk full) is logged once per outage, counted, and the
 * next snapshot tries again: offsets then wait, nothing is lost. */
#ifndef FINSENT_CHECKPOINT_H
#define FINSENT_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#define CKPT_FORMAT 1

typedef struct ckpt_store ckpt_store;

/* Creates dir (mode 0700) when missing and locks it. NULL with one line in
 * err when it cannot be created or another process holds the lock. */
ckpt_store *ckpt_open(const char *dir, char *err, size_t errlen);

/* The newest valid snapshot's payload: 1 with *payload (the caller frees),
 * *len and *seq set; 0 when the directory holds no snapshot; -1 when
 * there are snapshots and none is valid (err says what is wrong with
 * each). A bad newest with a good previous one is read from the previous
 * one, with a warning naming the problem (the offsets it records are
 * earlier: messages are read again, alerts sent again with their ids). */
int ckpt_read(ckpt_store *s, unsigned char **payload, size_t *len, uint64_t *seq, char *err, size_t errlen);

/* Checks a snapshot file's bytes: 0 with *payload (pointing into data),
 * *len and *seq; -1 with the problem in err. For ckpt_read and the fuzzer. */
int ckpt_parse(const unsigned char *data, size_t n, const unsigned char **payload, size_t *len, uint64_t *seq,
               char *err, size_t errlen);

/* Hands a payload (ownership passes to the store) to the writer thread as
 * snapshot seq (greater than every earlier one). Returns 0, or 1 when the
 * previous snapshot is still being written (payload not taken: the
 * caller frees it and tries later). */
int ckpt_submit(ckpt_store *s, unsigned char *payload, size_t len, uint64_t seq);

/* The seq of the newest snapshot known durable (0: none this run).
 * Thread-safe. */
uint64_t ckpt_durable(ckpt_store *s);

typedef struct ckpt_stats {
    int64_t written, failed; /* snapshots written, writes that failed */
    int64_t last_bytes;      /* size of the newest written file */
    double last_seconds;     /* how long writing it took (write, fsync, renames) */
} ckpt_stats;
ckpt_stats ckpt_get_stats(ckpt_store *s);

/* Waits (up to timeout_ms) for a snapshot being written, stops the
 * writer, unlocks and frees. NULL is a no-op. */
void ckpt_close(ckpt_store *s, int timeout_ms);

#endif
