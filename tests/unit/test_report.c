/* Unit tests for app/report: the back-test HTML page's structure (charts,
 * alert markers, table rows), the words behind alerts (marked in the
 * samples, listed under "Why"), escaping of hostile feed text, limits,
 * determinism and input checks.
 *
 * With REPORT_OUT set in the environment, test_day_report also writes its
 * simulated day's report to that path (tests/integration/report_chromium.sh
 * loads it in headless Chromium). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/report.h"
#include "util/xalloc.h"

#define T0 1714521600000LL /* 2024-05-01T00:00:00Z */
#define MIN5 300000LL

static const char *hostile = "<script>alert(1)</script> \"quoted\" & 'single' <img src=x onerror=alert(2)>";

/* Renders d into a fresh string (caller frees); asserts success. */
static char *render(const report_data *d) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    char err[256] = "";
    int rc = report_write_html(f, d, err, sizeof err);
    fclose(f);
    if (rc != 0) fail_msg("report_write_html: %s", err);
    return buf;
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

/* ---- a small hand-built report ------------------------------------- */

typedef struct small {
    report_window w[3][12];
    report_alert a[3];
    report_sample s[4];
    report_word sw[3], why[2];
    report_series series[3];
    report_rule rules[2];
    report_count dead[2];
    report_data d;
} small;

static void fill_windows(report_window *w, int n, int64_t base_count, int spike_at) {
    for (int i = 0; i < n; i++) {
        int64_t c = base_count + i % 3, neg = c / 10;
        if (i == spike_at) neg = c * 7 / 10;
        w[i] = (report_window){.start_ms = T0 + i * MIN5, .end_ms = T0 + (i + 1) * MIN5, .count = c,
                               .negatives = neg, .negative_share = (double)neg / (double)c,
                               .has_baseline = i >= 3, .baseline_mean = 0.1, .baseline_std = 0.03};
    }
}

/* Two keys with alerts (one hostile key name), one without. */
static void small_init(small *m) {
    memset(m, 0, sizeof *m);
    fill_windows(m->w[0], 12, 40, 6);
    fill_windows(m->w[1], 12, 25, 9);
    fill_windows(m->w[2], 12, 90, -1);
    m->s[0] = (report_sample){.id = "n1", .source = "wire", .ts_ms = T0 + 6 * MIN5 + 1000,
                              .text = hostile, .p_negative = 0.97};
    m->s[1] = (report_sample){.id = "n2", .source = "forum & co", .ts_ms = T0 + 6 * MIN5 + 2000,
                              .text = "Refinery fire halts output", .p_negative = 0.91};
    m->s[2] = (report_sample){.id = "n3", .source = NULL, .ts_ms = T0 + 6 * MIN5 + 3000,
                              .text = "third sample, hidden by max_samples=2", .p_negative = 0.88};
    m->s[3] = (report_sample){.id = "n4", .source = "blog", .ts_ms = T0 + 9 * MIN5, .text = "HRBK guidance cut",
                              .p_negative = 0.93};
    m->a[0] = (report_alert){.id = "a0firing", .rule = "oil-spike", .status = REPORT_FIRING,
                             .window_start_ms = T0 + 6 * MIN5, .window_end_ms = T0 + 7 * MIN5,
                             .severity = "critical", .count = 40, .negatives = 28, .negative_share = 0.7,
                             .baseline_share = 0.1, .zscore = 20.0, .samples = m->s, .n_samples = 3};
    m->a[1] = (report_alert){.id = "a0firing", .rule = "oil-spike", .status = REPORT_RESOLVED,
                             .window_start_ms = T0 + 8 * MIN5, .window_end_ms = T0 + 9 * MIN5,
                             .severity = "critical", .count = 42, .negatives = 4, .negative_share = 4.0 / 42,
                             .baseline_share = 0.12, .zscore = -0.5};
    m->a[2] = (report_alert){.id = "a1<firing>", .rule = "entity \"spike\" & co", .status = REPORT_FIRING,
                             .window_start_ms = T0 + 9 * MIN5, .window_end_ms = T0 + 10 * MIN5,
                             .severity = "warning", .count = 25, .negatives = 17, .negative_share = 0.68,
                             .baseline_share = 0.1, .ratio = 6.8, .samples = &m->s[3], .n_samples = 1};
    m->series[0] = (report_series){.key = "topic=Energy / Oil", .windows = m->w[0], .n_windows = 12,
                                   .alerts = m->a, .n_alerts = 2};
    m->series[1] = (report_series){.key = "entity=<b>HRBK</b>", .windows = m->w[1], .n_windows = 12,
                                   .alerts = &m->a[2], .n_alerts = 1};
    m->series[2] = (report_series){.key = "*", .windows = m->w[2], .n_windows = 12};
    m->rules[0] = (report_rule){"oil-spike", "topic", "count ≥ 20 and share ≥ 40% and z ≥ 3", "critical"};
    m->rules[1] = (report_rule){"entity \"spike\" & co", "entity", "count ≥ 10 and ratio ≥ 3", "warning"};
    m->dead[0] = (report_count){"invalid_json", 3};
    m->dead[1] = (report_count){"invalid_utf8", 1};
    report_data_init(&m->d);
    m->d.title = "Back-test <Q2>";
    m->d.feed = "feeds/day&night.jsonl";
    m->d.rules = m->rules;
    m->d.n_rules = 2;
    m->d.totals = (report_totals){.messages = 1234, .dead_letters = m->dead, .n_dead_letters = 2,
                                  .late_events = 5, .alerts_fired = 2, .alerts_resolved = 1};
    m->d.series = m->series;
    m->d.n_series = 3;
    m->d.max_samples = 2;
}

