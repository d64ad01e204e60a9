/* file_sink — alerts appended to a JSON-lines file; see file_sink.h. */
#include "alerts/file_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/errmsg.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define RETRY_MS 1000

typedef struct waiting {
    uint64_t seq;
    char *body;
} waiting;

struct file_sink {
    char *name, *path;
    int fd;
    filesink_done_fn done;
    void *ud;
    waiting *wait; /* alerts whose write failed, oldest first */
    int n_wait, cap_wait;
    int64_t retry_at_ms;
    int failing; /* the last write failed (log only the first of an outage) */
};

file_sink *filesink_open(const char *name, const char *path, filesink_done_fn done, void *ud, char *err,
                         size_t errlen) {
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        err_set(err, errlen, "sink \"%s\": %s: %s", name, path, strerror(errno));
        return NULL;
    }
    file_sink *f = xcalloc(1, sizeof *f);
    f->name = xstrdup(name);
    f->path = xstrdup(path);
    f->fd = fd;
    f->done = done;
    f->ud = ud;
    return f;
}

void filesink_close(file_sink *f) {
    if (!f) return;
    close(f->fd);
    for (int i = 0; i < f->n_wait; i++) free(f->wait[i].body);
    free(f->wait);
    free(f->name);
    free(f->path);
    free(f);
}

const char *filesink_name(const file_sink *f) { return f->name; }
int filesink_waiting(const file_sink *f) { return f->n_wait; }

/* Appends body and a newline in one write and syncs; on failure cuts the
 * file back to its size before, so no torn line stays. 0 or -1 (errno). */
static int append_line(file_sink *f, const char *body) {
    struct stat st;
    if (fstat(f->fd, &st) < 0) return -1;
    size_t n = strlen(body);
    char *line = xmalloc(n + 1);
    memcpy(line, body, n);
    line[n] = '\n';
    size_t done = 0;
    int rc = 0;
    while (done < n + 1) {
        ssize_t k = write(f->fd, line + done, n + 1 - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            rc = -1;
            break;
        }
        done += (size_t)k;
    }
    free(line);
    if (rc == 0 && fdatasync(f->fd) == 0) return 0;
    int e = errno ? errno : EIO;
    if (ftruncate(f->fd, st.st_size) < 0) log_warn("sink", "%s: cutting a failed line: %s", f->path, strerror(errno));
    errno = e;
    return -1;
}

/* Writes one alert; 1 when delivered (reported), 0 when it must wait. */
static int try_write(file_sink *f, uint64_t seq, const char *body) {
    if (append_line(f, body) < 0) {
        if (!f->failing)
            log_error("sink", "sink \"%s\": %s: %s; alerts wait in the outbox and are retried every second", f->name,
                      f->path, strerror(errno));
        f->failing = 1;
        return 0;
    }
    if (f->failing) log_info("sink", "sink \"%s\": %s writable again", f->name, f->path);
    f->failing = 0;
    f->done(seq, f->name, OUTBOX_DELIVERED, NULL, f->ud);
    return 1;
}

void filesink_submit(file_sink *f, uint64_t seq, const char *body) {
    if (f->n_wait == 0 && try_write(f, seq, body)) return;
    if (f->n_wait == f->cap_wait) {
        f->cap_wait = f->cap_wait ? 2 * f->cap_wait : 8;
        f->wait = xrealloc(f->wait, sizeof *f->wait * (size_t)f->cap_wait);
    }
    f->wait[f->n_wait++] = (waiting){seq, xstrdup(body)};
    if (f->n_wait == 1) f->retry_at_ms = time_now_ms() + RETRY_MS;
}

int filesink_poll(file_sink *f) {
    if (f->n_wait == 0 || time_now_ms() < f->retry_at_ms) return 0;
    int k = 0;
    while (k < f->n_wait && try_write(f, f->wait[k].seq, f->wait[k].body)) free(f->wait[k++].body);
    memmove(f->wait, f->wait + k, sizeof *f->wait * (size_t)(f->n_wait - k));
    f->n_wait -= k;
    f->retry_at_ms = time_now_ms() + RETRY_MS;
    return k;
}
