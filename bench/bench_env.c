/* bench_env — shared set-up of the end-to-end benchmarks; see bench_env.h. */
#include "bench/bench_env.h"

#include <cJSON.h>
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/demo_assets.h"
#include "ingest/decode.h"
#include "util/errmsg.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

extern char **environ;

#define DAY_MS 86400000LL

const char *bench_model_dir(const char *flag) {
    const char *dir = flag;
    if (!dir) dir = getenv("FINSENT_MODEL");
    if (!dir || !*dir) dir = "models/default";
    char *cfg = xasprintf("%s/config.json", dir);
    int ok = access(cfg, R_OK) == 0;
    free(cfg);
    return ok ? dir : NULL;
}

int bench_tmpdir(char *dir, size_t len) {
    snprintf(dir, len, "/tmp/finsent-bench.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

void bench_rmdir(const char *dir) {
    if (!dir || !dir[0]) return;
    char *cmd = xasprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "finsent bench: could not remove %s\n", dir);
    free(cmd);
}

int bench_write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    size_t n = strlen(text);
    int bad = fwrite(text, 1, n, f) != n;
    return fclose(f) != 0 || bad ? -1 : 0;
}

long bench_rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* ---- the message mix ---- */

typedef struct mix_msg {
    char *topic;
    char *rest; /* the payload object without id and ts, from its first member on ("}" when none) */
    int64_t ts_ms;
} mix_msg;

struct bench_mix {
    mix_msg *msgs;
    long n;
    int64_t span_days; /* whole days the feed covers, at least 1 */
};

bench_mix *bench_mix_new(void) {
    bench_mix *m = xcalloc(1, sizeof *m);
    size_t len;
    const char *feed = demo_feed(&len), *p = feed, *end = feed + len;
    ingest_options io = {0};
    int64_t first = INT64_MAX, last = INT64_MIN;
    long line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        cJSON *env = cJSON_ParseWithLength(p, n);
        const cJSON *topic = cJSON_GetObjectItemCaseSensitive(env, "topic");
        const cJSON *payload = cJSON_GetObjectItemCaseSensitive(env, "payload");
        if (cJSON_IsString(topic) && cJSON_IsString(payload)) {
            decode_msg dm = {payload->valuestring, strlen(payload->valuestring), topic->valuestring, 0, line, -1};
            decode_result res;
            event *e = decode_message(&io, NULL, &dm, &res);
            cJSON *obj = e ? cJSON_Parse(payload->valuestring) : NULL;
            if (obj) {
                cJSON_DeleteItemFromObjectCaseSensitive(obj, "id");
                cJSON_DeleteItemFromObjectCaseSensitive(obj, "ts");
                char *s = cJSON_PrintUnformatted(obj);
                m->msgs = xrealloc(m->msgs, sizeof *m->msgs * (size_t)(m->n + 1));
                m->msgs[m->n++] = (mix_msg){xstrdup(topic->valuestring), xstrdup(s + 1), e->ts_ms};
                if (e->ts_ms < first) first = e->ts_ms;
                if (e->ts_ms > last) last = e->ts_ms;
                free(s);
                cJSON_Delete(obj);
            }
            event_free(e);
        }
        cJSON_Delete(env);
        line++;
        p += n + 1;
    }
    m->span_days = m->n ? (last - first) / DAY_MS + 1 : 1;
    return m;
}

void bench_mix_free(bench_mix *m) {
    if (!m) return;
    for (long i = 0; i < m->n; i++) {
        free(m->msgs[i].topic);
        free(m->msgs[i].rest);
    }
    free(m->msgs);
    free(m);
}

long bench_mix_size(const bench_mix *m) { return m->n; }

char *bench_mix_payload(const bench_mix *m, long i, int64_t ts_ms, const char **topic) {
    const mix_msg *g = &m->msgs[i % m->n];
    *topic = g->topic;
    int64_t ts = ts_ms >= 0 ? ts_ms : g->ts_ms + (i / m->n) * m->span_days * DAY_MS;
    return xasprintf("{\"id\":\"bench-%ld\",\"ts\":%lld%s%s", i, (long long)ts, g->rest[0] == '}' ? "" : ",",
                     g->rest);
}

/* ---- the producer ---- */

struct bench_producer {
    rd_kafka_t *rk;
    long failed;
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque) {
    (void)rk;
    if (msg->err) ((bench_producer *)opaque)->failed++;
}

bench_producer *bench_producer_new(const char *brokers, int linger_ms, char *err, size_t errlen) {
    bench_producer *p = xcalloc(1, sizeof *p);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char kerr[256], linger[16];
    snprintf(linger, sizeof linger, "%d", linger_ms);
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, kerr, sizeof kerr) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "linger.ms", linger, kerr, sizeof kerr) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "queue.buffering.max.messages", "20000", kerr, sizeof kerr) != RD_KAFKA_CONF_OK) {
        err_set(err, errlen, "producer: %s", kerr);
        rd_kafka_conf_destroy(conf);
        free(p);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, p);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof kerr);
    if (!p->rk) {
        err_set(err, errlen, "producer: %s", kerr);
        free(p);
        return NULL;
    }
    return p;
}

int bench_produce(bench_producer *p, const char *topic, const char *payload) {
    rd_kafka_resp_err_t e;
    while ((e = rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE((void *)payload, strlen(payload)),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
           RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(p->rk, 10);
    rd_kafka_poll(p->rk, 0);
    return e ? -1 : 0;
}

long bench_producer_flush(bench_producer *p, int timeout_ms) {
    rd_kafka_flush(p->rk, timeout_ms);
    return p->failed + rd_kafka_outq_len(p->rk);
}

void bench_producer_free(bench_producer *p) {
    if (!p) return;
    rd_kafka_flush(p->rk, 1000);
    rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(p->rk, 100);
    rd_kafka_destroy(p->rk);
    free(p);
}

/* ---- a broker in a child process ---- */

int bench_spawn(char *const *argv, pid_t *pid, FILE **out, char *err, size_t errlen) {
    int fds[2];
    if (pipe(fds) < 0) {
        return err_set(err, errlen, "pipe: %s", strerror(errno));
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    int rc = posix_spawn(pid, "/proc/self/exe", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return err_set(err, errlen, "cannot start finsent %s: %s", argv[1], strerror(rc));
    }
    *out = fdopen(fds[0], "r");
    return 0;
}

void bench_child_stop(pid_t pid) {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

void bench_child_wait(pid_t pid) {
    if (pid > 0) waitpid(pid, NULL, 0);
}

int bench_broker_spawn(const char *const *topics, int n_topics, char *bs, size_t bslen, pid_t *pid, char *err,
                       size_t errlen) {
    char **argv = xcalloc((size_t)(2 * n_topics + 4), sizeof *argv);
    int k = 0;
    argv[k++] = xstrdup("finsent");
    argv[k++] = xstrdup("mock-broker");
    argv[k++] = xstrdup("--brokers=1");
    for (int i = 0; i < n_topics; i++) argv[k++] = xasprintf("--topic=%s", topics[i]);
    FILE *f = NULL;
    int rc = bench_spawn(argv, pid, &f, err, errlen);
    for (int i = 0; i < k; i++) free(argv[i]);
    free(argv);
    if (rc < 0) return -1;
    char line[512];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        if (strncmp(line, "bootstrap.servers=", 18) == 0) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(bs, bslen, "%s", line + 18);
            found = 1;
        }
    fclose(f);
    if (!found) {
        err_set(err, errlen, "finsent mock-broker did not print its bootstrap servers");
        bench_child_stop(*pid);
        return -1;
    }
    return 0;
}