static void test_structure(void **state) {
    (void)state;
    small m;
    small_init(&m);
    char *h = render(&m.d);
    assert_int_equal(strncmp(h, "<!DOCTYPE html>", 15), 0);
    assert_non_null(strstr(h, "</html>\n"));
    /* two keys with alerts and one busiest key */
    assert_int_equal(count(h, "<svg"), 3);
    assert_int_equal(count(h, "<svg class=\"chart\""), 3);
    assert_int_equal(count(h, "</svg>"), 3);
    /* a marker per alert delivery, each carrying its id */
    assert_int_equal(count(h, "class=\"alert-marker "), 3);
    assert_int_equal(count(h, "class=\"alert-marker firing\""), 2);
    assert_int_equal(count(h, "class=\"alert-marker resolved\""), 1);
    assert_int_equal(count(h, "data-alert=\"a0firing\""), 2);
    assert_int_equal(count(h, "data-alert=\"a1&lt;firing&gt;\""), 1);
    /* one table row per alert, in time order, linked to the key's chart */
    assert_int_equal(count(h, "<tr class=\"alert-row\">"), 3);
    const char *r0 = strstr(h, "2024-05-01<br>00:30–00:35"), *r1 = strstr(h, "2024-05-01<br>00:40–00:45"),
               *r2 = strstr(h, "2024-05-01<br>00:45–00:50");
    assert_true(r0 && r1 && r2 && r0 < r1 && r1 < r2);
    assert_non_null(strstr(h, "<a href=\"#k0\">topic=Energy / Oil</a>"));
    assert_non_null(strstr(h, "id=\"k0\""));
    assert_non_null(strstr(h, "id=\"k2\""));
    /* totals and rules */
    assert_non_null(strstr(h, "1,234"));
    assert_non_null(strstr(h, "invalid_json: 3"));
    assert_non_null(strstr(h, "<b>3</b> keys · <b>36</b> closed windows"));
    assert_non_null(strstr(h, ">4</div><div class=\"l\">dead letters"));
    assert_int_equal(count(h, "<table class=\"rules\">"), 1);
    /* max_samples = 2: the third sample is not shown */
    assert_null(strstr(h, "hidden by max_samples"));
    assert_non_null(strstr(h, "Refinery fire halts output"));
    /* baseline band and share line drawn; UTC axis labels */
    assert_true(count(h, "class=\"band\"") >= 3);
    assert_int_equal(count(h, "class=\"share\""), 3);
    assert_non_null(strstr(h, ">00:30</text>"));
    assert_non_null(strstr(h, ">May 01</text>"));
    assert_non_null(strstr(h, "time (UTC)"));
    assert_non_null(strstr(h, "negative share"));
    free(h);
}

/* Sample words are marked in the text, spans in any order; the "why"
 * column lists the alert's words with their weights, escaped; a span past
 * the cut, empty or overlapping is left unmarked. */
/* The words of small_init's first alert: "alert" inside the hostile text,
 * "fire" and "halts" of the second sample, and its "why" list. */
