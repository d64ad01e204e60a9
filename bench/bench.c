/* bench — the table of sub-benchmarks; see bench.h. */
#include "bench/bench.h"

#include "bench/bench_aggregate.h"
#include "bench/bench_ingest.h"
#include "bench/bench_watchlist.h"

#include <string.h>
#include <time.h>

const bench_entry bench_table[] = {
    {"classify",
     "(--model DIR | --shape HIDDEN,LAYERS,HEADS,INTERMEDIATE) [--threads N] [--seconds S] [--quantize none|int8] "
     "[--ids FILE [--batch N]] [--json]",
     "encoder throughput and FLOP rate against this machine's sgemm, padding share, tokenizer MB/s, RSS",
     bench_classify},
    {"aggregate", "[--events N] [--json]", "events per second through windows, baselines and rules on one core",
     bench_aggregate},
    {"ingest", "[--messages N] [--rounds R] [--json]", "messages/s consumed and decoded from the mock cluster against kcat's raw rate",
     bench_ingest},
    {"watchlist", "[--names N] [--messages M] [--seconds S] [--json]",
     "messages/s decoded with a large watch list: multi-pattern matcher against the per-name scan it replaced",
     bench_watchlist},
    {"pipeline", "[--model DIR] [--messages N] [--seconds S] [--soak SECONDS [--rate-factor F]] [--kafka K=V] [--json]",
     "end-to-end messages/s (Kafka to alerts) over classify-only messages/s; RSS under overload", bench_pipeline},
    {"e2e", "[--model DIR] [--spikes N] [--fetch-wait-ms MS] [--no-alert-words] [--json]",
     "latency from the message completing a spike to the webhook receiving its alert, p50/p99", bench_e2e},
    {"state", "[--keys N[,N...]] [--json]",
     "checkpoint cost by number of keys: save time, bytes per key, restore time", bench_state},
    {"feed", "--brokers LIST --rate R [--seconds S] [--first I] [--live-time] [--json]",
     "load generator: the benchmarks' message mix to topics news and comments at a steady rate", bench_feed},
    {"explain", "[--only faith|alerts] [--model DIR] [--train-config FILE] [--data DIR] [--texts N] [--rounds R] [--json]",
     "faithfulness of the word explanations on dev texts (top words vs random words deleted); their cost per alert",
     bench_explain},
};
const int bench_count = (int)(sizeof bench_table / sizeof bench_table[0]);

const bench_entry *bench_find(const char *name) {
    for (int i = 0; i < bench_count; i++)
        if (strcmp(bench_table[i].name, name) == 0) return &bench_table[i];
    return NULL;
}

double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
