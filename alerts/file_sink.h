/* file_sink — the `file` sink: alerts appended to a local file as JSON lines.
 *
 * Each alert's generic body (one line of JSON) is appended with a newline
 * and fdatasync'd before it counts as delivered, so a line in the file is
 * an alert that survived a power loss. A write that fails (disk full, I/O
 * error) is cut back off the file and retried on later polls, about once a
 * second, for as long as it takes: the alert stays pending in the outbox,
 * never marked failed, and the first failure of an outage is logged. After
 * a crash between the write and the outbox's delivery record, an alert may
 * appear twice, always with the same id. The file is created with mode
 * 0600. Not thread-safe. */
#ifndef FINSENT_FILE_SINK_H
#define FINSENT_FILE_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "alerts/outbox.h"

typedef void (*filesink_done_fn)(uint64_t seq, const char *sink, enum outbox_state st, const char *reason,
                                 void *ud);

typedef struct file_sink file_sink;

/* Opens (creating, mode 0600) the file at path for appending. NULL with a
 * one-line reason naming the sink and the path in err. */
file_sink *filesink_open(const char *name, const char *path, filesink_done_fn done, void *ud, char *err,
                         size_t errlen);
/* Closes the file; alerts still waiting for a retry stay pending in the
 * outbox. NULL is a no-op. */
void filesink_close(file_sink *f);
const char *filesink_name(const file_sink *f);

/* Appends one alert now, reporting DELIVERED through done; when the write
 * fails, keeps a copy to retry from filesink_poll. Can't fail. */
void filesink_submit(file_sink *f, uint64_t seq, const char *body);
/* Retries waiting alerts when their second has come. Returns deliveries
 * finished. */
int filesink_poll(file_sink *f);
/* Alerts waiting for a retry. */
int filesink_waiting(const file_sink *f);

#endif