static void add_words(small *m) {
    m->sw[0] = (report_word){"alert", 8, 13, 1.5};
    m->sw[1] = (report_word){"halts", 14, 19, 1.25};
    m->sw[2] = (report_word){"fire", 9, 13, 2.0};
    m->s[0].words = m->sw;
    m->s[0].n_words = 1;
    m->s[1].words = &m->sw[1];
    m->s[1].n_words = 2;
    m->why[0] = (report_word){.word = "fire", .weight = 2.0};
    m->why[1] = (report_word){.word = "<i>halts</i>", .weight = 1.25};
    m->a[0].why = m->why;
    m->a[0].n_why = 2;
}

static void test_words(void **state) {
    (void)state;
    small m;
    small_init(&m);
    add_words(&m);
    char *h = render(&m.d);
    assert_non_null(strstr(h, "Refinery <mark>fire</mark> <mark>halts</mark> output"));
    assert_non_null(strstr(h, "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;"));
    assert_non_null(strstr(h, "<td class=\"why\"><ul class=\"why\"><li><mark>fire</mark> <span class=\"w\">2.00</span>"
                              "</li><li><mark>&lt;i&gt;halts&lt;/i&gt;</mark> <span class=\"w\">1.25</span></li></ul></td>"));
    assert_int_equal(count(h, "<th>Why</th>"), 1);
    assert_int_equal(count(h, "<td class=\"why\"></td>"), 2); /* the resolved alert and the one without words */
    free(h);

    char longtext[REPORT_SAMPLE_TEXT_MAX + 40];
    memset(longtext, 'y', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    memcpy(longtext, "plunge", 6);
    report_word w[4] = {{"y", REPORT_SAMPLE_TEXT_MAX + 2, REPORT_SAMPLE_TEXT_MAX + 5, 3.0},
                        {"plunge", 0, 6, 2.0},
                        {"lun", 1, 4, 1.0},
                        {"", 10, 10, 0.5}};
    m.s[1].text = longtext;
    m.s[1].words = w;
    m.s[1].n_words = 4;
    h = render(&m.d);
    assert_non_null(strstr(h, "<mark>plunge</mark>yyyy"));
    assert_int_equal(count(h, "<mark>"), 1 + 1 + 2); /* hostile sample, plunge, the why list */
    free(h);
}

static void test_escaping(void **state) {
    (void)state;
    small m;
    small_init(&m);
    char *h = render(&m.d);
    /* nothing from the input becomes markup */
    assert_null(strstr(h, "<script"));
    assert_null(strstr(h, "<img"));
    assert_null(strstr(h, "<b>HRBK"));
    assert_null(strstr(h, "<Q2>"));
    assert_non_null(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; &#39;single&#39; "
                              "&lt;img src=x onerror=alert(2)&gt;"));
    assert_non_null(strstr(h, "entity=&lt;b&gt;HRBK&lt;/b&gt;"));
    assert_non_null(strstr(h, "entity &quot;spike&quot; &amp; co"));
    assert_non_null(strstr(h, "feeds/day&amp;night.jsonl"));
    assert_non_null(strstr(h, "forum &amp; co"));
    assert_non_null(strstr(h, "<title>Back-test &lt;Q2&gt;</title>"));
    /* the page forbids scripts and network loads even if escaping failed */
    assert_non_null(strstr(h, "Content-Security-Policy\" content=\"default-src 'none'"));
    assert_null(strstr(h, "http://"));
    assert_null(strstr(h, "https://"));
    free(h);
}

