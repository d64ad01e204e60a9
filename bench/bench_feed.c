/* bench_feed — `finsent bench feed`: a load generator. Produces the
 * benchmarks' message mix (the demo feed's texts in cycles, bench_env.h)
 * to topics news and comments at a steady rate, for the pipeline soak (as
 * a child process, so that its buffers are not the pipeline's memory) or
 * against a `finsent run`. Prints what it produced when it ends (time up,
 * SIGINT or SIGTERM). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "app/commands.h"
#include "app/signals.h"
#include "bench/bench.h"
#include "bench/bench_env.h"
#include "util/timeutil.h"

static void usage(FILE *f) {
    fprintf(f, "usage: finsent bench feed --brokers HOST:PORT[,...] --rate R [--seconds S] [--first I]\n"
               "                          [--live-time] [--json]\n\n"
               "Produces the benchmarks' message mix (the demo feed's texts, new ids, event time\n"
               "moving on a simulated day per cycle, or the wall clock with --live-time) to\n"
               "topics news and comments at R messages/s for S seconds (default 60;\n"
               "SIGINT/SIGTERM stop it), then prints how many it produced and the rate.\n\n"
               "  --brokers LIST  bootstrap servers\n"
               "  --rate R        messages per second (1..1000000)\n"
               "  --seconds S     how long (default 60, at most 86400)\n"
               "  --first I       index of the first message (default 0)\n"
               "  --live-time     event time = the wall clock at produce time, as a live stream\n"
               "  --json          one JSON object\n\n"
               "example:\n  finsent bench feed --brokers 127.0.0.1:9092 --rate 2000 --seconds 30\n");
}

int bench_feed(int argc, char **argv) {
    static const struct option opts[] = {
        {"brokers", required_argument, NULL, 'b'}, {"rate", required_argument, NULL, 'r'},
        {"seconds", required_argument, NULL, 's'}, {"first", required_argument, NULL, 'i'},
        {"live-time", no_argument, NULL, 'l'},     {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *brokers = NULL;
    double rate = 0, seconds = 60;
    long first = 0;
    int json = 0, live = 0, c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'b': brokers = optarg; break;
        case 'r':
            rate = strtod(optarg, &end);
            if (*end || !(rate >= 1 && rate <= 1000000))
                return cli_usage_error("bench feed", "--rate: expected 1..1000000, got \"%s\"", optarg);
            break;
        case 's':
            seconds = strtod(optarg, &end);
            if (*end || !(seconds > 0 && seconds <= 86400))
                return cli_usage_error("bench feed", "--seconds: expected (0, 86400], got \"%s\"", optarg);
            break;
        case 'i':
            first = strtol(optarg, &end, 10);
            if (*end || first < 0) return cli_usage_error("bench feed", "--first: expected >= 0, got \"%s\"", optarg);
            break;
        case 'l': live = 1; break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("bench feed", "unknown option");
        }
    }
    if (optind < argc) return cli_usage_error("bench feed", "unexpected argument \"%s\"", argv[optind]);
    if (!brokers || rate <= 0) return cli_usage_error("bench feed", "--brokers and --rate are required");
    signals_install();
    char err[256];
    bench_producer *p = bench_producer_new(brokers, 5, err, sizeof err);
    if (!p) return cli_fail("bench feed", "%s", err);
    bench_mix *mix = bench_mix_new();
    double t0 = bench_now(), t = t0;
    long i = 0;
    int failed = 0;
    while (!signals_stop && !failed && (t = bench_now()) - t0 < seconds) {
        double target = (t - t0) * rate;
        while (i < target && !signals_stop) {
            const char *topic;
            char *payload = bench_mix_payload(mix, first + i, live ? time_now_ms() : -1, &topic);
            failed = bench_produce(p, topic, payload) < 0;
            free(payload);
            if (failed) break;
            i++;
        }
        usleep(2000);
    }
    long undelivered = bench_producer_flush(p, 5000);
    if (json)
        printf("{\"benchmark\":\"feed\",\"produced\":%ld,\"undelivered\":%ld,\"seconds\":%.3f,\"msgs_per_s\":%.1f}\n", i,
               undelivered, t - t0, t > t0 ? (double)i / (t - t0) : 0);
    else
        printf("produced %ld messages in %.3f s (%.1f/s), %ld undelivered\n", i, t - t0,
               t > t0 ? (double)i / (t - t0) : 0, undelivered);
    fflush(stdout);
    bench_producer_free(p);
    bench_mix_free(mix);
    return failed ? cli_fail("bench feed", "a produce call failed") : 0;
}
