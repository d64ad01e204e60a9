/* replay_file — JSONL feed files through the live decoder; see replay_file.h. */
#include "ingest/replay_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/replay.h"
#include "util/xalloc.h"

struct replay_file {
    FILE *f;
    int own;
    const ingest_options *opt;
    const ingest_input *in;
    replay_pacer pacer;
    char *line;
    size_t cap;
    long lineno;
    char err[256];
};

replay_file *replay_file_open(const char *path, const ingest_options *opt, const ingest_input *in, double speed,
                              char *err, size_t errlen) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    replay_file *r = xcalloc(1, sizeof *r);
    r->f = f;
    r->own = f != stdin;
    r->opt = opt;
    r->in = in;
    r->pacer.factor = speed;
    return r;
}

int replay_file_next(replay_file *r, event **out, decode_result *res) {
    *out = NULL;
    for (;;) {
        errno = 0;
        ssize_t n = getline(&r->line, &r->cap, r->f);
        if (n < 0) {
            if (ferror(r->f)) {
                snprintf(r->err, sizeof r->err, "line %ld: %s", r->lineno + 1, strerror(errno ? errno : EIO));
                return -2;
            }
            return -1;
        }
        r->lineno++;
        while (n > 0 && (r->line[n - 1] == '\n' || r->line[n - 1] == '\r')) n--;
        size_t start = 0;
        while (start < (size_t)n && (r->line[start] == ' ' || r->line[start] == '\t')) start++;
        if (start == (size_t)n) continue;
        decode_msg m = {.payload = r->line, .len = (size_t)n, .topic = NULL, .partition = 0, .offset = r->lineno,
                        .timestamp_ms = -1};
        event *e = decode_message(r->opt, r->in, &m, res);
        if (!e) return 0;
        replay_pace(&r->pacer, e->ts_ms);
        *out = e;
        return 1;
    }
}

long replay_file_line(const replay_file *r) { return r->lineno; }

const char *replay_file_error(const replay_file *r) { return r->err; }

void replay_file_close(replay_file *r) {
    if (!r) return;
    if (r->own) fclose(r->f);
    free(r->line);
    free(r);
}