static void test_bad_bytes(void **state) {
    (void)state;
    small m;
    small_init(&m);
    char longtext[1000];
    memset(longtext, 'x', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    memcpy(longtext + REPORT_SAMPLE_TEXT_MAX - 1, "é", 2); /* a character across the cut */
    m.s[0].text = "bad \xff\xfe bytes \xc0\xaf over\x01long \xed\xa0\x80 surrogate";
    m.s[1].text = longtext;
    char *h = render(&m.d);
    assert_non_null(strstr(h, "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes \xEF\xBF\xBD\xEF\xBF\xBD over long "
                              "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD surrogate"));
    char want[REPORT_SAMPLE_TEXT_MAX + 8];
    memset(want, 'x', REPORT_SAMPLE_TEXT_MAX - 1);
    strcpy(want + REPORT_SAMPLE_TEXT_MAX - 1, "…<");
    assert_non_null(strstr(h, want));
    assert_null(strstr(h, "xxxé"));
    free(h);
}

/* Rule counts, open times and repeats come from the alert ids. */
static void test_life_cycle(void **state) {
    (void)state;
    small m;
    small_init(&m);
    char *h = render(&m.d);
    assert_non_null(strstr(h, "00:40–00:45<div class=\"id\">open 10m</div>"));
    assert_null(strstr(h, "sent again"));
    /* each rule: fired once, on one key */
    assert_int_equal(count(h, "</span></td><td class=\"n\">1</td><td class=\"n\">1</td></tr>"), 2);
    free(h);

    /* the first alert sent again (a repeat) instead of resolved; a second
     * firing of the same rule on another key */
    m.a[1].status = REPORT_FIRING;
    m.a[2].rule = "oil-spike";
    h = render(&m.d);
    assert_non_null(strstr(h, "00:40–00:45<div class=\"id\">sent again</div>"));
    assert_null(strstr(h, "open 10m"));
    assert_non_null(strstr(h, "</span></td><td class=\"n\">2</td><td class=\"n\">2</td></tr>"));
    assert_non_null(strstr(h, "</span></td><td class=\"n\">0</td><td class=\"n\">0</td></tr>"));
    free(h);
}

static void test_deterministic(void **state) {
    (void)state;
    small m;
    small_init(&m);
    char *a = render(&m.d), *b = render(&m.d);
    assert_string_equal(a, b);
    /* no generation time unless given */
    assert_null(strstr(a, "generated"));
    m.d.generated_at = "2024-05-02T08:00:00Z";
    char *c = render(&m.d);
    assert_non_null(strstr(c, "generated 2024-05-02T08:00:00Z"));
    free(a);
    free(b);
    free(c);
}

static void test_limits(void **state) {
    (void)state;
    small m;
    small_init(&m);
    m.d.max_alert_charts = 1;
    m.d.busiest_keys = 0;
    char *h = render(&m.d);
    assert_int_equal(count(h, "<svg class=\"chart\""), 1);
    assert_non_null(strstr(h, "1 more keys with alerts are not charted"));
    /* the uncharted key's row has no link */
    assert_non_null(strstr(h, "<td class=\"mono\">entity=&lt;b&gt;HRBK&lt;/b&gt;</td>"));
    free(h);

    small_init(&m);
    m.d.max_table_rows = 2;
    h = render(&m.d);
    assert_int_equal(count(h, "<tr class=\"alert-row\">"), 2);
    assert_non_null(strstr(h, "1 more alerts not listed"));
    free(h);

    /* a long series is averaged down to max_points */
    enum { N = 1000 };
    report_window *w = xcalloc(N, sizeof *w);
    fill_windows(w, N, 10, 500);
    report_series s = {.key = "*", .windows = w, .n_windows = N};
    report_data d;
    report_data_init(&d);
    d.series = &s;
    d.n_series = 1;
    d.max_points = 100;
    h = render(&d);
    assert_int_equal(count(h, "class=\"bar\""), 100);
    assert_non_null(strstr(h, "each point averages 10 windows"));
    assert_non_null(strstr(h, "(mean of 10)"));
    free(h);
    free(w);
}

static void test_gaps_and_empty(void **state) {
    (void)state;
    report_data d;
    report_data_init(&d);
    char *h = render(&d);
    assert_int_equal(count(h, "<svg"), 0);
    assert_non_null(strstr(h, "No alert would have fired."));
    assert_non_null(strstr(h, "nothing to chart"));
    free(h);

    /* a key seen in two separate stretches: the line breaks; a lone window is a dot */
    report_window w[4];
    fill_windows(w, 4, 10, -1);
    w[2].start_ms += 10 * MIN5;
    w[2].end_ms += 10 * MIN5;
    w[3].start_ms += 20 * MIN5;
    w[3].end_ms += 20 * MIN5;
    report_series s = {.key = "entity=GAP", .windows = w, .n_windows = 4};
    d.series = &s;
    d.n_series = 1;
    h = render(&d);
    assert_int_equal(count(h, "class=\"share\""), 1);
    assert_int_equal(count(h, "class=\"dot\""), 2);
    free(h);

    /* one 10-second window: the axis is labelled in seconds */
    report_window one = {.start_ms = T0 + 20000, .end_ms = T0 + 30000, .count = 3, .negatives = 1,
                         .negative_share = 1.0 / 3};
    s = (report_series){.key = "entity=ONE", .windows = &one, .n_windows = 1};
    h = render(&d);
    assert_non_null(strstr(h, ">00:00:25</text>"));
    assert_int_equal(count(h, "class=\"dot\""), 1);
    free(h);
}

static void expect_error(const report_data *d, const char *want) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    char err[256] = "";
    assert_int_equal(report_write_html(f, d, err, sizeof err), -1);
    fclose(f);
    free(buf);
    if (!strstr(err, want)) fail_msg("error '%s' does not contain '%s'", err, want);
}

