/* outbox — append-only, CRC-checked, fsync'd alert log; see outbox.h. */
#include "alerts/outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/errmsg.h"
#include "util/log.h"
#include "util/xalloc.h"

struct outbox {
    char *path;
    int fd;
    int64_t size; /* end of the last good record */
    outbox_entry **entries;
    int n, cap;
    int n_finished;
    uint64_t next_seq;
    int fsync_each;          /* fsync every appended entry (config outbox.fsync) */
    int64_t max_bytes;       /* 0: no cap (config outbox.max_bytes) */
    int n_finished_at_full;  /* n_finished when the cap last refused a put, -1 none */
    char err[256];
};

uint32_t outbox_crc32(const void *data, size_t n) {
    static uint32_t table[256];
    static int ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    const uint8_t *p = data;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static void set_err(outbox *ob, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(outbox *ob, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    err_vset(ob->err, sizeof ob->err, fmt, ap);
    va_end(ap);
}

/* ---- record encoding ---- */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put_bytes(buf *b, const void *src, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_u(buf *b, uint64_t v, int width) {
    uint8_t t[8];
    for (int i = 0; i < width; i++) t[i] = (uint8_t)(v >> (8 * i));
    put_bytes(b, t, (size_t)width);
}

static void put_str(buf *b, const char *s) {
    size_t n = s ? strlen(s) : 0;
    put_u(b, n, 4);
    put_bytes(b, s ? s : "", n);
}

/* Starts a record: room for len and crc, filled in by rec_end. */
static void rec_begin(buf *b) {
    b->n = 0;
    put_u(b, 0, 8);
}

static void rec_end(buf *b) {
    uint32_t len = (uint32_t)(b->n - 8), crc = outbox_crc32(b->p + 8, len);
    for (int i = 0; i < 4; i++) {
        b->p[i] = (uint8_t)(len >> (8 * i));
        b->p[4 + i] = (uint8_t)(crc >> (8 * i));
    }
}

static void enc_entry(buf *b, const outbox_entry *e) {
    rec_begin(b);
    put_bytes(b, "E", 1);
    put_u(b, e->seq, 8);
    put_u(b, (uint64_t)e->created_ms, 8);
    put_u(b, (uint64_t)e->n_sinks, 2);
    put_str(b, e->id);
    put_str(b, e->key);
    put_str(b, e->body);
    for (int i = 0; i < e->n_sinks; i++) put_str(b, e->sinks[i]);
    rec_end(b);
}

static void enc_mark(buf *b, uint64_t seq, const char *sink, enum outbox_state st, const char *reason) {
    rec_begin(b);
    put_bytes(b, "M", 1);
    put_u(b, seq, 8);
    put_u(b, (uint64_t)st, 1);
    put_str(b, sink);
    put_str(b, reason);
    rec_end(b);
}

/* The largest seq a log may hold. Counting from 1 never reaches it; a
 * (crafted) record beyond it is malformed, and a put past it fails, so that
 * next_seq cannot wrap to 0 and put an entry out of order, where the next
 * replay would drop it. */
#define OUTBOX_MAX_SEQ ((uint64_t)INT64_MAX)

typedef struct rd {
    const uint8_t *p;
    size_t n, off;
    int bad;
} rd;

static uint64_t get_u(rd *r, int width) {
    if (r->off + (size_t)width > r->n) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < width; i++) v |= (uint64_t)r->p[r->off + (size_t)i] << (8 * i);
    r->off += (size_t)width;
    return v;
}

static char *get_str(rd *r) {
    uint64_t n = get_u(r, 4);
    if (r->bad || r->off + n > r->n) {
        r->bad = 1;
        return NULL;
    }
    char *s = xstrndup((const char *)r->p + r->off, (size_t)n);
    r->off += n;
    return s;
}

/* ---- in-memory state ---- */

static void entry_free(outbox_entry *e) {
    if (!e) return;
    free(e->id);
    free(e->key);
    free(e->body);
    for (int i = 0; i < e->n_sinks; i++) free(e->sinks[i]);
    free(e->sinks);
    free(e->state);
    free(e);
}

static int entry_finished(const outbox_entry *e) {
    for (int i = 0; i < e->n_sinks; i++)
        if (e->state[i] == OUTBOX_PENDING) return 0;
    return 1;
}

static void push_entry(outbox *ob, outbox_entry *e) {
    if (ob->n == ob->cap) {
        ob->cap = ob->cap ? ob->cap * 2 : 64;
        ob->entries = xrealloc(ob->entries, sizeof *ob->entries * (size_t)ob->cap);
    }
    ob->entries[ob->n++] = e;
    if (e->seq >= ob->next_seq) ob->next_seq = e->seq + 1;
    if (entry_finished(e)) ob->n_finished++;
}

const outbox_entry *outbox_find(const outbox *ob, uint64_t seq) {
    int lo = 0, hi = ob->n - 1; /* entries are in increasing seq order */
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (ob->entries[mid]->seq == seq) return ob->entries[mid];
        if (ob->entries[mid]->seq < seq) lo = mid + 1;
        else hi = mid - 1;
    }
    return NULL;
}

/* Applies a delivery result; returns 1 when it finished the entry. */
static int apply_mark(outbox *ob, uint64_t seq, const char *sink, enum outbox_state st) {
    outbox_entry *e = (outbox_entry *)outbox_find(ob, seq);
    if (!e) return 0;
    for (int i = 0; i < e->n_sinks; i++) {
        if (strcmp(e->sinks[i], sink) != 0 || e->state[i] != OUTBOX_PENDING) continue;
        e->state[i] = (uint8_t)st;
        if (entry_finished(e)) {
            ob->n_finished++;
            return 1;
        }
        return 0;
    }
    return 0;
}

/* Parses one record payload into the in-memory state; -1 when malformed. */
static int replay_record(outbox *ob, const uint8_t *p, size_t n) {
    rd r = {p, n, 1, 0};
    if (n < 1) return -1;
    if (p[0] == 'E') {
        outbox_entry *e = xcalloc(1, sizeof *e);
        e->seq = get_u(&r, 8);
        e->created_ms = (int64_t)get_u(&r, 8);
        e->n_sinks = (int)get_u(&r, 2);
        e->id = get_str(&r);
        e->key = get_str(&r);
        e->body = get_str(&r);
        e->sinks = xcalloc((size_t)e->n_sinks + 1, sizeof *e->sinks);
        e->state = xcalloc((size_t)e->n_sinks + 1, 1);
        for (int i = 0; i < e->n_sinks && !r.bad; i++) e->sinks[i] = get_str(&r);
        if (r.bad || r.off != n || e->seq > OUTBOX_MAX_SEQ || (ob->n > 0 && e->seq <= ob->entries[ob->n - 1]->seq)) {
            entry_free(e);
            return -1;
        }
        push_entry(ob, e);
        return 0;
    }
    if (p[0] == 'M') {
        uint64_t seq = get_u(&r, 8);
        int st = (int)get_u(&r, 1);
        char *sink = get_str(&r);
        char *reason = get_str(&r);
        int ok = !r.bad && r.off == n && (st == OUTBOX_DELIVERED || st == OUTBOX_FAILED);
        if (ok) apply_mark(ob, seq, sink, (enum outbox_state)st);
        free(sink);
        free(reason);
        return ok ? 0 : -1;
    }
    return -1;
}

static int replay(outbox *ob) {
    struct stat sb;
    if (fstat(ob->fd, &sb) < 0) {
        set_err(ob, "%s: %s", ob->path, strerror(errno));
        return -1;
    }
    size_t len = (size_t)sb.st_size, off = 0;
    uint8_t *data = xmalloc(len + 1);
    size_t got = 0;
    while (got < len) {
        ssize_t k = pread(ob->fd, data + got, len - got, (off_t)got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            set_err(ob, "%s: read: %s", ob->path, k < 0 ? strerror(errno) : "unexpected end of file");
            free(data);
            return -1;
        }
        got += (size_t)k;
    }
    while (off + 8 <= len) {
        uint32_t n = 0, crc = 0;
        for (int i = 0; i < 4; i++) {
            n |= (uint32_t)data[off + (size_t)i] << (8 * i);
            crc |= (uint32_t)data[off + 4 + (size_t)i] << (8 * i);
        }
        if (off + 8 + n > len || outbox_crc32(data + off + 8, n) != crc) break;
        if (replay_record(ob, data + off + 8, n) < 0) break;
        off += 8 + (size_t)n;
    }
    free(data);
    if (off < len) {
        log_warn("outbox", "%s: torn or corrupt record at byte %zu; truncating %zu bytes", ob->path, off, len - off);
        if (ftruncate(ob->fd, (off_t)off) < 0) {
            set_err(ob, "%s: truncate: %s", ob->path, strerror(errno));
            return -1;
        }
    }
    ob->size = (int64_t)off;
    return 0;
}

outbox *outbox_open(const char *path, char *err, size_t errlen) {
    outbox *ob = xcalloc(1, sizeof *ob);
    ob->path = xstrdup(path);
    ob->next_seq = 1;
    ob->fsync_each = 1;
    ob->n_finished_at_full = -1;
    ob->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (ob->fd < 0) {
        err_set(err, errlen, "%s: %s", path, strerror(errno));
        outbox_close(ob);
        return NULL;
    }
    if (fchmod(ob->fd, 0600) < 0 || replay(ob) < 0) {
        if (!ob->err[0]) set_err(ob, "%s: chmod: %s", path, strerror(errno));
        err_set(err, errlen, "%s", ob->err);
        outbox_close(ob);
        return NULL;
    }
    return ob;
}

void outbox_configure(outbox *ob, int fsync_each, int64_t max_bytes) {
    ob->fsync_each = fsync_each;
    ob->max_bytes = max_bytes > 0 ? max_bytes : 0;
}

/* 1 when n more bytes fit under max_bytes, compacting first if finished
 * entries could free space. A refused put is retried on every poll while
 * alerts wait, so compaction is tried again only once more entries have
 * finished since the last refusal (it rewrites the whole log). */
static int fits_cap(outbox *ob, size_t n) {
    if (!ob->max_bytes || ob->size + (int64_t)n <= ob->max_bytes) return 1;
    if (ob->n_finished > 0 && ob->n_finished != ob->n_finished_at_full && outbox_compact(ob) < 0)
        log_warn("outbox", "compaction failed, log kept: %s", ob->err);
    if (ob->size + (int64_t)n <= ob->max_bytes) return 1;
    ob->n_finished_at_full = ob->n_finished;
    set_err(ob, "%s: full: %lld bytes of max_bytes %lld held by %d undelivered entries", ob->path,
            (long long)ob->size, (long long)ob->max_bytes, outbox_n_pending(ob));
    return 0;
}

void outbox_close(outbox *ob) {
    if (!ob) return;
    if (ob->fd >= 0) close(ob->fd);
    for (int i = 0; i < ob->n; i++) entry_free(ob->entries[i]);
    free(ob->entries);
    free(ob->path);
    free(ob);
}

/* Cuts a partly written record off the end of the log. If even that fails,
 * the torn tail fails its CRC and is dropped on the next open. */
static void rollback(outbox *ob) {
    if (ftruncate(ob->fd, (off_t)ob->size) < 0)
        log_warn("outbox", "%s: truncate after a failed write: %s", ob->path, strerror(errno));
}

/* Writes a whole record at the end of the log; on failure rolls back. */
static int append(outbox *ob, const buf *b, int sync) {
    size_t done = 0;
    while (done < b->n) {
        ssize_t k = pwrite(ob->fd, b->p + done, b->n - done, (off_t)(ob->size + (int64_t)done));
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            set_err(ob, "%s: write: %s", ob->path, strerror(errno));
            rollback(ob);
            return -1;
        }
        done += (size_t)k;
    }
    if (sync && fdatasync(ob->fd) < 0) {
        set_err(ob, "%s: fsync: %s", ob->path, strerror(errno));
        rollback(ob);
        return -1;
    }
    ob->size += (int64_t)b->n;
    return 0;
}

