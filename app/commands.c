/* commands — the registry of sub-commands; see commands.h.
 *
 * Adding a command: write app/cmd_<name>.c defining
 * int cmd_<name>(int argc, char **argv); the table already refers to it. */
#include "app/commands.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Each command is defined in app/cmd_<name>.c. The declarations are weak so
 * that a command whose file does not exist yet links as NULL, which main
 * reports as "not built yet": adding a command needs no edit here. */
int cmd_run(int argc, char **argv) __attribute__((weak));
int cmd_demo(int argc, char **argv) __attribute__((weak));
int cmd_replay(int argc, char **argv) __attribute__((weak));
int cmd_backtest(int argc, char **argv) __attribute__((weak));
int cmd_classify(int argc, char **argv) __attribute__((weak));
int cmd_tokenize(int argc, char **argv) __attribute__((weak));
int cmd_train(int argc, char **argv) __attribute__((weak));
int cmd_eval(int argc, char **argv) __attribute__((weak));
int cmd_vocab(int argc, char **argv) __attribute__((weak));
int cmd_bench(int argc, char **argv) __attribute__((weak));
int cmd_mock_broker(int argc, char **argv) __attribute__((weak));
int cmd_config(int argc, char **argv) __attribute__((weak));
int cmd_hook_receiver(int argc, char **argv) __attribute__((weak));

const command commands[] = {
    {"run", "--config FILE [--role all|classify|aggregate]", "the service: consume, classify, aggregate, alert", cmd_run},
    {"demo", "[--keep-running]", "the embedded default: mock cluster, bundled feed, default model, local webhook", cmd_demo},
    {"replay", "--config FILE (--file FEED | --from TIME [--to TIME] | --from-offsets SPEC) [--speed max|1x|Nx]",
     "re-run history through the same pipeline", cmd_replay},
    {"backtest", "--config FILE --file FEED [--report out.html]", "replay and report what would have fired", cmd_backtest},
    {"classify", "--model DIR [--batch N] [--threads N] [--logits] [--tokens] [FILE]",
     "JSONL {id,text} in, scored JSONL out, same order", cmd_classify},
    {"tokenize", "--vocab FILE [--cased] [--max-len N] [FILE]", "JSONL {id,text} in, {id,ids} out", cmd_tokenize},
    {"train", "--config FILE", "train or fine-tune a model", cmd_train},
    {"eval", "--model DIR --data FILE --head NAME [--json] [--label-map MAP] [--format F] [--split S]", "precision, recall, F1 and confusion matrix of a head", cmd_eval},
    {"vocab", "build [options]", "learn a WordPiece vocabulary from a corpus", cmd_vocab},
    {"bench", "classify|ingest|aggregate|pipeline|e2e [options] [--json]", "benchmarks that print ratios measured in one run", cmd_bench},
    {"mock-broker", "[--brokers N] [--topic NAME:PARTITIONS ...]", "a Kafka-protocol cluster on loopback for trying and testing", cmd_mock_broker},
    {"hook-receiver", "[--secret-env VAR]", "a webhook receiver on loopback that prints each delivery", cmd_hook_receiver},
    {"config", "check FILE", "validate a config and print the effective configuration", cmd_config},
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