static void test_bad_input(void **state) {
    (void)state;
    small m;
    small_init(&m);
    m.w[1][5].start_ms = T0; /* out of order */
    expect_error(&m.d, "series[1].windows[5]: windows out of order");
    small_init(&m);
    m.w[0][2].negatives = m.w[0][2].count + 1;
    expect_error(&m.d, "series[0].windows[2]: bad counts");
    small_init(&m);
    m.w[2][0].end_ms = m.w[2][0].start_ms;
    expect_error(&m.d, "series[2].windows[0]: empty window");
    small_init(&m);
    m.series[2].key = NULL;
    expect_error(&m.d, "series[2]: no key");
    small_init(&m);
    m.a[2].n_samples = -1;
    expect_error(&m.d, "series[1].alerts[0]: bad sample count");
    small_init(&m);
    add_words(&m);
    m.a[0].n_why = -1;
    expect_error(&m.d, "series[0].alerts[0]: bad why count");
    small_init(&m);
    add_words(&m);
    m.s[1].words = NULL;
    expect_error(&m.d, "series[0].alerts[0].samples[1]: bad word count");
    small_init(&m);
    m.d.max_points = -1;
    expect_error(&m.d, "limit is negative");

    char err[256];
    small_init(&m);
    assert_int_equal(report_write_file("/nonexistent-dir/r.html", &m.d, err, sizeof err), -1);
    assert_string_equal(err, "/nonexistent-dir/r.html: cannot write: No such file or directory");
    assert_int_equal(report_write_file("/dev/full", &m.d, err, sizeof err), -1);
    assert_string_equal(err, "/dev/full: report: write failed: No space left on device");
}

/* ---- a simulated day, as the back-test would report it ---------------- */

#define DAY_WIN 288 /* 5-minute windows */
#define DAY_KEYS 10

typedef struct day {
    report_window w[DAY_KEYS][DAY_WIN];
    report_alert a[DAY_KEYS][16];
    report_sample s[DAY_KEYS][16][3];
    report_word words[5][3]; /* the top words of day_texts[i] */
    int n_words[5];
    report_word why[3];
    report_series series[DAY_KEYS];
    report_rule rules[3];
    report_count dead[3];
    report_data d;
} day;

static uint32_t lcg(uint32_t *st) {
    *st = *st * 1664525u + 1013904223u;
    return *st >> 8;
}

static const char *day_texts[] = {
    "Refinery outage at Rotterdam hub deepens supply worries; Brent jumps 4%",
    "HRBK shares slump after lender cuts full-year guidance and flags bad loans",
    "<script>alert(1)</script> this is terrible news & \"nobody\" saw it coming",
    "Analysts warn of further downgrades as margins collapse",
    "Regulator opens probe into trading irregularities",
};

/* The words an explanation would mark in day_texts[i], most weight first. */
static const char *const day_words[5][3] = {
    {"outage", "worries", NULL},
    {"slump", "cuts", "bad"},
    {"terrible", NULL, NULL},
    {"downgrades", "collapse", "warn"},
    {"probe", "irregularities", NULL},
};

static void day_words_init(day *m) {
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 3 && day_words[i][j]; j++) {
            const char *at = strstr(day_texts[i], day_words[i][j]);
            assert_non_null(at);
            int32_t start = (int32_t)(at - day_texts[i]);
            m->words[i][j] = (report_word){day_words[i][j], start, start + (int32_t)strlen(day_words[i][j]), 3.0 - j};
            m->n_words[i] = j + 1;
        }
    m->why[0] = (report_word){.word = "slump", .weight = 6.5};
    m->why[1] = (report_word){.word = "downgrades", .weight = 3.25};
    m->why[2] = (report_word){.word = "probe", .weight = 1.5};
}

