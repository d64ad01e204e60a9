/* cmd_bench — `finsent bench NAME [options]`: dispatches to the
 * sub-benchmarks listed in bench/bench.c. */
#include <stdio.h>
#include <string.h>

#include "app/commands.h"
#include "bench/bench.h"

static void usage(FILE *f) {
    fprintf(f, "usage: finsent bench NAME [options] [--json]\n\n"
               "Benchmarks that print figures and ratios measured in one run (the machine\n"
               "may be shared: compare ratios, not absolute times). With --json each prints\n"
               "one JSON object: a ratio of two figures of the same run under \"ratio\", a\n"
               "figure over a fixed target under \"vs_target\".\n\nbenchmarks:\n");
    for (int i = 0; i < bench_count; i++)
        fprintf(f, "  %-10s %s\n  %-10s   %s\n", bench_table[i].name, bench_table[i].summary, "",
                bench_table[i].usage);
    fprintf(f, "\nexample:\n  finsent bench classify --shape 256,4,4,1024 --threads 2 --seconds 5 --json\n");
}

int cmd_bench(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    const bench_entry *b = bench_find(argv[1]);
    if (!b) {
        char names[256] = "";
        for (int i = 0; i < bench_count; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", bench_table[i].name);
        return cli_usage_error("bench", "unknown benchmark '%s' (one of: %s)", argv[1], names);
    }
    return b->fn(argc - 1, argv + 1);
}
