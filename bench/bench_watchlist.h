/* bench_watchlist — `finsent bench watchlist`: decode rate with a large
 * watch list, multi-pattern matcher against the per-name scan it replaced. */
#ifndef FINSENT_BENCH_WATCHLIST_H
#define FINSENT_BENCH_WATCHLIST_H

/* argv[0] is "watchlist"; options --names N, --messages M, --seconds S,
 * --json, --help. Prints the figures (one JSON object with --json, new /
 * old messages/s under "ratio") and returns 0 ok, 1 runtime failure, 2 bad
 * usage. */
int bench_watchlist(int argc, char **argv);

#endif
