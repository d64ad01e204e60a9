/* commands — the registry of sub-commands; see commands.h.
 *
 * Adding a command: write app/cmd_<name>.c with an int cmd_<name>(int, char **),
 * declare it below and put it in the table. */
#include "app/commands.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cmd_mock_broker(int argc, char **argv);

const command commands[] = {
    {"run", "--config FILE [--role all|classify|aggregate]", "the service: consume, classify, aggregate, alert", NULL},
    {"demo", "[--keep-running]", "the embedded default: mock cluster, bundled feed, default model, local webhook", NULL},
    {"replay", "--config FILE (--file FEED | --from TIME [--to TIME] | --from-offsets SPEC) [--speed max|1x|Nx]",
     "re-run history through the same pipeline", NULL},
    {"backtest", "--config FILE --file FEED [--report out.html]", "replay and report what would have fired", NULL},
    {"classify", "--model DIR [--batch N] [--threads N] [--logits] [--tokens] [FILE]",
     "JSONL {id,text} in, scored JSONL out, same order", NULL},
    {"tokenize", "--vocab FILE [--cased] [--max-len N] [FILE]", "JSONL {id,text} in, {id,ids} out", NULL},
    {"train", "--config FILE", "train or fine-tune a model", NULL},
    {"eval", "--model DIR --data FILE --head NAME [--json]", "precision, recall, F1 and confusion matrix of a head", NULL},
    {"vocab", "build [options]", "learn a WordPiece vocabulary from a corpus", NULL},
    {"bench", "classify|ingest|aggregate|pipeline|e2e [options] [--json]", "benchmarks that print ratios measured in one run", NULL},
    {"mock-broker", "[--brokers N] [--topic NAME:PARTITIONS ...]", "a Kafka-protocol cluster on loopback for trying and testing", cmd_mock_broker},
    {"config", "check FILE", "validate a config and print the effective configuration", NULL},
};
const int n_commands = (int)(sizeof commands / sizeof commands[0]);

const command *command_find(const char *name) {
    for (int i = 0; i < n_commands; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "finsent %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'finsent %s --help')\n", cmd);
    va_end(ap);
    return 2;
}

int cli_fail(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "finsent %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}
