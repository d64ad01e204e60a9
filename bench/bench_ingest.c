/* bench_ingest — consume + decode throughput against kcat's raw rate.
 *
 * An in-process mock cluster (loopback TCP) gets N realistic news messages
 * (~400 bytes: title, body with cashtags, source, entities) over at least 6
 * partitions (more for large N: the mock keeps ~5 MB per partition). Then, in the same run,
 * for each of R rounds, one right after the other:
 *   - kcat -C -o beginning -c N -q reads the topic into a pipe we count;
 *   - finsent's consumer group (ingest_open / ingest_poll / ingest_ack, a
 *     new group each round) reads and decodes it, acknowledging each event
 *     at once.
 * Both rates are measured the same way, from the first message to the
 * n-th, (n - 1) / seconds: kcat's when the n-th message's line arrives in
 * the pipe, finsent's when the n-th event is polled, so neither counts
 * process start, the group join or (kcat's) shutdown. A round's ratio is finsent's
 * rate over kcat's in that round; `ratio` is the median over the rounds
 * (on a shared machine a burst of other work hits one read and not the
 * other: pairing adjacent reads and taking the median keeps one such
 * burst, or one of kcat's fetch stalls, from deciding the figure). The
 * best rate of each side is printed too, and the decoder alone on the
 * same payloads. */
#include "bench/bench_ingest.h"

#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/commands.h"
#include "bench/bench.h"
#include "ingest/consumer.h"
#include "ingest/decode.h"
#include "ingest/mock_cluster.h"
#include "util/errmsg.h"
#include "util/json_arena.h"
#include "util/log.h"
#include "util/xalloc.h"

#define TOPIC "bench"
#define WAIT_S 120.0
/* The 2.0 mock cluster keeps about 5 MB per partition and drops older
 * segments: spread the topic so that every partition stays under 4 MB. */
#define PARTITION_BYTES (4 << 20)
#define MESSAGE_BYTES 450
#define MAX_ROUNDS 20

static void usage(FILE *f) {
    fprintf(f, "usage: finsent bench ingest [--messages N] [--rounds R] [--json]\n\n"
               "Messages per second consumed and decoded from librdkafka's mock cluster\n"
               "(loopback TCP), next to kcat's raw consume rate of the same topic measured\n"
               "in the same run, R times in turn; ratio = the median over the rounds of\n"
               "finsent / kcat (target >= 0.5). Needs kcat.\n\n"
               "  --messages N  messages in the topic (default 200000)\n"
               "  --rounds R    kcat and finsent reads, in turn (default 3, at most 20)\n"
               "  --json        print one JSON object\n\n"
               "example: finsent bench ingest --messages 100000 --rounds 5 --json\n");
}

static char *payload(long i) {
    static const char *const tick[] = {"AAPL", "MSFT", "GS", "TSLA", "BRK.B", "JPM", "XOM", "NVDA"};
    return xasprintf("{\"id\":\"n%ld\",\"ts\":\"2024-05-01T12:%02ld:%02ld.%03ldZ\",\"title\":\"%s shares move after "
                     "quarterly results\",\"body\":\"Shares of $%s fell %ld.%ld%% in early trading after the company "
                     "reported revenue below estimates and cut its outlook; analysts at Goldman Sachs said the "
                     "guidance was conservative.\",\"source\":\"newswire\",\"entities\":[\"%s\",\"%s\"]}",
                     i, (i / 60000) % 60, (i / 1000) % 60, i % 1000, tick[i % 8], tick[i % 8], i % 9, i % 10,
                     tick[i % 8], tick[(i + 3) % 8]);
}

static void delivered(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    if (m->err) (*(long *)opaque)++;
}

static int produce(const char *bs, long n, int partitions) {
    long failed = 0;
    char e[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, e, sizeof e);
    rd_kafka_conf_set(conf, "linger.ms", "20", e, sizeof e);
    rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", e, sizeof e);
    rd_kafka_conf_set_dr_msg_cb(conf, delivered);
    rd_kafka_conf_set_opaque(conf, &failed);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!p) return -1;
    for (long i = 0; i < n; i++) {
        char *v = payload(i);
        while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_PARTITION((int32_t)(i % partitions)),
                                 RD_KAFKA_V_VALUE(v, strlen(v)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(p, 10);
        free(v);
    }
    int rc = rd_kafka_flush(p, 60000) ? -1 : 0;
    rd_kafka_poll(p, 0);
    if (failed) rc = -1;
    rd_kafka_destroy(p);
    return rc;
}

