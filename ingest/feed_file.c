/* feed_file — JSONL feed (kcat -J envelopes or bare messages) as a replay
 * source; see feed_file.h. */
#include "ingest/feed_file.h"

#include "ingest/replay.h"
#include "util/csv.h"
#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ingest/replay.h"
#include "util/csv.h"
#include "util/errmsg.h"
#include "util/xalloc.h"


struct feed_file {
    FILE *in;
    int owns_in;
    const ingest_options *opt;
    const ingest_input *dflt;
    replay_pacer pacer;
    feed_dead_fn on_dead;
    void *ud;
    char *line;
    size_t cap;
    feed_counts counts;
    csv_reader *csv;  /* a .csv feed: rows with the header's column names */
    char **columns;
    int n_columns;
};

const char *feed_reason_name(int r) {
    if (r < DECODE_N_REASONS) return decode_reason_name((enum decode_reason)r);
    return r == FEED_NOT_ENVELOPE ? "not_an_envelope" : r == FEED_UNKNOWN_TOPIC ? "unknown_topic" : "bad_csv";
}

static int ends_with_csv(const char *path) {
    size_t n = strlen(path);
    return n >= 4 && strcasecmp(path + n - 4, ".csv") == 0;
}

/* Reads the header row of a CSV feed; -1 with err when there is none. */
static int csv_header(feed_file *f, const char *path, char *err, size_t errlen) {
    f->csv = csv_open(f->in);
    char **fields;
    int n = csv_next(f->csv, &fields);
    if (n <= 0) {
        return err_set(err, errlen, "%s: expected a header row of column names (id, ts, title, body, text, ...)%s%s",
                       path, n < 0 ? ": " : "", n < 0 ? csv_error(f->csv) : "");
    }
    f->columns = xcalloc((size_t)n, sizeof *f->columns);
    for (int i = 0; i < n; i++) f->columns[i] = xstrdup(fields[i]);
    f->n_columns = n;
    return 0;
}

feed_file *feed_open(const char *path, const ingest_options *opt, const char *default_input, double speed,
                     feed_dead_fn on_dead, void *ud, char *err, size_t errlen) {
    const ingest_input *dflt = NULL;
    if (default_input) {
        for (int i = 0; i < opt->n_inputs && !dflt; i++) {
            const ingest_input *in = &opt->inputs[i];
            if (strcmp(in->topic, default_input) == 0 || (in->stream && strcmp(in->stream, default_input) == 0))
                dflt = in;
        }
        if (!dflt) {
            err_set(err, errlen, "%s: no input topic or stream named \"%s\"", path, default_input);
            return NULL;
        }
    } else if (opt->n_inputs > 0) {
        dflt = &opt->inputs[0];
    }
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!in) {
        err_set(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    feed_file *f = xcalloc(1, sizeof *f);
    f->in = in;
    f->owns_in = in != stdin;
    f->opt = opt;
    f->dflt = dflt;
    f->pacer.factor = speed;
    f->on_dead = on_dead;
    f->ud = ud;
    if (ends_with_csv(path) && csv_header(f, path, err, errlen) < 0) {
        feed_close(f);
        return NULL;
    }
    return f;
}

static void dead(feed_file *f, int reason, const char *name, const char *detail) {
    f->counts.dead++;
    f->counts.dead_by_reason[reason]++;
    if (f->on_dead) f->on_dead(f->counts.lines, name, detail, f->ud);
}

/* Reads an optional envelope number into *out: absent or not a number
 * leaves it alone; -1 when it lies outside [lo, hi] (converting such a
 * double to an integer type is undefined). */
static int envelope_int(const cJSON *j, double lo, double hi, int64_t *out) {
    if (!cJSON_IsNumber(j)) return 0;
    double v = j->valuedouble;
    if (!(v >= lo && v <= hi)) return -1;
    *out = (int64_t)v;
    return 0;
}

/* Decodes one line; returns an event or NULL (dead-lettered or blank).
 * envelopes: 0 for a CSV row, which is always a bare message of the
 * default input, even when it has columns named topic and payload. */
static event *decode_line(feed_file *f, char *line, size_t len, int envelopes) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
    if (len == 0) return NULL;
    decode_msg m = {.payload = line, .len = len, .topic = NULL, .partition = 0,
                    .offset = f->counts.lines, .timestamp_ms = -1};
    const ingest_input *in = f->dflt;
    cJSON *env = envelopes ? cJSON_ParseWithLength(line, len) : NULL;
    cJSON *payload = env ? cJSON_GetObjectItemCaseSensitive(env, "payload") : NULL;
    cJSON *topic = env ? cJSON_GetObjectItemCaseSensitive(env, "topic") : NULL;
    if (payload && topic) {
        if (!cJSON_IsString(topic) || !(cJSON_IsString(payload) || cJSON_IsNull(payload))) {
            dead(f, FEED_NOT_ENVELOPE, "not_an_envelope", "envelope topic or payload is not a string");
            cJSON_Delete(env);
            return NULL;
        }
        in = ingest_options_input(f->opt, topic->valuestring);
        if (!in) {
            char detail[160];
            snprintf(detail, sizeof detail, "topic \"%.100s\" is not an input", topic->valuestring);
            for (char *c = detail; *c; c++) /* one line whatever the topic holds */
                if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
            dead(f, FEED_UNKNOWN_TOPIC, "unknown_topic", detail);
            cJSON_Delete(env);
            return NULL;
        }
        m.topic = in->topic;
        m.payload = cJSON_IsString(payload) ? payload->valuestring : "";
        m.len = strlen(m.payload);
        cJSON *p = cJSON_GetObjectItemCaseSensitive(env, "partition");
        cJSON *o = cJSON_GetObjectItemCaseSensitive(env, "offset");
        cJSON *ts = cJSON_GetObjectItemCaseSensitive(env, "ts");
        int64_t part = m.partition;
        if (envelope_int(p, INT32_MIN, INT32_MAX, &part) || envelope_int(o, -9.2e18, 9.2e18, &m.offset) ||
            envelope_int(ts, -9.2e18, 9.2e18, &m.timestamp_ms)) {
            dead(f, FEED_NOT_ENVELOPE, "not_an_envelope", "envelope partition, offset or ts out of range");
            cJSON_Delete(env);
            return NULL;
        }
        m.partition = (int32_t)part;
    }
    decode_result r;
    event *e = decode_message(f->opt, in, &m, &r);
    cJSON_Delete(env);
    if (!e) {
        dead(f, r.reason, decode_reason_name(r.reason), r.detail);
        return NULL;
    }
    /* a replayed event keeps its Kafka origin only as metadata: nothing to commit */
    event_set_string(e, &e->origin_topic, NULL);
    return e;
}

