/* finsent — streaming financial sentiment monitor.
 *
 * main parses the global options (--help, --version, --log-level,
 * --log-format) that stand before the sub-command, initialises libcurl
 * once, then hands the rest of argv to the sub-command from the table in
 * commands.c. */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "app/commands.h"
#include "util/log.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: finsent [--log-level LEVEL] [--log-format auto|text|json] <command> [options]\n"
            "       finsent <command> --help\n"
            "       finsent --version\n\n"
            "finsent reads news and comment streams from Kafka, tags each message with a\n"
            "topic and a sentiment, aggregates over event-time windows per entity and\n"
            "topic, and sends webhook alerts when negative sentiment spikes.\n\n"
            "commands:\n");
    for (int i = 0; i < n_commands; i++)
        fprintf(f, "  %-12s %s%s\n", commands[i].name, commands[i].summary,
                commands[i].fn ? "" : " (not built yet)");
    fprintf(f,
            "\nglobal options:\n"
            "  --log-level debug|info|warn|error|off   (default info)\n"
            "  --log-format auto|text|json             (auto: text on a terminal, else JSON lines)\n"
            "  -h, --help     this text\n"
            "  -V, --version  print the version\n");
}

int main(int argc, char **argv) {
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"log-level", required_argument, NULL, 'l'},
        {"log-format", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    int c;
    /* "+" stops at the first non-option: the sub-command owns the rest. */
    while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return 0;
        case 'V': printf("finsent %s\n", FINSENT_VERSION); return 0;
        case 'l': {
            int lv = log_level_parse(optarg);
            if (lv < 0) {
                fprintf(stderr, "finsent: --log-level: expected debug, info, warn, error or off, got \"%s\"\n", optarg);
                return 2;
            }
            log_set_level((enum log_level)lv);
            break;
        }
        case 'f': {
            int fm = log_format_parse(optarg);
            if (fm < 0) {
                fprintf(stderr, "finsent: --log-format: expected auto, text or json, got \"%s\"\n", optarg);
                return 2;
            }
            log_set_format((enum log_format)fm);
            break;
        }
        default:
            fprintf(stderr, "finsent: see 'finsent --help'\n");
            return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[optind];
    const command *cmd = command_find(name);
    if (!cmd) {
        fprintf(stderr, "finsent: unknown command '%s' (see 'finsent --help')\n", name);
        return 2;
    }
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    if (!cmd->fn) {
        if (sub_argc == 2 && (strcmp(sub_argv[1], "--help") == 0 || strcmp(sub_argv[1], "-h") == 0)) {
            printf("usage: finsent %s %s\n%s\n\nnot built yet (see README, Limits)\n", cmd->name, cmd->usage,
                   cmd->summary);
            return 0;
        }
        fprintf(stderr, "finsent: '%s' is not built yet (see README, Limits)\n", name);
        return 2;
    }
    /* libcurl's global state once, before any thread starts: webhook
     * clients (alerts/webhook.h) rely on it */
    CURLcode cr = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (cr != CURLE_OK) {
        fprintf(stderr, "finsent: cannot initialise libcurl: %s\n", curl_easy_strerror(cr));
        return 1;
    }
    optind = 0; /* glibc: 0 re-initialises getopt for the sub-command */
    int rc = cmd->fn(sub_argc, sub_argv);
    curl_global_cleanup();
    return rc;
}
