/* checkpoint — the snapshot directory: lock, atomic writes on a writer
 * thread, validated reads with a fallback; see checkpoint.h. */
#include "app/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/codec.h"
#include "util/crashpoint.h"
#include "util/errmsg.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define MAGIC "FSCKPT\r\n"
#define HEADER_BYTES 32 /* magic 8, format 4, reserved 4, seq 8, length 8 */
#define HASH_BYTES 32
#define MAX_FILE_BYTES ((uint64_t)8 << 30)

struct ckpt_store {
    char *dir, *path, *prev, *tmp;
    int lock_fd;
    pthread_t writer;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* the job: set by ckpt_submit, taken by the writer (under mu) */
    unsigned char *job;
    size_t job_len;
    uint64_t job_seq;
    int busy, stop;
    uint64_t durable;
    ckpt_stats stats;
    int failing; /* the last write failed: the next failure is not logged again */
};

static void sha256(const void *a, size_t na, const void *b, size_t nb, unsigned char out[HASH_BYTES]) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, a, na);
    EVP_DigestUpdate(ctx, b, nb);
    EVP_DigestFinal_ex(ctx, out, &n);
    EVP_MD_CTX_free(ctx);
}

static void header(unsigned char h[HEADER_BYTES], uint64_t seq, uint64_t len) {
    cw w;
    cw_init(&w);
    cw_bytes(&w, MAGIC, 8);
    cw_u32(&w, CKPT_FORMAT);
    cw_u32(&w, 0);
    cw_u64(&w, seq);
    cw_u64(&w, len);
    memcpy(h, w.buf, HEADER_BYTES);
    cw_free(&w);
}

int ckpt_parse(const unsigned char *data, size_t n, const unsigned char **payload, size_t *len, uint64_t *seq,
               char *err, size_t errlen) {
    if (n < HEADER_BYTES + HASH_BYTES) return err_set(err, errlen, "truncated (%zu bytes)", n);
    if (memcmp(data, MAGIC, 8) != 0) return err_set(err, errlen, "not a finsent checkpoint");
    cr r;
    cr_init(&r, data + 8, HEADER_BYTES - 8);
    uint32_t format = cr_u32(&r);
    cr_u32(&r);
    uint64_t s = cr_u64(&r), l = cr_u64(&r);
    if (format != CKPT_FORMAT)
        return err_set(err, errlen, "written in checkpoint format %u; this finsent reads format %d", format,
                       CKPT_FORMAT);
    if (l != n - HEADER_BYTES - HASH_BYTES)
        return err_set(err, errlen, "truncated or padded: the header says %llu payload bytes, the file holds %zu",
                       (unsigned long long)l, n - HEADER_BYTES - HASH_BYTES);
    unsigned char h[HASH_BYTES];
    sha256(data, HEADER_BYTES, data + HEADER_BYTES, (size_t)l, h);
    if (memcmp(h, data + HEADER_BYTES + l, HASH_BYTES) != 0) return err_set(err, errlen, "checksum mismatch (corrupt)");
    *payload = data + HEADER_BYTES;
    *len = (size_t)l;
    *seq = s;
    return 0;
}

/* Reads and checks one snapshot file: 1 with a copy of its payload, 0 when
 * it does not exist, -1 with the problem in err. */
static int read_file(const char *path, unsigned char **payload, size_t *len, uint64_t *seq, char *err, size_t errlen) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : err_set(err, errlen, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || (uint64_t)st.st_size > MAX_FILE_BYTES) {
        close(fd);
        return err_set(err, errlen, "%s: cannot size it or larger than 8 GiB", path);
    }
    size_t n = (size_t)st.st_size, got = 0;
    unsigned char *data = xmalloc(n ? n : 1);
    while (got < n) {
        ssize_t k = read(fd, data + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fd);
    const unsigned char *p;
    char why[256];
    int rc = got == n ? ckpt_parse(data, n, &p, len, seq, why, sizeof why) : err_set(why, sizeof why, "read error");
    if (rc < 0) {
        free(data);
        return err_set(err, errlen, "%s: %s", path, why);
    }
    *payload = xmalloc(*len ? *len : 1);
    memcpy(*payload, p, *len);
    free(data);
    return 1;
}

int ckpt_read(ckpt_store *s, unsigned char **payload, size_t *len, uint64_t *seq, char *err, size_t errlen) {
    char e1[512] = "", e2[512] = "";
    int rc = read_file(s->path, payload, len, seq, e1, sizeof e1);
    if (rc == 1) return 1;
    int rc2 = read_file(s->prev, payload, len, seq, e2, sizeof e2);
    if (rc2 == 1) {
        if (rc < 0)
            log_warn("checkpoint", "%s; restoring the previous snapshot %s (seq %llu): messages after it are read "
                     "again, and alerts they fire are sent again with their ids", e1, s->prev,
                     (unsigned long long)*seq);
        return 1;
    }
    if (rc == 0 && rc2 == 0) return 0;
    if (rc < 0 && rc2 < 0) return err_set(err, errlen, "%s; %s", e1, e2);
    return err_set(err, errlen, "%s", rc < 0 ? e1 : e2);
}