/* An EWMA baseline, a z-score rule with warm-up, fire/resolve as the
 * alerts engine does, the words behind the alerts: enough to make the
 * report look like a real one. */
static void day_init(day *m) {
    static const char *keys[DAY_KEYS] = {"*", "topic=Energy / Oil", "entity=HRBK", "entity=NVLT",
                                         "topic=Earnings", "entity=AAPL", "entity=MSFT", "topic=Macro",
                                         "entity=TSLA", "entity=AAPL,topic=Earnings"};
    static const int base[DAY_KEYS] = {400, 60, 25, 18, 80, 40, 35, 70, 30, 12};
    static const int spike_at[DAY_KEYS] = {-1, 150, 102, 210, -1, -1, -1, -1, -1, -1};
    static const int spike_len[DAY_KEYS] = {0, 8, 5, 3, 0, 0, 0, 0, 0, 0};
    memset(m, 0, sizeof *m);
    day_words_init(m);
    uint32_t st = 7;
    for (int k = 0; k < DAY_KEYS; k++) {
        double mean = 0, var = 0;
        int firing = 0, quiet = 0, na = 0;
        char *id = NULL;
        for (int i = 0; i < DAY_WIN; i++) {
            double diurnal = 0.55 + 0.45 * sin((i - 72) * 2 * M_PI / DAY_WIN);
            int64_t c = (int64_t)(base[k] * diurnal) + (int64_t)(lcg(&st) % (base[k] / 4 + 2));
            double p = 0.12 + (lcg(&st) % 100) / 1500.0;
            bool spike = spike_at[k] >= 0 && i >= spike_at[k] && i < spike_at[k] + spike_len[k];
            if (spike) { c = c * 2 + 10; p = 0.55 + (lcg(&st) % 100) / 500.0; }
            int64_t neg = (int64_t)(c * p);
            double share = c ? (double)neg / (double)c : 0;
            report_window *w = &m->w[k][i];
            *w = (report_window){.start_ms = T0 + i * MIN5, .end_ms = T0 + (i + 1) * MIN5, .count = c,
                                 .negatives = neg, .negative_share = share, .has_baseline = i >= 12,
                                 .baseline_mean = mean, .baseline_std = sqrt(var)};
            double sd = sqrt(var) > 0.02 ? sqrt(var) : 0.02;
            double z = (share - mean) / sd;
            bool holds = i >= 12 && c >= 10 && share >= 0.4 && z >= 3;
            if (holds && !firing && na < 15) {
                id = xasprintf("%08x%08x", (unsigned)k * 2654435761u, (unsigned)i * 40503u);
                report_sample *sm = m->s[k][na];
                for (int j = 0; j < 3; j++)
                    sm[j] = (report_sample){.id = "msg", .source = j == 1 ? "reddit/r/stocks" : "newswire",
                                            .ts_ms = w->start_ms + 1000 * j, .text = day_texts[(k + j) % 5],
                                            .p_negative = 0.97 - 0.03 * j, .words = m->words[(k + j) % 5],
                                            .n_words = m->n_words[(k + j) % 5]};
                m->a[k][na++] = (report_alert){.id = id, .rule = k == 1 || k == 4 ? "topic-negative-spike"
                                                                                   : "entity-negative-spike",
                                               .status = REPORT_FIRING, .window_start_ms = w->start_ms,
                                               .window_end_ms = w->end_ms,
                                               .severity = k == 1 ? "critical" : "warning", .count = c,
                                               .negatives = neg, .negative_share = share, .baseline_share = mean,
                                               .zscore = z, .ratio = mean > 0 ? share / mean : 0, .samples = sm,
                                               .n_samples = 3, .why = m->why, .n_why = 3};
                firing = 1;
                quiet = 0;
            } else if (firing && !holds && ++quiet >= 2 && na < 16) {
                const report_alert *f = &m->a[k][na - 1];
                m->a[k][na] = (report_alert){.id = id, .rule = f->rule, .status = REPORT_RESOLVED,
                                               .window_start_ms = w->start_ms, .window_end_ms = w->end_ms,
                                               .severity = f->severity, .count = c, .negatives = neg,
                                               .negative_share = share, .baseline_share = mean, .zscore = z,
                                               .ratio = mean > 0 ? share / mean : 0};
                na++;
                firing = 0;
            } else if (holds) {
                quiet = 0;
            }
            double diff = share - mean;
            double incr = 0.1 * diff;
            mean = i == 0 ? share : mean + incr;
            var = i == 0 ? 0 : 0.9 * (var + diff * incr);
        }
        m->series[k] = (report_series){.key = keys[k], .windows = m->w[k], .n_windows = DAY_WIN,
                                       .alerts = m->a[k], .n_alerts = na};
    }
    m->rules[0] = (report_rule){"topic-negative-spike", "topic",
                                "count ≥ 10, negative share ≥ 40% and z-score ≥ 3 over the baseline", "critical"};
    m->rules[1] = (report_rule){"entity-negative-spike", "entity",
                                "count ≥ 10, negative share ≥ 40% and z-score ≥ 3 over the baseline", "warning"};
    m->rules[2] = (report_rule){"global-drift", "global", "negative share ≥ 35% for 3 windows", "info"};
    m->dead[0] = (report_count){"invalid_json", 14};
    m->dead[1] = (report_count){"invalid_utf8", 3};
    m->dead[2] = (report_count){"empty_text", 6};
    report_data_init(&m->d);
    m->d.title = "Back-test: sample day";
    m->d.feed = "tests/fixtures/day.jsonl";
    m->d.config = "configs/finsent.json";
    m->d.settings = "5m tumbling windows · allowed lateness 30s · EWMA baseline α = 0.1, warm-up 12 windows";
    m->d.rules = m->rules;
    m->d.n_rules = 3;
    int64_t msgs = 0, fired = 0, resolved = 0;
    for (int i = 0; i < DAY_WIN; i++) msgs += m->w[0][i].count;
    for (int k = 0; k < DAY_KEYS; k++)
        for (int j = 0; j < m->series[k].n_alerts; j++) {
            if (m->a[k][j].status == REPORT_FIRING) fired++;
            else resolved++;
        }
    m->d.totals = (report_totals){.messages = msgs + 23, .dead_letters = m->dead, .n_dead_letters = 3,
                                  .late_events = 7, .alerts_fired = fired, .alerts_resolved = resolved};
    m->d.series = m->series;
    m->d.n_series = DAY_KEYS;
}