/* One CSV row as the JSON message its columns spell (caller frees). */
static char *csv_row_json(const feed_file *f, char **fields) {
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < f->n_columns; i++) {
        if (strcmp(f->columns[i], "entities") == 0 || strcmp(f->columns[i], "tickers") == 0) {
            cJSON *a = cJSON_AddArrayToObject(o, f->columns[i]);
            char *save = NULL;
            for (char *t = strtok_r(fields[i], ",; ", &save); t; t = strtok_r(NULL, ",; ", &save))
                cJSON_AddItemToArray(a, cJSON_CreateString(t));
        } else if (fields[i][0]) {
            cJSON_AddStringToObject(o, f->columns[i], fields[i]);
        }
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

/* The next good event of a CSV feed, or NULL at the end. */
static event *csv_next_event(feed_file *f) {
    char **fields;
    int n;
    while ((n = csv_next(f->csv, &fields)) != 0) {
        f->counts.lines = csv_line(f->csv);
        if (n < 0 || n != f->n_columns) {
            char detail[160];
            if (n < 0)
                snprintf(detail, sizeof detail, "%s", csv_error(f->csv));
            else
                snprintf(detail, sizeof detail, "%d fields where the header has %d", n, f->n_columns);
            dead(f, FEED_BAD_CSV, "bad_csv", detail);
            if (n < 0) return NULL; /* the reader cannot resynchronise after a broken quote */
            continue;
        }
        char *json = csv_row_json(f, fields);
        event *e = decode_line(f, json, strlen(json), 0);
        free(json);
        if (e) return e;
    }
    return NULL;
}

event *feed_next(feed_file *f, int *io_error) {
    *io_error = 0;
    if (f->csv) {
        event *e = csv_next_event(f);
        if (e) {
            f->counts.events++;
            replay_pace(&f->pacer, e->ts_ms);
        } else if (ferror(f->in)) {
            *io_error = 1;
        }
        return e;
    }
    ssize_t n;
    while ((n = getline(&f->line, &f->cap, f->in)) >= 0) {
        f->counts.lines++;
        event *e = decode_line(f, f->line, (size_t)n, 1);
        if (!e) continue;
        f->counts.events++;
        replay_pace(&f->pacer, e->ts_ms);
        return e;
    }
    if (ferror(f->in)) *io_error = 1;
    return NULL;
}

feed_counts feed_get_counts(const feed_file *f) { return f->counts; }

void feed_close(feed_file *f) {
    if (!f) return;
    if (f->csv) csv_close(f->csv);
    for (int i = 0; i < f->n_columns; i++) free(f->columns[i]);
    free(f->columns);
    if (f->owns_in) fclose(f->in);
    free(f->line);
    free(f);
}
