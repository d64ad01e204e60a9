/* Tests of the consumer's rebuild (ingest_options.rebuild, the aggregate
 * role's restart): on assignment a partition is read again from its
 * beginning; the messages below the committed offset are rebuild messages
 * (ingest_rebuilding), their acks are ignored and the committed offset
 * never goes back. Mock cluster, statically assigned as the role is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/consumer.h"
#include "ingest/mock_cluster.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "tests/support/kafka_produce.h"

#define N_MSG 100

static ingest_options options(const char *bootstrap, int rebuild) {
    ingest_options o = {0};
    ingest_options_set_kafka(&o, "bootstrap.servers", bootstrap);
    o.group_id = xstrdup("rebuild");
    ingest_options_add_input(&o, "r", NULL);
    o.assign_count = 1;
    o.rebuild = rebuild;
    return o;
}

/* Opens a consumer, polls up to `take` messages (waiting at most 3 s
 * after the last one), acknowledges each, closes (committing); returns how
 * many it got, with the rebuild messages in *rebuilt and the first
 * offset in *first (-1: none). */
static int session(const char *bs, int rebuild, int take, int *rebuilt, int64_t *first) {
    ingest_options o = options(bs, rebuild);
    char err[256];
    ingest_consumer *c = ingest_open(&o, err, sizeof err);
    if (!c) fail_msg("ingest_open: %s", err);
    int got = 0;
    *rebuilt = 0;
    *first = -1;
    int64_t quiet_since = time_mono_ns();
    while (got < take && time_mono_ns() - quiet_since < 3000000000LL) {
        event *e = ingest_poll(c, 100);
        if (!e) continue;
        quiet_since = time_mono_ns();
        if (*first < 0) *first = e->origin_offset;
        assert_int_equal(e->origin_offset, *first + got); /* in order, once each */
        if (ingest_rebuilding(c, e)) (*rebuilt)++;
        got++;
        ingest_ack(c, e);
        event_free(e);
    }
    ingest_metrics m;
    ingest_metrics_get(c, &m);
    assert_int_equal((int)m.rebuilt, *rebuilt);
    assert_int_equal(m.in_flight, 0);
    assert_int_equal(ingest_close(c, 5000), 0);
    ingest_options_free(&o);
    return got;
}

static void test_rebuild_reads_below_the_committed_offset(void **state) {
    (void)state;
    log_set_level(LOG_WARN);
    char err[256];
    ingest_mock *m = ingest_mock_new(1, err, sizeof err);
    assert_non_null(m);
    const char *bs = ingest_mock_bootstraps(m);
    assert_int_equal(ingest_mock_topic(m, "r", 1), 0);
    assert_int_equal(kafka_produce_numbered(bs, "r", 0, N_MSG, "m", "rebuild $X"), 0);

    int rebuilt;
    int64_t first;
    /* first run: 60 acknowledged and committed, nothing to rebuild */
    assert_int_equal(session(bs, 1, 60, &rebuilt, &first), 60);
    assert_int_equal(rebuilt, 0);
    assert_int_equal(first, 0);
    /* restart with rebuild: 60 rebuild messages, then the 40 live ones */
    assert_int_equal(session(bs, 1, N_MSG, &rebuilt, &first), N_MSG);
    assert_int_equal(rebuilt, 60);
    assert_int_equal(first, 0);
    /* without rebuild: the committed offset is past all of them (the
     * rebuild messages' acks did not move it back) */
    assert_int_equal(session(bs, 0, N_MSG, &rebuilt, &first), 0);
    /* rebuild again: all of them are rebuild messages now */
    assert_int_equal(session(bs, 1, N_MSG, &rebuilt, &first), N_MSG);
    assert_int_equal(rebuilt, N_MSG);
    ingest_mock_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rebuild_reads_below_the_committed_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
