/* outbox_dir — scratch outbox directories for tests; see outbox_dir.h. */
#include "tests/support/outbox_dir.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int outbox_dir_make(const char *tag, char *dir, size_t dirlen, char *path, size_t pathlen) {
    snprintf(dir, dirlen, "/tmp/finsent-%s-XXXXXX", tag);
    if (!mkdtemp(dir)) return -1;
    snprintf(path, pathlen, "%s/outbox.log", dir);
    return 0;
}

void outbox_dir_remove(const char *dir, const char *path) {
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    unlink(path);
    unlink(tmp);
    snprintf(tmp, sizeof tmp, "%s/failed.jsonl", dir);
    unlink(tmp);
    rmdir(dir);
}
