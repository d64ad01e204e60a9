/* bench_ingest — `finsent bench ingest`: messages per second consumed and
 * decoded from the mock cluster, next to kcat's raw consume rate of the
 * same topic in the same run. */
#ifndef FINSENT_BENCH_INGEST_H
#define FINSENT_BENCH_INGEST_H

/* argv[0] is "ingest"; options --messages N, --json, --help. Prints the
 * figures (one JSON object with --json, the ingest/kcat rate under
 * "ratio") and returns 0 ok, 1 runtime failure (no kcat, cluster error),
 * 2 bad usage. */
int bench_ingest(int argc, char **argv);

#endif