/* kcat's rate from its first output byte to the end of the n-th message's
 * line (its shutdown after that is not counted); -1 on failure. */
static double kcat_rate(const char *bs, long n, double *secs) {
    /* -c N: exits at exactly the N-th message (and fails the check if the
     * topic holds fewer), bounded by timeout */
    char *cmd = xasprintf("timeout %d kcat -C -q -b %s -t %s -o beginning -c %ld 2>/dev/null", (int)WAIT_S, bs, TOPIC, n);
    FILE *f = popen(cmd, "r");
    free(cmd);
    if (!f) return -1;
    char buf[1 << 16];
    ssize_t k;
    long lines = 0;
    double t0 = 0, t1 = 0;
    /* read(2), not fread: a read returns what the pipe holds now, so the
     * n-th line is timed when it arrives, not when a buffer fills */
    while ((k = read(fileno(f), buf, sizeof buf)) > 0) {
        double now = bench_now();
        if (t0 == 0) t0 = now;
        for (ssize_t i = 0; i < k; i++) lines += buf[i] == '\n';
        if (lines >= n && t1 == 0) t1 = now; /* the n-th message is in */
    }
    if (pclose(f) != 0 || lines != n) return -1;
    *secs = t1 - t0;
    return (double)(n - 1) / *secs;
}

/* finsent's consume+decode rate from the first event to the n-th. */
static double ingest_rate(const char *bs, long n, int round, double *secs, char *err, size_t errlen) {
    ingest_options o = {0};
    ingest_options_set_kafka(&o, "bootstrap.servers", bs);
    o.group_id = xasprintf("bench-ingest-%d", round); /* a new group reads from the start */
    ingest_options_add_input(&o, TOPIC, "news");
    ingest_options_add_watch(&o, "Goldman Sachs", "GS");
    ingest_consumer *c = ingest_open(&o, err, errlen);
    if (!c) {
        ingest_options_free(&o);
        return -1;
    }
    long got = 0;
    double t0 = 0, start = bench_now();
    while (got < n && bench_now() - start < WAIT_S) {
        event *e = ingest_poll(c, 100);
        if (!e) continue;
        if (got++ == 0) t0 = bench_now();
        ingest_ack(c, e);
        event_free(e);
    }
    double t1 = bench_now();
    ingest_close(c, 5000);
    ingest_options_free(&o);
    if (got < n) {
        return err_set(err, errlen, "only %ld of %ld messages within %.0f s", got, n, WAIT_S);
    }
    *secs = t1 - t0;
    return (double)(n - 1) / *secs;
}

/* The decoder alone over the same payloads (in memory), with the JSON
 * arena on as the decode pool runs it. */
static double decode_rate(long n) {
    long m = n < 50000 ? n : 50000;
    char **p = xmalloc(sizeof *p * (size_t)m);
    for (long i = 0; i < m; i++) p[i] = payload(i);
    ingest_options o = {0};
    ingest_options_add_watch(&o, "Goldman Sachs", "GS");
    double t0 = bench_now();
    for (long i = 0; i < m; i++) {
        decode_msg dm = {.payload = p[i], .len = strlen(p[i]), .topic = TOPIC, .offset = i, .timestamp_ms = 0};
        decode_result r;
        json_arena_begin();
        event *e = decode_message(&o, NULL, &dm, &r);
        json_arena_end();
        event_free(e);
    }
    double secs = bench_now() - t0;
    for (long i = 0; i < m; i++) free(p[i]);
    free(p);
    ingest_options_free(&o);
    return (double)m / secs;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n) (n >= 1; the mean of the middle two when n is even). */
