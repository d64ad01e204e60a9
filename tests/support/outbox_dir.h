/* outbox_dir — a scratch directory holding an outbox, for the alerts tests. */
#ifndef FINSENT_TEST_OUTBOX_DIR_H
#define FINSENT_TEST_OUTBOX_DIR_H

#include <stddef.h>

/* Creates /tmp/finsent-<tag>-XXXXXX into dir and sets path to
 * "<dir>/outbox.log". Returns 0, or -1 when the directory cannot be made. */
int outbox_dir_make(const char *tag, char *dir, size_t dirlen, char *path, size_t pathlen);

/* Removes the outbox, its compaction temp file, failed.jsonl and the
 * directory (what is absent is skipped). */
void outbox_dir_remove(const char *dir, const char *path);

#endif
