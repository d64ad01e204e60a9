/* cmd_run — `finsent run`: the service. With --role all (the default) one
 * process consumes the configured topics, classifies, aggregates, alerts;
 * offsets are committed only for events whose windows have closed and
 * whose alerts are in the outbox. --role classify and --role aggregate
 * split that over a scored topic (app/run_roles.h). Serves /metrics,
 * /healthz and /readyz; drains and commits on SIGINT/SIGTERM. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/commands.h"
#include "app/run_roles.h"
#include "app/window_dump.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: finsent run --config FILE [--role all|classify|aggregate] [--instance I]\n"
            "                   [--model DIR] [--outbox DIR] [--dump-windows FILE] [--reset-state]\n\n"
            "The service: consumes the configured Kafka topics in a consumer group,\n"
            "classifies each message (topic and sentiment), aggregates over event-time\n"
            "windows per entity and topic, and delivers alerts through the durable\n"
            "outbox to the configured sinks. Offsets are committed only for messages\n"
            "whose windows have closed and whose alerts are durable. Serves Prometheus\n"
            "metrics, /healthz and /readyz on metrics.listen. SIGINT/SIGTERM drain and\n"
            "commit; a second signal exits at once. SIGHUP re-reads FILE and applies its\n"
            "rules, silences and sinks (open alerts, windows and pending deliveries\n"
            "are kept; an invalid file is rejected and the running config stays; other\n"
            "sections need a restart).\n\n"
            "Role all checkpoints its stream state (windows, watermarks, baselines, open\n"
            "alerts) with the offsets it covers to state.dir every state.checkpoint_interval\n"
            "and commits offsets only once a checkpoint covering them is durable: a\n"
            "restart, a deploy or a kill -9 continues where the last checkpoint left off,\n"
            "with no warm-up, the same alert ids and figures as a replay of the feed.\n\n"
            "  --config FILE   the service config (see docs/config.md)\n"
            "  --role ROLE     all (default): one process does everything;\n"
            "                  classify: consume the inputs in group_id, classify, and\n"
            "                  produce one record per aggregation key to scored_topic\n"
            "                  (scales with the input partitions);\n"
            "                  aggregate: consume scored_topic in aggregate.group_id and\n"
            "                  own the windows, rules and alerts of the partitions the\n"
            "                  group assigns (a dead instance's move to the others); on\n"
            "                  every assignment their state is rebuilt by reading them\n"
            "                  again from their beginning. With aggregate.assignment\n"
            "                  static it checkpoints as role all does instead: a restart\n"
            "                  reads from its last checkpoint (or the commit below it),\n"
            "                  not from the partitions' beginning\n"
            "  --instance I    aggregate: this instance's number, 0 .. aggregate.instances-1\n"
            "                  (a name with aggregate.assignment group, the default; with\n"
            "                  static it owns the scored partitions p %% instances == I)\n"
            "  --model DIR     override model.dir\n"
            "  --outbox DIR    override outbox.dir (one per process)\n"
            "  --reset-state   role all (and aggregate, static): set the checkpoints\n"
            "                  in state.dir aside (renamed *.bad-<time>) and start\n"
            "                  from the committed offsets, with\n"
            "                  empty windows and baselines (for a corrupt state, which\n"
            "                  otherwise stops the start with an error)\n"
            "  --dump-windows FILE  append every closed window to FILE (key, start,\n"
            "                  end, counts; tab-separated) to compare runs\n\n"
            "examples:\n"
            "  FINSENT_WEBHOOK_SECRET=... finsent run --config configs/finsent.json\n"
            "  finsent run --config c.json --role classify --outbox var/c1\n"
            "  finsent run --config c.json --role aggregate --instance 0 --outbox var/a0\n");
}

int cmd_run(int argc, char **argv) {
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},       {"role", required_argument, NULL, 'r'},
        {"model", required_argument, NULL, 'm'},        {"instance", required_argument, NULL, 'i'},
        {"outbox", required_argument, NULL, 'o'},       {"dump-windows", required_argument, NULL, 'W'},
        {"reset-state", no_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},               {NULL, 0, NULL, 0},
    };
    run_role_args ra = {.role = RUN_ROLE_ALL};
    const char *dump_path = NULL;
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': ra.config = optarg; break;
        case 'm': ra.model = optarg; break;
        case 'o': ra.outbox = optarg; break;
        case 'W': dump_path = optarg; break;
        case 'R': ra.reset_state = 1; break;
        case 'i':
            ra.instance = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || ra.instance < 0 || ra.instance > 1023)
                return cli_usage_error("run", "--instance: expected an integer from 0 to 1023, got \"%s\"", optarg);
            ra.has_instance = 1;
            break;
        case 'r':
            if (strcmp(optarg, "all") == 0) ra.role = RUN_ROLE_ALL;
            else if (strcmp(optarg, "classify") == 0) ra.role = RUN_ROLE_CLASSIFY;
            else if (strcmp(optarg, "aggregate") == 0) ra.role = RUN_ROLE_AGGREGATE;
            else return cli_usage_error("run", "--role: expected all, classify or aggregate, got \"%s\"", optarg);
            break;
        case 'h': usage(stdout); return 0;
        default: return cli_usage_error("run", "unknown option");
        }
    }
    if (optind < argc) return cli_usage_error("run", "unexpected argument \"%s\"", argv[optind]);
    if (!ra.config) return cli_usage_error("run", "--config FILE is required");
    if (ra.has_instance && ra.role != RUN_ROLE_AGGREGATE)
        return cli_usage_error("run", "--instance is for --role aggregate");
    if (dump_path && ra.role == RUN_ROLE_CLASSIFY)
        return cli_usage_error("run", "--dump-windows: the classify role has no windows");
    window_dump *d = NULL;
    alerts_observer obs;
    if (dump_path) {
        char err[512];
        if (!(d = window_dump_open(dump_path, err, sizeof err)))
            return cli_usage_error("run", "--dump-windows: %s", err);
        obs = window_dump_observer(d);
        ra.observer = &obs;
    }
    int rc = run_role(&ra);
    window_dump_close(d);
    return rc;
}
