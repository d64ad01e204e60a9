/* cmd_config — `finsent config check FILE`: validate a config file and
 * print the effective configuration (defaults filled, secrets masked). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "app/commands.h"
#include "app/config.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: finsent config check FILE\n"
            "Validates FILE against the config schema (docs/config.md). On success prints\n"
            "the effective configuration as JSON on stdout (defaults filled, durations and\n"
            "sizes in human form, secrets as \"***\") and exits 0; otherwise prints one\n"
            "line \"FILE: PATH: expected ..., got ...\" on stderr and exits 2.\n\n"
            "example:\n"
            "  FINSENT_WEBHOOK_SECRET=s3cret finsent config check configs/finsent.json\n");
}

int cmd_config(int argc, char **argv) {
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        return cli_usage_error("config", "unknown option");
    }
    if (optind >= argc) return cli_usage_error("config", "missing action: expected \"check FILE\"");
    if (strcmp(argv[optind], "check") != 0)
        return cli_usage_error("config", "unknown action \"%s\": expected \"check\"", argv[optind]);
    if (argc - optind != 2) return cli_usage_error("config", "check: expected one FILE");
    char err[1024];
    fs_config cfg;
    if (cfg_load(argv[optind + 1], &cfg, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    cfg_print_effective(stdout, &cfg);
    cfg_free(&cfg);
    return 0;
}
