/* bench_env — what the end-to-end benchmarks (pipeline, e2e) share: the
 * model lookup, a scratch directory, a message mix made from the demo
 * feed's texts, a plain producer, RSS from /proc/self/status, and child
 * processes of this binary: a standalone mock broker and a load generator
 * (`finsent bench feed`), so that the broker's copy of every message and
 * the producer's buffers do not count in the pipeline's RSS. */
#ifndef FINSENT_BENCH_ENV_H
#define FINSENT_BENCH_ENV_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

/* The model directory: flag, else $FINSENT_MODEL, else models/default;
 * NULL when the chosen one has no config.json. */
const char *bench_model_dir(const char *flag);

/* Creates /tmp/finsent-bench.XXXXXX into dir (>= 32 bytes); 0 or -1. */
int bench_tmpdir(char *dir, size_t len);
/* Removes dir and everything under it; "" is a no-op. */
void bench_rmdir(const char *dir);
/* Writes text to path; 0 or -1. */
int bench_write_file(const char *path, const char *text);

/* VmRSS of this process in kB, -1 when unreadable. */
long bench_rss_kb(void);

/* The demo feed's good messages (dead-letter poison lines left out), to be
 * replayed in cycles: message i is feed message i mod n with the id
 * "bench-<i>" and its event time moved by (i / n) simulated days, so that
 * every partition stays in event-time order and windows keep closing. */
typedef struct bench_mix bench_mix;
/* Loads the bundled feed; never NULL. */
bench_mix *bench_mix_new(void);
void bench_mix_free(bench_mix *m);
/* Messages in one cycle. */
long bench_mix_size(const bench_mix *m);
/* Payload of message i (caller frees) and its topic ("news"/"comments");
 * its event time is ts_ms, or the cycle's (above) when ts_ms < 0. */
char *bench_mix_payload(const bench_mix *m, long i, int64_t ts_ms, const char **topic);

/* A producer with linger.ms as given (0: send at once) and at most 20000
 * messages queued locally (so that its memory stays small when the broker
 * lags). */
typedef struct bench_producer bench_producer;
/* NULL with one line in err when librdkafka refuses the config. */
bench_producer *bench_producer_new(const char *brokers, int linger_ms, char *err, size_t errlen);
/* Queues one message (copied); waits while the local queue is full.
 * 0, or -1 on a produce error. */
int bench_produce(bench_producer *p, const char *topic, const char *payload);
/* Waits up to timeout_ms for every queued message; returns how many
 * failed or are still undelivered. */
long bench_producer_flush(bench_producer *p, int timeout_ms);
/* Waits up to 1 s for what is queued, drops the rest, frees; NULL is a no-op. */
void bench_producer_free(bench_producer *p);

/* Runs this same binary with argv (argv[0] is only a name) in a child
 * process whose stdout is *out (read it, then fclose). 0 with *pid, or -1
 * with err. */
int bench_spawn(char *const *argv, pid_t *pid, FILE **out, char *err, size_t errlen);
/* Stops a child (SIGTERM) and waits for it; pid <= 0 is a no-op. */
void bench_child_stop(pid_t pid);
/* Waits for a child that was told to stop; pid <= 0 is a no-op. */
void bench_child_wait(pid_t pid);

/* A mock cluster in a child process (`finsent mock-broker`) with topics
 * "name:partitions". 0 with its bootstrap servers in bs and its pid in
 * *pid, or -1 with err. Stop it with bench_child_stop. */
int bench_broker_spawn(const char *const *topics, int n_topics, char *bs, size_t bslen, pid_t *pid, char *err,
                       size_t errlen);

#endif
