/* outbox — the durable log of alerts to deliver.
 *
 * Every alert (and every resolve) is appended and fsync'd before any sink
 * sees it; delivery results are appended to the same log. After a crash,
 * opening the log replays it: entries with a sink not yet delivered or
 * failed are pending again (a sink may then see an alert twice, always with
 * the same id). Compaction rewrites the log without finished entries
 * (temp file, fsync, rename, fsync of the directory).
 *
 * File format: a sequence of records  [u32 len][u32 crc32][len bytes], little
 * endian, CRC-32 (IEEE) over the payload. Payloads:
 *   'E' u64 seq, i64 created_ms, u16 n_sinks, str id, str key, str body, str sink × n_sinks
 *   'M' u64 seq, u8 state (1 delivered, 2 failed), str sink, str reason
 * where str is u32 length + bytes. A short or corrupt record is the torn end
 * of a write cut by a crash: it and everything after it are truncated away
 * on open (with a warning). The file is created with mode 0600.
 *
 * Delivery records are written but not fsync'd: losing one in a crash only
 * repeats a delivery, which carries the same id. Not thread-safe. */
#ifndef FINSENT_OUTBOX_H
#define FINSENT_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

enum outbox_state { OUTBOX_PENDING = 0, OUTBOX_DELIVERED = 1, OUTBOX_FAILED = 2 };

typedef struct outbox_entry {
    uint64_t seq;
    int64_t created_ms; /* when it was first accepted; the give-up horizon counts from here */
    char *id;           /* alert id */
    char *key;          /* alert key name (Kafka message key) */
    char *body;         /* generic JSON body */
    int n_sinks;
    char **sinks;
    uint8_t *state;     /* per sink, enum outbox_state */
} outbox_entry;

typedef struct outbox outbox;

/* Opens (creating with mode 0600) and replays the log at path. Returns NULL
 * and writes a one-line reason into err on failure. */
outbox *outbox_open(const char *path, char *err, size_t errlen);
/* Applies the config's outbox settings (defaults: fsync on, no cap).
 * fsync_each 0: outbox_put does not fsync, so a power loss may lose the
 *   newest alerts (a process crash loses nothing: the bytes reached the
 *   kernel); compaction still syncs.
 * max_bytes > 0: outbox_put refuses an entry that would take the log past
 *   max_bytes even after compacting finished entries, failing exactly like
 *   a full disk (-1, nothing accepted earlier lost). Delivery records are
 *   never refused: they are what lets compaction free space. Can't fail. */
void outbox_configure(outbox *ob, int fsync_each, int64_t max_bytes);
/* Closes the file and frees everything; NULL is a no-op. */
void outbox_close(outbox *ob);

/* Appends an entry for the given sinks and fsyncs it. Returns 0 and sets
 * *seq (may be NULL); -1 on a write or sync error (disk full, file too
 * large) or past max_bytes (outbox_configure): the log is rolled back to before this entry, nothing accepted
 * earlier is lost, and outbox_error() says why. Also -1 when seq would pass
 * INT64_MAX (only a tampered log gets there; replay drops larger seqs). */
int outbox_put(outbox *ob, const char *id, const char *key, const char *body, const char *const *sinks,
               int n_sinks, int64_t created_ms, uint64_t *seq);

/* Records the result of delivering entry seq to sink (DELIVERED or FAILED,
 * reason may be NULL). Unknown seq or sink (already compacted) is a no-op
 * returning 0; -1 on a write error (outbox_error()). Compacts the log when
 * finished entries dominate it. */
int outbox_mark(outbox *ob, uint64_t seq, const char *sink, enum outbox_state st, const char *reason);

/* Rewrites the log without finished entries. 0, or -1 (outbox_error()),
 * in which case the old log stays in use. */
int outbox_compact(outbox *ob);

/* Entries in memory (pending or finished since the last compaction), in
 * sequence order; entry_at is valid until the next put, mark or compact. */
int outbox_count(const outbox *ob);
const outbox_entry *outbox_entry_at(const outbox *ob, int i);
const outbox_entry *outbox_find(const outbox *ob, uint64_t seq);
/* Entries with at least one sink pending. */
int outbox_n_pending(const outbox *ob);
/* Size of the log file in bytes. */
int64_t outbox_file_size(const outbox *ob);
/* The last error, "" when none. */
const char *outbox_error(const outbox *ob);

/* CRC-32 (IEEE 802.3), as used by the records. */
uint32_t outbox_crc32(const void *data, size_t n);

#endif
