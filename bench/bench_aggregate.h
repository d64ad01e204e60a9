/* bench_aggregate — `finsent bench aggregate`: events per second through
 * the event-time windows, baselines and rules on one core. */
#ifndef FINSENT_BENCH_AGGREGATE_H
#define FINSENT_BENCH_AGGREGATE_H

/* argv[0] is "aggregate"; options --events N, --json, --help. Prints the
 * figures (one JSON object with --json) and returns the exit status:
 * 0 ok, 2 bad usage. */
int bench_aggregate(int argc, char **argv);

#endif