int outbox_put(outbox *ob, const char *id, const char *key, const char *body, const char *const *sinks,
               int n_sinks, int64_t created_ms, uint64_t *seq) {
    if (ob->next_seq > OUTBOX_MAX_SEQ) {
        set_err(ob, "%s: sequence numbers exhausted (the log holds seq %llu)", ob->path,
                (unsigned long long)OUTBOX_MAX_SEQ);
        return -1;
    }
    outbox_entry *e = xcalloc(1, sizeof *e);
    e->seq = ob->next_seq;
    e->created_ms = created_ms;
    e->id = xstrdup(id);
    e->key = xstrdup(key ? key : "");
    e->body = xstrdup(body);
    e->n_sinks = n_sinks;
    e->sinks = xcalloc((size_t)n_sinks + 1, sizeof *e->sinks);
    e->state = xcalloc((size_t)n_sinks + 1, 1);
    for (int i = 0; i < n_sinks; i++) e->sinks[i] = xstrdup(sinks[i]);
    buf b = {0};
    enc_entry(&b, e);
    int rc = fits_cap(ob, b.n) ? append(ob, &b, ob->fsync_each) : -1;
    free(b.p);
    if (rc < 0) {
        entry_free(e);
        return -1;
    }
    push_entry(ob, e);
    if (seq) *seq = e->seq;
    return 0;
}