static int write_all(int fd, const void *p, size_t n) {
    const unsigned char *b = p;
    while (n > 0) {
        ssize_t k = write(fd, b, n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Writes one snapshot file and moves it into place; 0 or -1 with err. */
static int write_snapshot(ckpt_store *s, const unsigned char *payload, size_t len, uint64_t seq, char *err,
                          size_t errlen) {
    unsigned char h[HEADER_BYTES], hash[HASH_BYTES];
    header(h, seq, len);
    sha256(h, HEADER_BYTES, payload, len, hash);
    int fd = open(s->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return err_set(err, errlen, "%s: %s", s->tmp, strerror(errno));
    size_t half = len / 2;
    int bad = write_all(fd, h, HEADER_BYTES) < 0 || write_all(fd, payload, half) < 0;
    if (!bad) crashpoint("checkpoint-write");
    bad = bad || write_all(fd, payload + half, len - half) < 0 || write_all(fd, hash, HASH_BYTES) < 0 ||
          fsync(fd) < 0;
    int e = errno;
    if (close(fd) < 0 && !bad) bad = 1, e = errno;
    if (bad) {
        unlink(s->tmp);
        return err_set(err, errlen, "%s: %s", s->tmp, strerror(e));
    }
    if (rename(s->path, s->prev) < 0 && errno != ENOENT)
        return err_set(err, errlen, "rename %s: %s", s->path, strerror(errno));
    crashpoint("checkpoint-swap"); /* the newest is state.prev.ckpt, state.ckpt missing */
    if (rename(s->tmp, s->path) < 0) return err_set(err, errlen, "rename %s: %s", s->tmp, strerror(errno));
    crashpoint("checkpoint-renamed"); /* in place, its offsets not acknowledged yet */
    int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) < 0) {
        e = errno;
        if (dfd >= 0) close(dfd);
        return err_set(err, errlen, "%s: fsync of the directory: %s", s->dir, strerror(e));
    }
    close(dfd);
    return 0;
}

static void *writer_main(void *arg) {
    ckpt_store *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->job && !s->stop) pthread_cond_wait(&s->cv, &s->mu);
        if (!s->job) break;
        unsigned char *p = s->job;
        size_t n = s->job_len;
        uint64_t seq = s->job_seq;
        pthread_mutex_unlock(&s->mu);
        char err[512];
        int64_t t0 = time_mono_ns();
        int rc = write_snapshot(s, p, n, seq, err, sizeof err);
        double secs = (double)(time_mono_ns() - t0) / 1e9;
        free(p);
        pthread_mutex_lock(&s->mu);
        if (rc == 0) {
            if (s->failing) log_warn("checkpoint", "snapshots written again (seq %llu)", (unsigned long long)seq);
            s->failing = 0;
            s->durable = seq;
            s->stats.written++;
            s->stats.last_bytes = (int64_t)(n + HEADER_BYTES + HASH_BYTES);
            s->stats.last_seconds = secs;
        } else {
            if (!s->failing)
                log_error("checkpoint", "snapshot %llu not written: %s; offsets are not committed past the last "
                          "durable snapshot until one is written (retrying)", (unsigned long long)seq, err);
            s->failing = 1;
            s->stats.failed++;
        }
        s->job = NULL;
        s->busy = 0;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Locks dir/LOCK; -1 with err naming the holder when another has it. */
static int lock_dir(ckpt_store *s, char *err, size_t errlen) {
    char *path = xasprintf("%s/LOCK", s->dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        err_set(err, errlen, "state.dir: %s: %s", path, strerror(errno));
        free(path);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        char pid[32] = "";
        ssize_t k = pread(fd, pid, sizeof pid - 1, 0);
        pid[k > 0 ? k : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        err_set(err, errlen, "state.dir: %s is in use by another finsent process%s%s%s (one process per state "
                "directory)", s->dir, pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
        close(fd);
        free(path);
        return -1;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) < 0)
        log_warn("checkpoint", "%s: cannot write the pid: %s", path, strerror(errno));
    free(path);
    s->lock_fd = fd;
    return 0;
}

ckpt_store *ckpt_open(const char *dir, char *err, size_t errlen) {
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        err_set(err, errlen, "state.dir: cannot create %s: %s", dir, strerror(errno));
        return NULL;
    }
    ckpt_store *s = xcalloc(1, sizeof *s);
    s->dir = xstrdup(dir);
    s->lock_fd = -1;
    if (lock_dir(s, err, errlen) < 0) {
        free(s->dir);
        free(s);
        return NULL;
    }
    s->path = xasprintf("%s/state.ckpt", dir);
    s->prev = xasprintf("%s/state.prev.ckpt", dir);
    s->tmp = xasprintf("%s/state.ckpt.tmp", dir);
    unlink(s->tmp); /* a write cut by a crash */
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_create(&s->writer, NULL, writer_main, s);
    return s;
}

int ckpt_submit(ckpt_store *s, unsigned char *payload, size_t len, uint64_t seq) {
    pthread_mutex_lock(&s->mu);
    int busy = s->busy;
    if (!busy) {
        s->job = payload;
        s->job_len = len;
        s->job_seq = seq;
        s->busy = 1;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return busy;
}

uint64_t ckpt_durable(ckpt_store *s) {
    pthread_mutex_lock(&s->mu);
    uint64_t d = s->durable;
    pthread_mutex_unlock(&s->mu);
    return d;
}

ckpt_stats ckpt_get_stats(ckpt_store *s) {
    pthread_mutex_lock(&s->mu);
    ckpt_stats st = s->stats;
    pthread_mutex_unlock(&s->mu);
    return st;
}

void ckpt_close(ckpt_store *s, int timeout_ms) {
    if (!s) return;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) until.tv_sec++, until.tv_nsec -= 1000000000;
    pthread_mutex_lock(&s->mu);
    while (s->busy && pthread_cond_timedwait(&s->cv, &s->mu, &until) == 0) {}
    if (s->busy) log_warn("checkpoint", "closing while a snapshot is still being written; it is finished first");
    s->stop = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->writer, NULL);
    free(s->job);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    if (s->lock_fd >= 0) close(s->lock_fd); /* releases the flock */
    free(s->dir);
    free(s->path);
    free(s->prev);
    free(s->tmp);
    free(s);
}
