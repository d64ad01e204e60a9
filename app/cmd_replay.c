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
#include "app/window_dump.h"
#include "app/wiring.h"
#include "util/timeutil.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: finsent replay --config FILE (--file FEED | --from TIME [--to TIME] | --from-offsets SPEC)\n"
            "                      [--speed max|1x|Nx] [--stream NAME] [--model DIR] [--outbox DIR] [--dry-run]\n\n"
            "Re-runs a recorded feed through the same pipeline as 'finsent run': the\n"
            "same messages give the same alerts, with the same ids. Alerts are\n"
            "delivered to the configured sinks (through the outbox) unless --dry-run,\n"
            "and each alert is also printed on stdout as one JSON line.\n\n"
            "  --config FILE   the service config (rules, windows, sinks, model)\n"
            "  --file FEED     JSON lines: kcat -J envelopes {\"topic\",\"payload\",...}\n"
            "                  or bare messages (of --stream's input); '-' reads stdin;\n"
            "                  a .csv file: a header row of field names (id, ts, title,\n"
            "                  body, text, source, tickers), one message per row\n"
            "  --speed S       max (default): as fast as possible; 1x: event time in\n"
            "                  real time; Nx: N times faster (e.g. 60x)\n"
            "  --stream NAME   the input (topic or stream) bare messages belong to\n"
            "                  (default: the first input)\n"
            "  --model DIR     override model.dir\n"
            "  --outbox DIR    override outbox.dir (keep a replay's outbox apart)\n"
            "  --dry-run       deliver nothing; only print the alerts\n"
            "  --dump-windows FILE  append every closed window to FILE (key, start,\n"
            "                  end, counts; tab-separated) to compare runs\n\n"
            "  --from TIME     replay the input topics' messages whose Kafka timestamp\n"
            "                  is at or after TIME (RFC 3339 or epoch ms) ...\n"
            "  --to TIME       ... and before TIME (default: up to the end at start)\n"
            "  --from-offsets SPEC  replay from topic:partition:offset[,...] up to the\n"
            "                  end at start (partitions not named are not read)\n"
            "Kafka history is read without a consumer group and commits nothing.\n\n"
            "examples:\n"
            "  finsent replay --config configs/finsent.json --file app/demo/feed.jsonl --dry-run\n"
            "  finsent replay --config configs/finsent.json --from 2026-03-02T09:00:00Z --to 2026-03-02T12:00:00Z\n");
}

int cmd_replay(int argc, char **argv) {
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"file", required_argument, NULL, 'f'},
        {"speed", required_argument, NULL, 's'},  {"stream", required_argument, NULL, 'S'},
        {"model", required_argument, NULL, 'm'},  {"outbox", required_argument, NULL, 'o'},
        {"dry-run", no_argument, NULL, 'n'},      {"from", required_argument, NULL, 'F'},
        {"to", required_argument, NULL, 'T'},     {"from-offsets", required_argument, NULL, 'O'},
        {"dump-windows", required_argument, NULL, 'W'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    replay_args ra = {.speed = 0, .to_ms = -1};
    int has_to = 0;
    const char *dump_path = NULL;
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
            if (time_parse(optarg, &ra.from_ms) < 0)
                return cli_usage_error("replay", "--from: expected RFC 3339 or epoch ms, got \"%s\"", optarg);
            ra.has_from = 1;
            break;
        case 'T':
            if (time_parse(optarg, &ra.to_ms) < 0)
                return cli_usage_error("replay", "--to: expected RFC 3339 or epoch ms, got \"%s\"", optarg);
            has_to = 1;
            break;
        case 'O': ra.offsets = optarg; break;
        case 'W': dump_path = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("replay", "unknown option");
        }
    }
    if (optind < argc) return cli_usage_error("replay", "unexpected argument \"%s\"", argv[optind]);
    if (!ra.config) return cli_usage_error("replay", "--config FILE is required");
    if (has_to && !ra.has_from) return cli_usage_error("replay", "--to needs --from");
    int sources = (ra.file != NULL) + ra.has_from + (ra.offsets != NULL);
    if (sources != 1) return cli_usage_error("replay", "give exactly one of --file, --from or --from-offsets");
    if (has_to && ra.to_ms <= ra.from_ms) return cli_usage_error("replay", "--to must be after --from");
    if (!dump_path) return replay_run("replay", &ra, NULL, NULL);
    char err[512];
    window_dump *d = window_dump_open(dump_path, err, sizeof err);
    if (!d) return cli_usage_error("replay", "--dump-windows: %s", err);
    alerts_observer obs = window_dump_observer(d);
    int rc = replay_run("replay", &ra, &obs, NULL);
    window_dump_close(d);
    return rc;
}
