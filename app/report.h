/* report — the back-test report: one self-contained HTML page.
 *
 * The caller (finsent backtest) fills a report_data from the windows and
 * alerts engines; report_write_html renders it with inline CSS and inline
 * SVG charts, no scripts and nothing fetched from the network, so the file
 * can be mailed or archived and opens the same anywhere.
 *
 * The page holds: the totals; the rules; one chart per key that has alerts
 * (at most max_alert_charts) and one per busiest key without alerts (at
 * most busiest_keys), each a negative-share panel (line, baseline band
 * mean ± 2σ, alert markers with tooltips) over a volume panel (bars); and a
 * table of every alert (at most max_table_rows) with its stats, its "why"
 * words and its samples with their top words marked.
 * All charts share one UTC time axis spanning every series.
 *
 * Every string is borrowed (the caller owns it; it must outlive the call)
 * and is HTML-escaped on output: feed texts are untrusted. Invalid UTF-8
 * and control characters are replaced, sample texts are cut to
 * REPORT_SAMPLE_TEXT_MAX bytes. The output depends only on the input: no
 * clock is read (pass generated_at to show a generation time). */
#ifndef FINSENT_REPORT_H
#define FINSENT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REPORT_SAMPLE_TEXT_MAX 280 /* bytes of a sample's text shown, then "…" */

/* One configured rule, as text for the reader. */
typedef struct report_rule {
    const char *name;       /* "oil-spike" */
    const char *scope;      /* "global" | "topic" | "entity" | "entity_topic" */
    const char *conditions; /* "count ≥ 20 and negative share ≥ 40% and z ≥ 3" */
    const char *severity;   /* "info" | "warning" | "critical" */
} report_rule;

/* A named count, e.g. dead letters of one reason. */
typedef struct report_count {
    const char *name; /* "invalid_json" */
    int64_t n;
} report_count;

typedef struct report_totals {
    int64_t messages;                 /* messages read from the feed */
    const report_count *dead_letters; /* by reason; may be NULL when n_dead_letters is 0 */
    int n_dead_letters;
    int64_t late_events;    /* events that missed a closed window */
    int64_t alerts_fired;   /* alerts that fired (not counting repeats) */
    int64_t alerts_resolved;
} report_totals;

/* One closed window of one key. The baseline is the key's baseline as the
 * rules saw it for this window (before the window was folded in). */
typedef struct report_window {
    int64_t start_ms, end_ms; /* [start, end), epoch ms UTC; start < end */
    int64_t count;            /* messages in the window */
    int64_t negatives;        /* of which negative */
    double negative_share;    /* negatives / count, 0 when empty */
    bool has_baseline;        /* false during warm-up: no band is drawn */
    double baseline_mean;     /* baseline negative share */
    double baseline_std;      /* its standard deviation; the band is mean ± 2σ */
} report_window;

/* A word behind an alert: in a sample, a span of its text (marked on
 * output); in an alert's "why" list, start and end are unused. */
typedef struct report_word {
    const char *word;   /* untrusted; escaped on output */
    int32_t start, end; /* bytes of the sample's text */
    double weight;      /* toward negative (alerts/alert_explain.h) */
} report_word;

/* One message behind an alert (the most negative first). */
typedef struct report_sample {
    const char *id;     /* may be NULL */
    const char *source; /* may be NULL */
    int64_t ts_ms;
    const char *text;   /* untrusted; escaped and cut on output */
    double p_negative;  /* probability of negative, 0..1 */
    const report_word *words; /* its top words, marked in the text; may be NULL when n_words is 0 */
    int n_words;
} report_sample;

enum report_status { REPORT_FIRING = 0, REPORT_RESOLVED };

/* One alert delivery (a firing or a resolution) of one key. */
typedef struct report_alert {
    const char *id;       /* stable alert id */
    const char *rule;     /* rule name */
    enum report_status status;
    int64_t window_start_ms, window_end_ms;
    const char *severity; /* "info" | "warning" | "critical" */
    int64_t count, negatives;
    double negative_share;
    double baseline_share;
    double zscore;        /* 0 when the rule does not use it */
    double ratio;         /* 0 when the rule does not use it */
    const report_sample *samples; /* may be NULL when n_samples is 0 */
    int n_samples;
    const report_word *why; /* the words behind it, listed with their weights; may be NULL when n_why is 0 */
    int n_why;
} report_alert;

/* Everything about one aggregation key. */
typedef struct report_series {
    const char *key;               /* "entity=HRBK", "topic=Energy / Oil", "*" */
    const report_window *windows;  /* ascending start_ms; may be NULL when n_windows is 0 */
    int n_windows;
    const report_alert *alerts;    /* in delivery order; may be NULL when n_alerts is 0 */
    int n_alerts;
} report_series;

typedef struct report_data {
    const char *title;        /* page title; NULL: "finsent back-test report" */
    const char *feed;         /* feed file or source name; may be NULL */
    const char *config;       /* config file name; may be NULL */
    const char *settings;     /* one line on windows and baseline, e.g. "5m tumbling windows, …"; may be NULL */
    const char *generated_at; /* shown as given; NULL: no generation time on the page */
    const report_rule *rules;
    int n_rules;
    report_totals totals;
    const report_series *series;
    int n_series;

    /* limits that keep the page small (report_data_init sets defaults) */
    int max_alert_charts; /* charts of keys with alerts, earliest alert first (24) */
    int busiest_keys;     /* charts of the busiest keys without alerts (4) */
    int max_points;       /* windows per chart before neighbours are averaged (600) */
    int max_table_rows;   /* rows of the alert table (500) */
    int max_samples;      /* samples shown per alert (3) */
} report_data;

/* Zeroes d and sets the limits to their defaults. Can't fail. */
void report_data_init(report_data *d);

/* Writes the HTML page for d to out. Returns 0, or -1 with one line in err
 * when d is inconsistent (a negative count, a series without a key, windows
 * out of order or empty, a limit below 0) or writing failed; on -1 part of
 * the page may have been written. */
int report_write_html(FILE *out, const report_data *d, char *err, size_t errlen);

/* Writes the report to path (created or truncated). Returns 0, or -1 with
 * one line naming the path in err. */
int report_write_file(const char *path, const report_data *d, char *err, size_t errlen);

#endif