static void day_free(day *m) {
    for (int k = 0; k < DAY_KEYS; k++)
        for (int j = 0; j < m->series[k].n_alerts; j++)
            if (m->a[k][j].status == REPORT_FIRING) free((char *)m->a[k][j].id);
}

static void test_day_report(void **state) {
    (void)state;
    day *m = xcalloc(1, sizeof *m);
    day_init(m);
    int alerted = 0, n_alerts = 0;
    for (int k = 0; k < DAY_KEYS; k++) {
        alerted += m->series[k].n_alerts > 0;
        n_alerts += m->series[k].n_alerts;
    }
    assert_int_equal(alerted, 3); /* the three spikes and nothing else */
    char *h = render(&m->d);
    assert_int_equal(count(h, "<svg class=\"chart\""), alerted + m->d.busiest_keys);
    assert_int_equal(count(h, "class=\"alert-marker "), n_alerts);
    assert_int_equal(count(h, "<tr class=\"alert-row\">"), n_alerts);
    for (int k = 0; k < DAY_KEYS; k++)
        for (int j = 0; j < m->series[k].n_alerts; j++) {
            char want[64];
            snprintf(want, sizeof want, "data-alert=\"%s\"", m->a[k][j].id);
            assert_non_null(strstr(h, want));
        }
    assert_null(strstr(h, "<script"));
    assert_true(count(h, "<ul class=\"why\"><li><mark>slump</mark>") > 0);
    assert_true(strlen(h) < 1000000);
    const char *out = getenv("REPORT_OUT");
    if (out && *out) {
        char err[256];
        if (report_write_file(out, &m->d, err, sizeof err) != 0) fail_msg("%s", err);
    }
    free(h);
    day_free(m);
    free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure),     cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_bad_bytes),     cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_limits),        cmocka_unit_test(test_gaps_and_empty),
        cmocka_unit_test(test_bad_input),     cmocka_unit_test(test_day_report),
        cmocka_unit_test(test_life_cycle),    cmocka_unit_test(test_words),
    };
    return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
