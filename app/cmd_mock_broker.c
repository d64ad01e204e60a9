/* cmd_mock_broker — `finsent mock-broker`: a standalone Kafka-protocol
 * cluster (librdkafka's mock cluster) on loopback for trying and testing.
 * Prints "bootstrap.servers=HOST:PORT,..." on stdout and runs until
 * SIGINT or SIGTERM. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/commands.h"
#include "ingest/mock_cluster.h"
#include "util/xalloc.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: finsent mock-broker [--brokers N] [--topic NAME:PARTITIONS ...]\n\n"
            "Runs librdkafka's mock Kafka cluster on 127.0.0.1, prints one line\n"
            "  bootstrap.servers=127.0.0.1:PORT,...\n"
            "on stdout and serves until SIGINT or SIGTERM. Data lives in memory only.\n\n"
            "options:\n"
            "  --brokers N               number of brokers, 1..16 (default 3)\n"
            "  --topic NAME:PARTITIONS   create a topic (repeatable); others are auto-created\n"
            "  -h, --help                this text\n\n"
            "example:\n"
            "  finsent mock-broker --topic news:6 --topic comments:6 &\n"
            "  echo '1:{\"id\":\"1\",\"text\":\"$AAPL up\"}' | kcat -P -b 127.0.0.1:PORT -t news -K:\n");
}

/* Parses "NAME:PARTITIONS"; returns the partition count or -1. */
static int parse_topic(char *spec, char **name) {
    char *colon = strrchr(spec, ':');
    if (!colon || colon == spec) return -1;
    char *end;
    long n = strtol(colon + 1, &end, 10);
    if (*end || colon[1] == '\0' || n < 1 || n > 10000) return -1;
    *colon = '\0';
    *name = spec;
    return (int)n;
}

int cmd_mock_broker(int argc, char **argv) {
    static const struct option opts[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int brokers = 3;
    char **topics = NULL;
    int n_topics = 0;
    int c;
    while ((c = getopt_long(argc, argv, "b:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 16) {
                free(topics);
                return cli_usage_error("mock-broker", "--brokers: expected 1..16, got \"%s\"", optarg);
            }
            brokers = (int)v;
            break;
        }
        case 't':
            topics = xrealloc(topics, sizeof *topics * (size_t)(n_topics + 1));
            topics[n_topics++] = optarg;
            break;
        case 'h': usage(stdout); free(topics); return 0;
        default: free(topics); return cli_usage_error("mock-broker", "unknown option");
        }
    }
    if (optind < argc) {
        free(topics);
        return cli_usage_error("mock-broker", "unexpected argument \"%s\"", argv[optind]);
    }
    int *parts = xcalloc((size_t)n_topics + 1, sizeof *parts);
    char **names = xcalloc((size_t)n_topics + 1, sizeof *names);
    int rc = 0;
    for (int i = 0; i < n_topics && rc == 0; i++) {
        char *spec = topics[i];
        char *copy = xstrdup(spec);
        parts[i] = parse_topic(copy, &names[i]);
        if (parts[i] < 0) rc = cli_usage_error("mock-broker", "--topic: expected NAME:PARTITIONS, got \"%s\"", spec);
        else names[i] = xstrdup(names[i]);
        free(copy);
        if (rc) names[i] = NULL;
    }
    char err[256];
    ingest_mock *m = rc ? NULL : ingest_mock_new(brokers, err, sizeof err);
    if (!rc && !m) rc = cli_fail("mock-broker", "%s", err);
    for (int i = 0; i < n_topics && m && !rc; i++)
        if (ingest_mock_topic(m, names[i], parts[i]))
            rc = cli_fail("mock-broker", "could not create topic \"%s\"", names[i]);
    if (!rc) {
        struct sigaction sa = {.sa_handler = on_signal};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        printf("bootstrap.servers=%s\n", ingest_mock_bootstraps(m));
        fflush(stdout);
        while (!stop_requested) {
            struct timespec ts = {0, 100 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    ingest_mock_free(m);
    for (int i = 0; i < n_topics; i++) free(names[i]);
    free(names);
    free(parts);
    free(topics);
    return rc;
}
