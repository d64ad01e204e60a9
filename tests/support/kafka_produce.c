/* kafka_produce — see kafka_produce.h. */
#include "tests/support/kafka_produce.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/xalloc.h"

int kafka_produce_numbered(const char *bootstrap, const char *topic, int partition, int n, const char *prefix,
                           const char *text) {
    char path[] = "/tmp/finsent-produce-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(path);
        return -1;
    }
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%d:{\"id\":\"%s%d\",\"text\":\"%s %d\"}\n", prefix, i, prefix, i, text, i);
    int bad = fclose(f) != 0;
    char part[32] = "";
    if (partition >= 0) snprintf(part, sizeof part, "-p %d", partition);
    char *cmd = xasprintf("kcat -P -q -b %s -t %s -K: %s -l %s", bootstrap, topic, part, path);
    int rc = bad ? -1 : system(cmd);
    free(cmd);
    unlink(path);
    return rc;
}
