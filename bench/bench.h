/* bench — the sub-benchmarks of `finsent bench NAME [options]`.
 *
 * Each sub-benchmark is one function with a command's signature (argv[0]
 * is its name, e.g. "classify") returning an exit status (0 ok, 1 runtime
 * failure, 2 bad usage). Every one accepts --help and --json; with --json
 * it prints one JSON object. "ratio" is reserved for a ratio of two
 * figures measured in the same run (finsent over a peer or over another
 * path); a figure divided by a fixed target is "vs_target". Adding one: write bench/bench_<name>.c, declare its
 * function below and add a line to bench_table in bench/bench.c. */
#ifndef FINSENT_BENCH_H
#define FINSENT_BENCH_H

typedef int (*bench_fn)(int argc, char **argv);

typedef struct bench_entry {
    const char *name;
    const char *usage;   /* arguments after the name */
    const char *summary; /* one line */
    bench_fn fn;
} bench_entry;

extern const bench_entry bench_table[];
extern const int bench_count;

/* The entry named name, or NULL. */
const bench_entry *bench_find(const char *name);

/* Monotonic seconds, for timing loops. */
double bench_now(void);

int bench_classify(int argc, char **argv);
int bench_pipeline(int argc, char **argv);
int bench_e2e(int argc, char **argv);
int bench_feed(int argc, char **argv);
int bench_state(int argc, char **argv);
int bench_explain(int argc, char **argv);

#endif