int outbox_mark(outbox *ob, uint64_t seq, const char *sink, enum outbox_state st, const char *reason) {
    const outbox_entry *e = outbox_find(ob, seq);
    int known = 0;
    for (int i = 0; e && i < e->n_sinks; i++)
        if (strcmp(e->sinks[i], sink) == 0 && e->state[i] == OUTBOX_PENDING) known = 1;
    if (!known) return 0;
    buf b = {0};
    enc_mark(&b, seq, sink, st, reason);
    int rc = append(ob, &b, 0);
    free(b.p);
    if (rc < 0) return -1;
    apply_mark(ob, seq, sink, st);
    if (ob->n_finished >= 64 && ob->n_finished * 2 >= ob->n && outbox_compact(ob) < 0)
        log_warn("outbox", "compaction failed, log kept: %s", ob->err);
    return 0;
}

static int write_all(int fd, const buf *b) {
    size_t done = 0;
    while (done < b->n) {
        ssize_t k = write(fd, b->p + done, b->n - done);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        done += (size_t)k;
    }
    return 0;
}

int outbox_compact(outbox *ob) {
    char *tmp = xasprintf("%s.tmp", ob->path);
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        set_err(ob, "%s: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    buf b = {0};
    int64_t size = 0;
    int bad = 0;
    for (int i = 0; i < ob->n && !bad; i++) {
        const outbox_entry *e = ob->entries[i];
        if (entry_finished(e)) continue;
        enc_entry(&b, e);
        bad = write_all(fd, &b) < 0;
        size += (int64_t)b.n;
        for (int s = 0; s < e->n_sinks && !bad; s++) {
            if (e->state[s] == OUTBOX_PENDING) continue;
            enc_mark(&b, e->seq, e->sinks[s], (enum outbox_state)e->state[s], NULL);
            bad = write_all(fd, &b) < 0;
            size += (int64_t)b.n;
        }
    }
    free(b.p);
    if (bad || fsync(fd) < 0 || rename(tmp, ob->path) < 0) {
        set_err(ob, "%s: compaction: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    char *dirpath = xstrdup(ob->path);
    int dfd = open(dirname(dirpath), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dirpath);
    close(ob->fd);
    ob->fd = fd; /* the rename made the temp file the log */
    ob->size = size;
    int k = 0;
    for (int i = 0; i < ob->n; i++) {
        if (entry_finished(ob->entries[i])) entry_free(ob->entries[i]);
        else ob->entries[k++] = ob->entries[i];
    }
    ob->n = k;
    ob->n_finished = 0;
    return 0;
}

int outbox_count(const outbox *ob) { return ob->n; }
const outbox_entry *outbox_entry_at(const outbox *ob, int i) { return i >= 0 && i < ob->n ? ob->entries[i] : NULL; }
int outbox_n_pending(const outbox *ob) { return ob->n - ob->n_finished; }
int64_t outbox_file_size(const outbox *ob) { return ob->size; }
const char *outbox_error(const outbox *ob) { return ob->err; }