static double median(const double *v, int n) {
    double s[MAX_ROUNDS];
    memcpy(s, v, sizeof *s * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

int bench_ingest(int argc, char **argv) {
    static const struct option opts[] = {
        {"messages", required_argument, NULL, 'n'},
        {"rounds", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long n = 200000;
    int json = 0, rounds = 3, c;
    while ((c = getopt_long(argc, argv, "n:r:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'n': {
            char *end;
            n = strtol(optarg, &end, 10);
            if (*end || n < 100 || n > 100000000)
                return cli_usage_error("bench ingest", "--messages: expected 100..100000000, got \"%s\"", optarg);
            break;
        }
        case 'r': {
            char *end;
            long r = strtol(optarg, &end, 10);
            if (*end || r < 1 || r > MAX_ROUNDS)
                return cli_usage_error("bench ingest", "--rounds: expected 1..%d, got \"%s\"", MAX_ROUNDS, optarg);
            rounds = (int)r;
            break;
        }
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("bench ingest", "unknown option");
        }
    }
    if (optind < argc) return cli_usage_error("bench ingest", "unexpected argument \"%s\"", argv[optind]);
    if (system("command -v kcat >/dev/null 2>&1") != 0) return cli_fail("bench ingest", "kcat is not installed");
    enum log_level saved = log_get_level();
    log_set_level(LOG_ERROR);
    char err[256];
    ingest_mock *m = ingest_mock_new(1, err, sizeof err);
    if (!m) return cli_fail("bench ingest", "%s", err);
    const char *bs = ingest_mock_bootstraps(m);
    int rc = 0;
    double ksecs[MAX_ROUNDS], isecs[MAX_ROUNDS], krate[MAX_ROUNDS], irate[MAX_ROUNDS], ratio[MAX_ROUNDS];
    int partitions = (int)(n * MESSAGE_BYTES / PARTITION_BYTES) + 1;
    if (partitions < 6) partitions = 6;
    if (ingest_mock_topic(m, TOPIC, partitions) || produce(bs, n, partitions))
        rc = cli_fail("bench ingest", "could not fill the mock cluster");
    for (int r = 0; r < rounds && !rc; r++) {
        if ((krate[r] = kcat_rate(bs, n, &ksecs[r])) < 0)
            rc = cli_fail("bench ingest", "kcat did not read the %ld messages", n);
        else if ((irate[r] = ingest_rate(bs, n, r, &isecs[r], err, sizeof err)) < 0)
            rc = cli_fail("bench ingest", "%s", err);
        else
            ratio[r] = irate[r] / krate[r];
    }
    ingest_mock_free(m);
    log_set_level(saved);
    if (rc) return rc;
    double drate = decode_rate(n);
    int ib = 0, kb = 0;
    for (int r = 1; r < rounds; r++) {
        if (irate[r] > irate[ib]) ib = r;
        if (krate[r] > krate[kb]) kb = r;
    }
    double med = median(ratio, rounds);
    if (json) {
        printf("{\"bench\":\"ingest\",\"messages\":%ld,\"partitions\":%d,\"rounds\":%d,\"ratio\":%.3f,"
               "\"ingest_msgs_per_s\":%.0f,\"kcat_msgs_per_s\":%.0f,\"ratio_of_best\":%.3f,"
               "\"decode_only_msgs_per_s\":%.0f,\"per_round\":[",
               n, partitions, rounds, med, irate[ib], krate[kb], irate[ib] / krate[kb], drate);
        for (int r = 0; r < rounds; r++)
            printf("%s{\"ingest_msgs_per_s\":%.0f,\"ingest_seconds\":%.3f,\"kcat_msgs_per_s\":%.0f,"
                   "\"kcat_seconds\":%.3f,\"ratio\":%.3f}",
                   r ? "," : "", irate[r], isecs[r], krate[r], ksecs[r], ratio[r]);
        printf("]}\n");
    } else {
        printf("messages          %ld over %d partitions (mock cluster, loopback TCP), %d rounds\n", n, partitions,
               rounds);
        for (int r = 0; r < rounds; r++)
            printf("round %-2d          finsent %.0f msgs/s (%.3f s), kcat %.0f msgs/s (%.3f s), ratio %.3f\n", r + 1,
                   irate[r], isecs[r], krate[r], ksecs[r], ratio[r]);
        printf("finsent ingest    %.0f msgs/s at best (consume, decode, ack)\n"
               "kcat -C           %.0f msgs/s at best (raw consume)\n"
               "decode only       %.0f msgs/s (in memory)\n"
               "ratio             %.3f (median over the rounds of finsent / kcat; target >= 0.5)\n",
               irate[ib], krate[kb], drate, med);
    }
    return 0;
}
