/* cmd_replay — `finsent replay`: re-runs a recorded feed through the same
 * pipeline as `finsent run` (decode, classify, windows, rules, outbox,
 * sinks), so the same input gives the same alerts as live. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/payload.h"
#include "app/commands.h"
#include "app/replay_common.h"
#include "app/service.h"
#include "app/signals.h"
#include "app/sources.h"
#include "app/wiring.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: finsent replay --config FILE --file FEED [--speed max|1x|Nx] [--stream NAME]\n"
            "                      [--model DIR] [--outbox DIR] [--dry-run]\n\n"
            "Re-runs a recorded feed through the same pipeline as 'finsent run': the\n"
            "same messages give the same alerts, with the same ids. Alerts are\n"
            "delivered to the configured sinks (through the outbox) unless --dry-run,\n"
            "and each alert is also printed on stdout as one JSON line.\n\n"
            "  --config FILE   the service config (rules, windows, sinks, model)\n"
            "  --file FEED     JSON lines: kcat -J envelopes {\"topic\",\"payload\",...}\n"
            "                  or bare messages (of --stream's input); '-' reads stdin\n"
            "  --speed S       max (default): as fast as possible; 1x: event time in\n"
            "                  real time; Nx: N times faster (e.g. 60x)\n"
            "  --stream NAME   the input (topic or stream) bare messages belong to\n"
            "                  (default: the first input)\n"
            "  --model DIR     override model.dir\n"
            "  --outbox DIR    override outbox.dir (keep a replay's outbox apart)\n"
            "  --dry-run       deliver nothing; only print the alerts\n\n"
            "Replaying from Kafka (--from TIME [--to TIME], --from-offsets) is not built\n"
            "yet (see README, Limits).\n\n"
            "example:\n"
            "  finsent replay --config configs/finsent.json --file app/demo/feed.jsonl --dry-run\n");
}

int cmd_replay(int argc, char **argv) {
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"file", required_argument, NULL, 'f'},
        {"speed", required_argument, NULL, 's'},  {"stream", required_argument, NULL, 'S'},
        {"model", required_argument, NULL, 'm'},  {"outbox", required_argument, NULL, 'o'},
        {"dry-run", no_argument, NULL, 'n'},      {"from", required_argument, NULL, 'F'},
        {"to", required_argument, NULL, 'T'},     {"from-offsets", required_argument, NULL, 'O'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    replay_args ra = {.speed = 0};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': ra.config = optarg; break;
        case 'f': ra.file = optarg; break;
        case 's':
            if (replay_parse_speed(optarg, &ra.speed) < 0)
                return cli_usage_error("replay", "--speed: expected max, 1x or Nx (e.g. 60x), got \"%s\"", optarg);
            break;
        case 'S': ra.stream = optarg; break;
        case 'm': ra.model = optarg; break;
        case 'o': ra.outbox = optarg; break;
        case 'n': ra.dry_run = 1; break;
        case 'F':
        case 'T':
        case 'O':
            fprintf(stderr, "finsent replay: replaying from Kafka (--from, --to, --from-offsets) is not built yet "
                            "(see README, Limits)\n");
            return 2;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("replay", "unknown option");
        }
    }
    if (optind < argc) return cli_usage_error("replay", "unexpected argument \"%s\"", argv[optind]);
    if (!ra.config) return cli_usage_error("replay", "--config FILE is required");
    if (!ra.file) return cli_usage_error("replay", "--file FEED is required");
    return replay_run("replay", &ra, NULL, NULL);
}
