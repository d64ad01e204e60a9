/* report — renders the back-test report as one self-contained HTML page;
 * see report.h for what the page holds.
 *
 * Layout of a chart (SVG user units; the SVG scales to the page width):
 * a negative-share panel on top, a volume panel below, one UTC time axis
 * shared by every chart. Everything written goes through put_esc (text
 * from the input) or is ASCII made here (numbers, times, markup). */
#include "app/report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/errmsg.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* chart geometry */
#define CH_W 1100.0
#define CH_H 344.0
#define CH_L 72.0  /* left margin: y tick labels and axis titles */
#define CH_R 18.0
#define CH_PW (CH_W - CH_L - CH_R)
#define SH_TOP 14.0 /* share panel */
#define SH_H 176.0
#define VO_TOP 212.0 /* volume panel */
#define VO_H 78.0
#define AX_Y (VO_TOP + VO_H) /* time axis line */

void report_data_init(report_data *d) {
    memset(d, 0, sizeof *d);
    d->max_alert_charts = 24;
    d->busiest_keys = 4;
    d->max_points = 600;
    d->max_table_rows = 500;
    d->max_samples = 3;
}

/* ---- escaping ---------------------------------------------------------- */

/* Bytes of s[0..n) that put_esc shows under a cut at max bytes (0: all),
 * on a character boundary. */
static size_t esc_cut(const char *s, size_t n, size_t max) { return max ? utf8_cut(s, n, max) : n; }

/* Writes s[0..n) escaped for HTML text and quoted attribute values.
 * Invalid UTF-8 becomes U+FFFD; control characters other than newline
 * become spaces. */
static void put_esc_n(FILE *o, const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t used = 0;
    while (used < n) {
        int32_t cp;
        size_t len = p[used] < 0x80 ? 1 : utf8_next(s + used, n - used, &cp);
        if (len == 0) { fputs("\xEF\xBF\xBD", o); used++; continue; }
        unsigned char c = p[used];
        switch (c) {
        case '&': fputs("&amp;", o); break;
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '"': fputs("&quot;", o); break;
        case '\'': fputs("&#39;", o); break;
        case '\n': fputc('\n', o); break;
        default:
            if (c < 0x20 || c == 0x7F) fputc(' ', o);
            else fwrite(p + used, 1, len, o);
        }
        used += len;
    }
}

/* Writes s (NULL as "") escaped as put_esc_n does. At most max bytes of s
 * are written (0: all), cut on a character boundary and followed by "…". */
static void put_esc(FILE *o, const char *s, size_t max) {
    if (!s) return;
    size_t n = strlen(s), cut = esc_cut(s, n, max);
    put_esc_n(o, s, cut);
    if (cut < n) fputs(UTF8_ELLIPSIS, o);
}

static int cmp_word_start(const void *x, const void *y) {
    const report_word *a = x, *b = y;
    return (a->start > b->start) - (a->start < b->start);
}

/* s as put_esc writes it, with the byte spans of w[0..n) inside <mark>
 * (spans out of the shown text, empty or overlapping an earlier one are
 * left unmarked). */
static void put_marked(FILE *o, const char *s, const report_word *w, int n, size_t max) {
    if (!s) return;
    size_t len = strlen(s), cut = esc_cut(s, len, max), from = 0;
    report_word *sorted = xmalloc(sizeof *sorted * (size_t)(n ? n : 1));
    if (n) memcpy(sorted, w, sizeof *sorted * (size_t)n);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_word_start);
    for (int i = 0; i < n; i++) {
        size_t a = (size_t)sorted[i].start, b = (size_t)sorted[i].end;
        if (sorted[i].start < 0 || a < from || b <= a || b > cut) continue;
        put_esc_n(o, s + from, a - from);
        fputs("<mark>", o);
        put_esc_n(o, s + a, b - a);
        fputs("</mark>", o);
        from = b;
    }
    put_esc_n(o, s + from, cut - from);
    if (cut < len) fputs(UTF8_ELLIPSIS, o);
    free(sorted);
}

/* ---- numbers and times ----------------------------------------------- */

/* 1234567 as "1,234,567" into buf (>= 32 bytes). */
static const char *fmt_int(int64_t v, char *buf) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%" PRId64, v < 0 ? -v : v);
    size_t n = strlen(tmp), j = 0;
    if (v < 0) buf[j++] = '-';
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) buf[j++] = ',';
        buf[j++] = tmp[i];
    }
    buf[j] = '\0';
    return buf;
}

/* A share 0..1 as "12.3%", "–" when not finite. */
static const char *fmt_pct(double v, char *buf, size_t len) {
    if (!isfinite(v)) snprintf(buf, len, "–");
    else snprintf(buf, len, "%.1f%%", v * 100.0);
    return buf;
}

static const char *fmt_num(double v, char *buf, size_t len) {
    if (!isfinite(v)) snprintf(buf, len, "–");
    else snprintf(buf, len, "%.2f", v);
    return buf;
}

static void utc_tm(int64_t ms, struct tm *tm) {
    int64_t s = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
    time_t t = (time_t)s;
    gmtime_r(&t, tm);
}

/* "2024-05-01 12:05" (UTC). */
static const char *fmt_time(int64_t ms, char *buf, size_t len) {
    struct tm tm;
    utc_tm(ms, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
    return buf;
}

/* "2024-05-01 12:00–12:05", or both ends in full when the days differ
 * (an end at midnight counts as the same day). */
static const char *fmt_span(int64_t start, int64_t end, char *buf, size_t len) {
    struct tm a, b, c;
    utc_tm(start, &a);
    utc_tm(end, &b);
    utc_tm(end - 1, &c);
    char s[24], e[24];
    if (strftime(s, sizeof s, "%Y-%m-%d %H:%M", &a) == 0) s[0] = '\0';
    const char *efmt = a.tm_yday == c.tm_yday && a.tm_year == c.tm_year ? "%H:%M" : "%Y-%m-%d %H:%M";
    if (strftime(e, sizeof e, efmt, &b) == 0) e[0] = '\0';
    snprintf(buf, len, "%s–%s", s, e);
    return buf;
}

/* ---- chart data ------------------------------------------------------ */

/* A displayed point: one window, or the average of k neighbouring ones. */
typedef struct pt {
    int64_t start, end;
    double count;     /* messages per window */
    double share;
    bool has_bl;
    double bl_mean, bl_std;
} pt;

/* Points of a series, averaging runs of k windows so that at most
 * max_points remain (max_points 0: no limit). Caller frees *out. */
static int make_points(const report_series *s, int max_points, pt **out, int *k_out) {
    int n = s->n_windows;
    int k = (max_points > 0 && n > max_points) ? (n + max_points - 1) / max_points : 1;
    int np = (n + k - 1) / k;
    pt *p = xcalloc(np > 0 ? (size_t)np : 1, sizeof *p);
    for (int i = 0; i < np; i++) {
        int a = i * k, b = a + k < n ? a + k : n, nb = 0;
        int64_t cnt = 0, neg = 0;
        double m = 0, sd = 0;
        for (int j = a; j < b; j++) {
            const report_window *w = &s->windows[j];
            cnt += w->count;
            neg += w->negatives;
            if (w->has_baseline && isfinite(w->baseline_mean) && isfinite(w->baseline_std)) {
                m += w->baseline_mean;
                sd += w->baseline_std;
                nb++;
            }
        }
        p[i].start = s->windows[a].start_ms;
        p[i].end = s->windows[b - 1].end_ms;
        p[i].count = (double)cnt / (b - a);
        p[i].share = k == 1 ? s->windows[a].negative_share : (cnt > 0 ? (double)neg / (double)cnt : 0.0);
        if (!isfinite(p[i].share)) p[i].share = 0;
        p[i].has_bl = nb > 0;
        p[i].bl_mean = nb ? m / nb : 0;
        p[i].bl_std = nb ? sd / nb : 0;
    }
    *out = p;
    *k_out = k;
    return np;
}

typedef struct axis {
    int64_t t0, t1; /* the time span of every chart */
} axis;

static double xt(const axis *ax, double t) {
    return CH_L + (t - (double)ax->t0) / (double)(ax->t1 - ax->t0) * CH_PW;
}

/* The share panel's top: the smallest of a fixed ladder that holds v. */
static double share_top(double v, double *step) {
    static const double tops[][2] = {{0.05, 0.01}, {0.1, 0.02}, {0.2, 0.05}, {0.3, 0.1}, {0.4, 0.1},
                                     {0.5, 0.1},   {0.6, 0.2},  {0.8, 0.2},  {1.0, 0.25}};
    for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++)
        if (v <= tops[i][0]) { *step = tops[i][1]; return tops[i][0]; }
    *step = 0.25;
    return 1.0;
}

/* The smallest of 1, 2, 2.5, 5 × 10^n that is >= v (v >= 1). */
static double nice_ceil(double v) {
    double p = 1;
    while (p * 10 < v) p *= 10;
    static const double m[] = {1, 2, 2.5, 5, 10};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (m[i] * p >= v) return m[i] * p;
    return 10 * p;
}

/* The time axis ticks: the first step of the ladder giving at most 9. */
static int64_t tick_step(const axis *ax) {
    static const int64_t steps[] = {1000,     5000,      10000,     30000,      60000,    120000,    300000,    600000,     900000,     1800000,
                                    3600000,  7200000,   10800000,  21600000,   43200000,   86400000,
                                    172800000, 604800000, 1209600000, 2592000000LL, 7776000000LL, 31536000000LL};
    int64_t span = ax->t1 - ax->t0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (span / steps[i] <= 9) return steps[i];
    return span / 9 + 1;
}

static void put_time_axis(FILE *o, const axis *ax) {
    int64_t step = tick_step(ax);
    int64_t t = ax->t0 / step * step;
    if (t < ax->t0) t += step;
    int prev_yday = -1, prev_year = -1;
    for (int i = 0; t <= ax->t1 && i < 64; t += step, i++) {
        double x = xt(ax, (double)t);
        fprintf(o, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, SH_TOP, x,
                SH_TOP + SH_H);
        fprintf(o, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, VO_TOP, x, AX_Y);
        fprintf(o, "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, AX_Y, x, AX_Y + 4);
        struct tm tm;
        utc_tm(t, &tm);
        char hm[16], day[16];
        strftime(hm, sizeof hm, step < 60000 ? "%H:%M:%S" : "%H:%M", &tm);
        strftime(day, sizeof day, "%b %d", &tm);
        bool new_day = tm.tm_yday != prev_yday || tm.tm_year != prev_year;
        const char *cls = x > CH_L + CH_PW - 24 ? "xl xr" : "xl"; /* keep the last label inside */
        prev_yday = tm.tm_yday;
        prev_year = tm.tm_year;
        if (step >= 86400000) {
            fprintf(o, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\">%s</text>", cls, x, AX_Y + 16, day);
        } else {
            fprintf(o, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\">%s</text>", cls, x, AX_Y + 16, hm);
            if (new_day)
                fprintf(o, "<text class=\"%s day\" x=\"%.1f\" y=\"%.1f\">%s</text>", cls, x, AX_Y + 29, day);
        }
    }
    fprintf(o, "<text class=\"axt\" x=\"%.1f\" y=\"%.1f\">time (UTC)</text>", CH_L + CH_PW, AX_Y + 44);
}

/* A <title> tooltip body for one alert (one line per fact). */
static void put_alert_tip(FILE *o, const report_alert *a) {
    char b1[64], b2[32], b3[32], b4[32], b5[32], b6[32], b7[32];
    fputs(a->status == REPORT_FIRING ? "FIRING " : "RESOLVED ", o);
    put_esc(o, a->rule, 120);
    fputs(" (", o);
    put_esc(o, a->severity, 32);
    fprintf(o, ")\n%s UTC\n%s msgs, %s negative (%s)\nbaseline %s, z %s, ratio %s\nid ",
            fmt_span(a->window_start_ms, a->window_end_ms, b1, sizeof b1), fmt_int(a->count, b2),
            fmt_int(a->negatives, b3), fmt_pct(a->negative_share, b4, sizeof b4),
            fmt_pct(a->baseline_share, b5, sizeof b5), fmt_num(a->zscore, b6, sizeof b6),
            fmt_num(a->ratio, b7, sizeof b7));
    put_esc(o, a->id, 80);
}

/* The y of a share v in the share panel whose top is ytop, clamped to it. */
static double ys(double v, double ytop) {
    if (!(v > 0)) v = 0;
    if (v > ytop) v = ytop;
    return SH_TOP + SH_H - v / ytop * SH_H;
}

/* Writes the band (mean ± 2σ) and the baseline mean of one run of points
 * [a, b) that all have a baseline and no gap between them. */
static void put_band(FILE *o, const axis *ax, const pt *p, int a, int b, double ytop) {
    if (b - a == 1) {
        double x0 = xt(ax, (double)p[a].start), x1 = xt(ax, (double)p[a].end);
        double hi = ys(p[a].bl_mean + 2 * p[a].bl_std, ytop), lo = ys(p[a].bl_mean - 2 * p[a].bl_std, ytop);
        fprintf(o, "<rect class=\"band\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", x0, hi, x1 - x0,
                lo - hi);
        return;
    }
    fputs("<polygon class=\"band\" points=\"", o);
    for (int i = a; i < b; i++)
        fprintf(o, "%.1f,%.1f ", xt(ax, (p[i].start + p[i].end) / 2.0), ys(p[i].bl_mean + 2 * p[i].bl_std, ytop));
    for (int i = b - 1; i >= a; i--)
        fprintf(o, "%.1f,%.1f ", xt(ax, (p[i].start + p[i].end) / 2.0), ys(p[i].bl_mean - 2 * p[i].bl_std, ytop));
    fputs("\"/><polyline class=\"mean\" points=\"", o);
    for (int i = a; i < b; i++)
        fprintf(o, "%.1f,%.1f ", xt(ax, (p[i].start + p[i].end) / 2.0), ys(p[i].bl_mean, ytop));
    fputs("\"/>", o);
}

/* One key's chart: <svg class="chart">…</svg>. */
static void put_chart(FILE *o, const report_data *d, const report_series *s, const axis *ax) {
    pt *p;
    int k;
    int np = make_points(s, d->max_points, &p, &k);

    double smax = 0, cmax = 0;
    for (int i = 0; i < np; i++) {
        if (p[i].share > smax) smax = p[i].share;
        if (p[i].has_bl && p[i].bl_mean + 2 * p[i].bl_std > smax) smax = p[i].bl_mean + 2 * p[i].bl_std;
        if (p[i].count > cmax) cmax = p[i].count;
    }
    for (int i = 0; i < s->n_alerts; i++)
        if (isfinite(s->alerts[i].negative_share) && s->alerts[i].negative_share > smax)
            smax = s->alerts[i].negative_share;
    double sstep, stop = share_top(smax * 1.05, &sstep);
    double ctop = nice_ceil(cmax < 1 ? 1 : cmax);

    fprintf(o, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", CH_W, CH_H);
    put_esc(o, s->key, 200);
    fputs(": negative share and volume\">\n", o);

    /* panels, y grids and y labels */
    fprintf(o, "<rect class=\"panel\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", CH_L, SH_TOP, CH_PW,
            SH_H);
    fprintf(o, "<rect class=\"panel\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", CH_L, VO_TOP, CH_PW,
            VO_H);
    for (int i = 0; i * sstep <= stop + 1e-9; i++) {
        double v = i * sstep, y = ys(v, stop);
        fprintf(o, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", CH_L, y, CH_L + CH_PW,
                y);
        fprintf(o, "<text class=\"yl\" x=\"%.1f\" y=\"%.1f\">%g%%</text>", CH_L - 6, y + 4, v * 100);
    }
    for (int i = 0; i <= 2; i++) {
        double v = ctop * i / 2, y = VO_TOP + VO_H - v / ctop * VO_H;
        fprintf(o, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", CH_L, y, CH_L + CH_PW,
                y);
        fprintf(o, "<text class=\"yl\" x=\"%.1f\" y=\"%.1f\">%g</text>", CH_L - 6, y + 4, v);
    }
    fprintf(o, "<text class=\"axt\" transform=\"translate(16 %.1f) rotate(-90)\">negative share</text>",
            SH_TOP + SH_H / 2);
    fprintf(o, "<text class=\"axt\" transform=\"translate(16 %.1f) rotate(-90)\">msgs/window</text>\n",
            VO_TOP + VO_H / 2);
    put_time_axis(o, ax);
    fputs("\n", o);

    /* volume bars, with a tooltip per point */
    for (int i = 0; i < np; i++) {
        int64_t slot = p[i].end - p[i].start;
        if (i + 1 < np && p[i + 1].start < p[i].end && p[i + 1].start > p[i].start) slot = p[i + 1].start - p[i].start;
        double mid = (p[i].start + p[i].end) / 2.0;
        double w = xt(ax, (double)ax->t0 + (double)slot) - CH_L;
        double gap = w > 3 ? w * 0.15 : 0;
        double h = p[i].count / ctop * VO_H;
        char b1[64], b2[32], b3[32], b4[32], b5[32];
        fprintf(o, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%s UTC\n",
                xt(ax, mid) - w / 2 + gap / 2, VO_TOP + VO_H - h, w - gap, h,
                fmt_span(p[i].start, p[i].end, b1, sizeof b1));
        if (k > 1) fprintf(o, "%.1f msgs/window (mean of %d)", p[i].count, k);
        else fprintf(o, "%s msgs", fmt_int((int64_t)p[i].count, b2));
        fprintf(o, ", %s negative", fmt_pct(p[i].share, b3, sizeof b3));
        if (p[i].has_bl)
            fprintf(o, "\nbaseline %s ± %s (σ)", fmt_pct(p[i].bl_mean, b4, sizeof b4),
                    fmt_pct(p[i].bl_std, b5, sizeof b5));
        fputs("</title></rect>\n", o);
    }

    /* baseline band and mean, in runs without gaps or warm-up */
    for (int a = 0; a < np;) {
        if (!p[a].has_bl) { a++; continue; }
        int b = a + 1;
        while (b < np && p[b].has_bl && p[b].start <= p[b - 1].end) b++;
        put_band(o, ax, p, a, b, stop);
        a = b;
    }
    fputs("\n", o);

    /* negative share line, broken at gaps; a dot where a run is one point */
    for (int a = 0; a < np;) {
        int b = a + 1;
        while (b < np && p[b].start <= p[b - 1].end) b++;
        if (b - a == 1) {
            fprintf(o, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"2\"/>", xt(ax, (p[a].start + p[a].end) / 2.0),
                    ys(p[a].share, stop));
        } else {
            fputs("<polyline class=\"share\" points=\"", o);
            for (int i = a; i < b; i++) fprintf(o, "%.1f,%.1f ", xt(ax, (p[i].start + p[i].end) / 2.0), ys(p[i].share, stop));
            fputs("\"/>", o);
        }
        a = b;
    }
    fputs("\n", o);

    /* alert markers: a line through both panels, a point on the share, a tooltip */
    for (int i = 0; i < s->n_alerts; i++) {
        const report_alert *al = &s->alerts[i];
        bool firing = al->status == REPORT_FIRING;
        double x = xt(ax, (al->window_start_ms + al->window_end_ms) / 2.0);
        double y = ys(isfinite(al->negative_share) ? al->negative_share : 0, stop);
        fprintf(o, "<g class=\"alert-marker %s\" data-alert=\"", firing ? "firing" : "resolved");
        put_esc(o, al->id, 80);
        fputs("\"><title>", o);
        put_alert_tip(o, al);
        fprintf(o, "</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, SH_TOP, x, AX_Y);
        if (firing)
            fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\"/><path d=\"M%.1f %.1fl-5 -8h10z\"/>", x, y, x,
                    SH_TOP - 1);
        else
            fprintf(o, "<path d=\"M%.1f %.1fl4 4l-4 4l-4 -4z\"/>", x, y - 4);
        fputs("</g>\n", o);
    }
    fputs("</svg>\n", o);
    free(p);
}

/* ---- page sections --------------------------------------------------- */

static const char *page_css =
    "body{font:14px/1.45 -apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,'Noto Sans CJK SC','PingFang SC',"
    "'Microsoft YaHei',sans-serif;color:#1d2430;"
    "background:#f4f6f9;margin:0}\n"
    "main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}\n"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 10px;border-bottom:1px solid #d5dbe3;"
    "padding-bottom:4px}h3{font-size:15px;margin:0;font-family:ui-monospace,Menlo,Consolas,'Noto Sans Mono CJK SC',monospace}\n"
    ".meta{color:#5b6676;margin:0}.meta b{color:#1d2430;font-weight:600}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:12px}\n"
    ".card{background:#fff;border:1px solid #dde3ea;border-radius:6px;padding:10px 14px;min-width:120px}\n"
    ".card .v{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}.card .l{color:#5b6676;"
    "font-size:12px;text-transform:uppercase;letter-spacing:.04em}.card ul{margin:4px 0 0;padding-left:16px;"
    "font-size:12px;color:#5b6676}\n"
    "table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde3ea;font-size:13px}\n"
    "th,td{padding:6px 8px;border-bottom:1px solid #e6eaf0;text-align:left;vertical-align:top}\n"
    "th{background:#eef1f5;font-weight:600;white-space:nowrap}th.n{text-align:right}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums;white-space:nowrap}td.t{white-space:nowrap}td.s{min-width:300px}.scroll{overflow-x:auto}\n"
    "td.st .badge{display:block;width:max-content;margin-bottom:4px}table.alerts{font-size:12.5px}\n"
    ".mono{font-family:ui-monospace,Menlo,Consolas,'Noto Sans Mono CJK SC',monospace;font-size:12px}.id{color:#7a8594;font-size:11px}\n"
    ".badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:11px;font-weight:600;"
    "text-transform:uppercase;letter-spacing:.03em}\n"
    ".sev-critical{background:#fde2e1;color:#a3231b}.sev-warning{background:#fff0d1;color:#8a5a00}"
    ".sev-info{background:#e1ecfb;color:#1f4f8f}.st-firing{background:#c62f26;color:#fff}"
    ".st-resolved{background:#dff3e6;color:#1d6b3b}\n"
    "ol.samples{margin:0;padding-left:18px}ol.samples li{margin-bottom:3px}.p{color:#a3231b;font-weight:600;"
    "font-variant-numeric:tabular-nums}.src{color:#7a8594}\n"
    "mark{background:#fde2e1;color:#7d1a14;padding:0 2px;border-radius:2px}td.why{min-width:110px}"
    "ul.why{margin:0;padding-left:0;list-style:none}ul.why li{white-space:nowrap}ul.why .w{color:#7a8594;"
    "font-size:11px;font-variant-numeric:tabular-nums}\n"
    ".chartbox{background:#fff;border:1px solid #dde3ea;border-radius:6px;padding:12px 14px 6px;margin:14px 0}\n"
    ".chartbox .sub{color:#5b6676;font-size:12px;margin:2px 0 4px}\n"
    ".legend{display:flex;flex-wrap:wrap;gap:18px;font-size:12px;color:#5b6676;margin:6px 0}\n"
    ".sw{display:inline-block;width:18px;height:10px;margin-right:6px;vertical-align:middle;border-radius:2px}\n"
    "svg.chart{width:100%;height:auto;display:block}\n"
    "svg .panel{fill:#fbfcfd;stroke:#cfd6df}svg .grid{stroke:#e8ecf1}svg .tick{stroke:#8a94a3}\n"
    "svg text{font:11px -apple-system,'Segoe UI',Roboto,Arial,sans-serif;fill:#5b6676}\n"
    "svg .yl{text-anchor:end}svg .xl{text-anchor:middle}svg .xl.xr{text-anchor:end}svg .day{font-weight:600;fill:#1d2430}\n"
    "svg .axt{text-anchor:end;font-size:11px;fill:#1d2430}svg text[transform]{text-anchor:middle}\n"
    "svg .bar{fill:#9fb3c8}svg .bar:hover{fill:#5f7f9f}svg .band{fill:#f0b429;fill-opacity:.22;stroke:none}\n"
    "svg .mean{fill:none;stroke:#c98a00;stroke-width:1;stroke-dasharray:4 3}\n"
    "svg .share{fill:none;stroke:#1f5fa8;stroke-width:1.6;stroke-linejoin:round}svg .dot{fill:#1f5fa8}\n"
    "svg .alert-marker.firing line{stroke:#c62f26;stroke-width:1.4;stroke-opacity:.75}"
    "svg .alert-marker.firing circle,svg .alert-marker.firing path{fill:#c62f26;stroke:#fff;stroke-width:1}\n"
    "svg .alert-marker.resolved line{stroke:#2b8a4b;stroke-width:1.2;stroke-dasharray:3 3}"
    "svg .alert-marker.resolved path{fill:#2b8a4b;stroke:#fff;stroke-width:1}\n"
    ".note{color:#5b6676;font-size:12px}a{color:#1f5fa8}\n"
    "footer{margin-top:32px;color:#8a94a3;font-size:12px}\n";

static void put_card(FILE *o, const char *label, int64_t v) {
    char b[32];
    fprintf(o, "<div class=\"card\"><div class=\"v\">%s</div><div class=\"l\">%s</div></div>\n", fmt_int(v, b), label);
}

static void put_totals(FILE *o, const report_data *d, const axis *ax, int n_windows_total) {
    const report_totals *t = &d->totals;
    char b1[40], b2[40], b3[32], b4[32];
    int64_t dead = 0;
    for (int i = 0; i < t->n_dead_letters; i++) dead += t->dead_letters[i].n;
    fputs("<h2>Summary</h2>\n", o);
    if (ax->t1 > ax->t0)
        fprintf(o, "<p class=\"meta\">Period <b>%s</b> to <b>%s</b> UTC · <b>%s</b> keys · <b>%s</b> closed windows</p>\n",
                fmt_time(ax->t0, b1, sizeof b1), fmt_time(ax->t1, b2, sizeof b2), fmt_int(d->n_series, b3),
                fmt_int(n_windows_total, b4));
    fputs("<div class=\"cards\">\n", o);
    put_card(o, "messages", t->messages);
    fprintf(o, "<div class=\"card\"><div class=\"v\">%s</div><div class=\"l\">dead letters</div>", fmt_int(dead, b1));
    if (t->n_dead_letters > 0) {
        fputs("<ul>", o);
        for (int i = 0; i < t->n_dead_letters; i++) {
            fputs("<li>", o);
            put_esc(o, t->dead_letters[i].name, 64);
            fprintf(o, ": %s</li>", fmt_int(t->dead_letters[i].n, b1));
        }
        fputs("</ul>", o);
    }
    fputs("</div>\n", o);
    put_card(o, "late events", t->late_events);
    put_card(o, "alerts fired", t->alerts_fired);
    put_card(o, "alerts resolved", t->alerts_resolved);
    fputs("</div>\n", o);
}

/* An alert with the key it belongs to and what its id history says. */
typedef struct aref {
    const report_alert *a;
    const report_series *s;
    int chart;      /* index of the key's chart anchor, -1 when not charted */
    int seq;        /* input order, the last tie-break */
    bool repeat;    /* a firing sent again: an earlier firing has the same id */
    int64_t open_ms; /* resolved: time from the first firing's window end; -1 when unknown */
} aref;

static int cmp_id(const void *x, const void *y) {
    const aref *a = x, *b = y;
    int c = strcmp(a->a->id ? a->a->id : "", b->a->id ? b->a->id : "");
    if (c) return c;
    if (a->a->window_end_ms != b->a->window_end_ms) return a->a->window_end_ms < b->a->window_end_ms ? -1 : 1;
    if (a->a->status != b->a->status) return a->a->status < b->a->status ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Every alert of d as an aref (*n of them; caller frees), with repeats
 * and open times worked out per alert id. */
static aref *collect_alerts(const report_data *d, int *n) {
    int total = 0;
    for (int i = 0; i < d->n_series; i++) total += d->series[i].n_alerts;
    aref *r = xcalloc(total > 0 ? (size_t)total : 1, sizeof *r);
    int j = 0;
    for (int i = 0; i < d->n_series; i++)
        for (int k = 0; k < d->series[i].n_alerts; k++, j++)
            r[j] = (aref){.a = &d->series[i].alerts[k], .s = &d->series[i], .chart = -1, .seq = j, .open_ms = -1};
    qsort(r, (size_t)total, sizeof *r, cmp_id);
    for (int a = 0; a < total;) {
        int b = a + 1;
        while (b < total && r[a].a->id && r[b].a->id && strcmp(r[a].a->id, r[b].a->id) == 0) b++;
        const report_alert *first = NULL;
        for (int k = a; k < b; k++) {
            if (r[k].a->status == REPORT_FIRING) {
                if (first && r[k].a->id) r[k].repeat = true;
                else first = r[k].a;
            } else if (first) {
                r[k].open_ms = r[k].a->window_end_ms - first->window_end_ms;
                first = NULL;
            }
        }
        a = b;
    }
    *n = total;
    return r;
}

/* "45m", "2h 05m", "3d 4h". */
static const char *fmt_dur(int64_t ms, char *buf, size_t len) {
    int64_t m = ms / 60000;
    if (m < 60) snprintf(buf, len, "%" PRId64 "m", m);
    else if (m < 1440) snprintf(buf, len, "%" PRId64 "h %02" PRId64 "m", m / 60, m % 60);
    else snprintf(buf, len, "%" PRId64 "d %" PRId64 "h", m / 1440, m % 1440 / 60);
    return buf;
}

static int cmp_aref(const void *x, const void *y) {
    const aref *a = x, *b = y;
    if (a->a->window_end_ms != b->a->window_end_ms) return a->a->window_end_ms < b->a->window_end_ms ? -1 : 1;
    if (a->a->window_start_ms != b->a->window_start_ms) return a->a->window_start_ms < b->a->window_start_ms ? -1 : 1;
    int c = strcmp(a->s->key, b->s->key);
    if (c) return c;
    c = strcmp(a->a->rule ? a->a->rule : "", b->a->rule ? b->a->rule : "");
    if (c) return c;
    if (a->a->status != b->a->status) return a->a->status < b->a->status ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int cmp_ptr(const void *x, const void *y) {
    uintptr_t a = (uintptr_t) * (const void *const *)x, b = (uintptr_t) * (const void *const *)y;
    return (a > b) - (a < b);
}

static void put_rules(FILE *o, const report_data *d, const aref *al, int n_al) {
    fputs("<h2>Rules</h2>\n", o);
    if (d->settings) {
        fputs("<p class=\"meta\">", o);
        put_esc(o, d->settings, 400);
        fputs("</p>\n", o);
    }
    if (d->n_rules == 0) {
        fputs("<p class=\"note\">No rules configured.</p>\n", o);
        return;
    }
    fputs("<table class=\"rules\"><thead><tr><th>Rule</th><th>Scope</th><th>Fires when</th><th>Severity</th>"
          "<th class=\"n\">Fired</th><th class=\"n\">Keys</th></tr></thead><tbody>\n",
          o);
    const report_series **keyv = xcalloc(n_al > 0 ? (size_t)n_al : 1, sizeof *keyv);
    for (int i = 0; i < d->n_rules; i++) {
        const report_rule *r = &d->rules[i];
        /* firings that are not repeats, and the distinct keys they came from */
        int64_t fired = 0, keys = 0;
        for (int k = 0; k < n_al; k++) {
            if (al[k].a->status != REPORT_FIRING || al[k].repeat || !al[k].a->rule || !r->name ||
                strcmp(al[k].a->rule, r->name) != 0)
                continue;
            keyv[fired++] = al[k].s;
        }
        qsort(keyv, (size_t)fired, sizeof *keyv, cmp_ptr);
        for (int64_t k = 0; k < fired; k++) keys += k == 0 || keyv[k] != keyv[k - 1];
        fputs("<tr><td class=\"mono\">", o);
        put_esc(o, r->name, 120);
        fputs("</td><td>", o);
        put_esc(o, r->scope, 40);
        fputs("</td><td>", o);
        put_esc(o, r->conditions, 400);
        fputs("</td><td><span class=\"badge sev-", o);
        put_esc(o, r->severity, 32);
        fputs("\">", o);
        put_esc(o, r->severity, 32);
        char b1[32], b2[32];
        fprintf(o, "</span></td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n", fmt_int(fired, b1),
                fmt_int(keys, b2));
    }
    fputs("</tbody></table>\n", o);
    free(keyv);
}

/* The alert's "why" cell: its words, each with its summed weight. */
static void put_why(FILE *o, const report_alert *a) {
    fputs("<td class=\"why\">", o);
    if (a->n_why > 0) {
        fputs("<ul class=\"why\">", o);
        for (int i = 0; i < a->n_why; i++) {
            char b[32];
            fputs("<li><mark>", o);
            put_esc(o, a->why[i].word, 60);
            fprintf(o, "</mark> <span class=\"w\">%s</span></li>", fmt_num(a->why[i].weight, b, sizeof b));
        }
        fputs("</ul>", o);
    }
    fputs("</td>", o);
}

static void put_alert_row(FILE *o, const report_data *d, const aref *r) {
    const report_alert *a = r->a;
    char b1[64], b2[32], b3[32], b4[32], b5[32], b6[32], b7[32];
    bool firing = a->status == REPORT_FIRING;
    fmt_span(a->window_start_ms, a->window_end_ms, b1, sizeof b1);
    fprintf(o, "<tr class=\"alert-row\"><td class=\"t\">%.10s<br>%s", b1, b1 + 11); /* date, then times */
    if (r->repeat) fputs("<div class=\"id\">sent again</div>", o);
    if (r->open_ms >= 0) fprintf(o, "<div class=\"id\">open %s</div>", fmt_dur(r->open_ms, b2, sizeof b2));
    fputs("</td>", o);
    fprintf(o, "<td class=\"st\"><span class=\"badge %s\">%s</span><span class=\"badge sev-",
            firing ? "st-firing" : "st-resolved", firing ? "firing" : "resolved");
    put_esc(o, a->severity, 32);
    fputs("\">", o);
    put_esc(o, a->severity, 32);
    fputs("</span></td><td class=\"mono\">", o);
    put_esc(o, a->rule, 120);
    fputs("<div class=\"id\">", o);
    put_esc(o, a->id, 80);
    fputs("</div></td><td class=\"mono\">", o);
    if (r->chart >= 0) fprintf(o, "<a href=\"#k%d\">", r->chart);
    put_esc(o, r->s->key, 200);
    if (r->chart >= 0) fputs("</a>", o);
    fprintf(o, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
               "<td class=\"n\">%s</td><td class=\"n\">%s</td>",
            fmt_int(a->count, b2), fmt_int(a->negatives, b3), fmt_pct(a->negative_share, b4, sizeof b4),
            fmt_pct(a->baseline_share, b5, sizeof b5), fmt_num(a->zscore, b6, sizeof b6),
            fmt_num(a->ratio, b7, sizeof b7));
    put_why(o, a);
    fputs("<td class=\"s\">", o);
    int ns = a->n_samples < d->max_samples ? a->n_samples : d->max_samples;
    if (ns > 0) {
        fputs("<ol class=\"samples\">", o);
        for (int i = 0; i < ns; i++) {
            const report_sample *sm = &a->samples[i];
            fprintf(o, "<li><span class=\"p\">%.2f</span> ", sm->p_negative);
            if (sm->source) {
                fputs("<span class=\"src\">", o);
                put_esc(o, sm->source, 60);
                fputs(":</span> ", o);
            }
            put_marked(o, sm->text, sm->words, sm->n_words, REPORT_SAMPLE_TEXT_MAX);
            fputs("</li>", o);
        }
        fputs("</ol>", o);
    }
    fputs("</td></tr>\n", o);
}

/* The table of alerts r (n of them), sorted here into time order. */
static void put_alert_table(FILE *o, const report_data *d, aref *r, int n) {
    fputs("<h2>Alerts</h2>\n", o);
    if (n == 0) {
        fputs("<p class=\"note\">No alert would have fired.</p>\n", o);
        return;
    }
    qsort(r, (size_t)n, sizeof *r, cmp_aref);
    int shown = n < d->max_table_rows ? n : d->max_table_rows;
    fputs("<div class=\"scroll\"><table class=\"alerts\"><thead><tr><th>Window (UTC)</th><th>Status</th><th>Rule / id</th>"
          "<th>Key</th><th class=\"n\">Msgs</th><th class=\"n\">Neg</th><th class=\"n\">Share</th><th class=\"n\">Baseline</th><th class=\"n\">z</th><th class=\"n\">Ratio</th>"
          "<th>Why</th><th>Most negative messages (top words marked)</th></tr></thead><tbody>\n",
          o);
    for (int i = 0; i < shown; i++) put_alert_row(o, d, &r[i]);
    fputs("</tbody></table></div>\n", o);
    if (shown < n) fprintf(o, "<p class=\"note\">%d more alerts not listed (limit %d rows).</p>\n", n - shown, shown);
}

/* ---- chart selection ------------------------------------------------- */

typedef struct sref {
    const report_series *s;
    int idx;
    int64_t first_alert; /* earliest alert window end */
    int64_t volume;      /* messages over all windows */
} sref;

static int cmp_alerted(const void *x, const void *y) {
    const sref *a = x, *b = y;
    if (a->first_alert != b->first_alert) return a->first_alert < b->first_alert ? -1 : 1;
    int c = strcmp(a->s->key, b->s->key);
    return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

static int cmp_busy(const void *x, const void *y) {
    const sref *a = x, *b = y;
    if (a->volume != b->volume) return a->volume > b->volume ? -1 : 1;
    int c = strcmp(a->s->key, b->s->key);
    return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

static void put_chart_box(FILE *o, const report_data *d, const sref *r, int anchor, const axis *ax) {
    const report_series *s = r->s;
    int64_t neg = 0;
    for (int i = 0; i < s->n_windows; i++) neg += s->windows[i].negatives;
    int nf = 0, nr = 0;
    for (int i = 0; i < s->n_alerts; i++) {
        if (s->alerts[i].status == REPORT_FIRING) nf++;
        else nr++;
    }
    char b1[32], b2[32], b3[32];
    fprintf(o, "<div class=\"chartbox\" id=\"k%d\"><h3>", anchor);
    put_esc(o, s->key, 200);
    if (strcmp(s->key, "*") == 0) fputs(" (global: every message)", o);
    fprintf(o, "</h3><p class=\"sub\">%s windows · %s msgs · %s negative overall", fmt_int(s->n_windows, b1),
            fmt_int(r->volume, b2), fmt_pct(r->volume ? (double)neg / (double)r->volume : 0, b3, sizeof b3));
    if (s->n_alerts) fprintf(o, " · %d firing, %d resolved", nf, nr);
    if (d->max_points > 0 && s->n_windows > d->max_points)
        fprintf(o, " · each point averages %d windows", (s->n_windows + d->max_points - 1) / d->max_points);
    fputs("</p>\n", o);
    put_chart(o, d, s, ax);
    fputs("</div>\n", o);
}

static void put_legend(FILE *o) {
    fputs("<div class=\"legend\">"
          "<span><span class=\"sw\" style=\"background:#1f5fa8;height:3px\"></span>negative share per window</span>"
          "<span><span class=\"sw\" style=\"background:#f0b429;opacity:.45\"></span>baseline mean ± 2σ "
          "(dashed: mean)</span>"
          "<span><span class=\"sw\" style=\"background:#9fb3c8\"></span>messages per window</span>"
          "<span><span class=\"sw\" style=\"background:#c62f26;width:3px\"></span>alert fired</span>"
          "<span><span class=\"sw\" style=\"background:#2b8a4b;width:3px\"></span>alert resolved</span>"
          "<span>hover a bar or marker for details</span></div>\n",
          o);
}

/* Writes the chart sections and fills chart_of[series index] with the
 * anchor of its chart or -1. */
static void put_charts(FILE *o, const report_data *d, const axis *ax, int *chart_of) {
    sref *al = xcalloc(d->n_series > 0 ? (size_t)d->n_series : 1, sizeof *al);
    sref *bz = xcalloc(d->n_series > 0 ? (size_t)d->n_series : 1, sizeof *bz);
    int na = 0, nb = 0;
    for (int i = 0; i < d->n_series; i++) {
        const report_series *s = &d->series[i];
        sref r = {.s = s, .idx = i, .first_alert = INT64_MAX};
        for (int j = 0; j < s->n_windows; j++) r.volume += s->windows[j].count;
        for (int j = 0; j < s->n_alerts; j++)
            if (s->alerts[j].window_end_ms < r.first_alert) r.first_alert = s->alerts[j].window_end_ms;
        chart_of[i] = -1;
        if (s->n_alerts > 0) al[na++] = r;
        else if (s->n_windows > 0) bz[nb++] = r;
    }
    qsort(al, (size_t)na, sizeof *al, cmp_alerted);
    qsort(bz, (size_t)nb, sizeof *bz, cmp_busy);
    int sa = na < d->max_alert_charts ? na : d->max_alert_charts;
    int sb = nb < d->busiest_keys ? nb : d->busiest_keys;
    int anchor = 0;

    fputs("<h2>Keys with alerts</h2>\n", o);
    if (na == 0) fputs("<p class=\"note\">No key had an alert.</p>\n", o);
    else put_legend(o);
    for (int i = 0; i < sa; i++) {
        chart_of[al[i].idx] = anchor;
        put_chart_box(o, d, &al[i], anchor++, ax);
    }
    if (sa < na)
        fprintf(o, "<p class=\"note\">%d more keys with alerts are not charted (limit %d); their alerts are in the "
                   "table above.</p>\n",
                na - sa, sa);
    if (sb > 0) {
        fprintf(o, "<h2>Busiest keys without alerts</h2>\n<p class=\"note\">The %d busiest of %d keys that had no "
                   "alert, by messages.</p>\n",
                sb, nb);
        if (na == 0) put_legend(o);
        for (int i = 0; i < sb; i++) {
            chart_of[bz[i].idx] = anchor;
            put_chart_box(o, d, &bz[i], anchor++, ax);
        }
    }
    free(al);
    free(bz);
}

/* ---- validation and the page ----------------------------------------- */

static int check_data(const report_data *d, char *err, size_t errlen) {
    if (d->max_alert_charts < 0 || d->busiest_keys < 0 || d->max_points < 0 || d->max_table_rows < 0 ||
        d->max_samples < 0)
        return err_set(err, errlen, "report: a limit is negative");
    if (d->n_rules < 0 || (d->n_rules > 0 && !d->rules)) return err_set(err, errlen, "report: rules: bad count");
    if (d->n_series < 0 || (d->n_series > 0 && !d->series)) return err_set(err, errlen, "report: series: bad count");
    const report_totals *t = &d->totals;
    if (t->n_dead_letters < 0 || (t->n_dead_letters > 0 && !t->dead_letters))
        return err_set(err, errlen, "report: dead letters: bad count");
    for (int i = 0; i < d->n_series; i++) {
        const report_series *s = &d->series[i];
        if (!s->key) return err_set(err, errlen, "report: series[%d]: no key", i);
        if (s->n_windows < 0 || (s->n_windows > 0 && !s->windows) || s->n_alerts < 0 ||
            (s->n_alerts > 0 && !s->alerts))
            return err_set(err, errlen, "report: series[%d]: bad window or alert count", i);
        for (int j = 0; j < s->n_windows; j++) {
            const report_window *w = &s->windows[j];
            if (w->start_ms >= w->end_ms) return err_set(err, errlen, "report: series[%d].windows[%d]: empty window", i, j);
            if (j > 0 && w->start_ms < s->windows[j - 1].start_ms)
                return err_set(err, errlen, "report: series[%d].windows[%d]: windows out of order", i, j);
            if (w->count < 0 || w->negatives < 0 || w->negatives > w->count)
                return err_set(err, errlen, "report: series[%d].windows[%d]: bad counts", i, j);
        }
        for (int j = 0; j < s->n_alerts; j++) {
            const report_alert *a = &s->alerts[j];
            if (a->window_start_ms >= a->window_end_ms)
                return err_set(err, errlen, "report: series[%d].alerts[%d]: empty window", i, j);
            if (a->n_samples < 0 || (a->n_samples > 0 && !a->samples))
                return err_set(err, errlen, "report: series[%d].alerts[%d]: bad sample count", i, j);
            if (a->n_why < 0 || (a->n_why > 0 && !a->why))
                return err_set(err, errlen, "report: series[%d].alerts[%d]: bad why count", i, j);
            for (int k = 0; k < a->n_samples; k++)
                if (a->samples[k].n_words < 0 || (a->samples[k].n_words > 0 && !a->samples[k].words))
                    return err_set(err, errlen, "report: series[%d].alerts[%d].samples[%d]: bad word count", i, j,
                                   k);
        }
    }
    return 0;
}

int report_write_html(FILE *o, const report_data *d, char *err, size_t errlen) {
    if (check_data(d, err, errlen) != 0) return -1;

    axis ax = {INT64_MAX, INT64_MIN};
    int n_windows = 0;
    for (int i = 0; i < d->n_series; i++) {
        const report_series *s = &d->series[i];
        n_windows += s->n_windows;
        for (int j = 0; j < s->n_windows; j++) {
            if (s->windows[j].start_ms < ax.t0) ax.t0 = s->windows[j].start_ms;
            if (s->windows[j].end_ms > ax.t1) ax.t1 = s->windows[j].end_ms;
        }
        for (int j = 0; j < s->n_alerts; j++) {
            if (s->alerts[j].window_start_ms < ax.t0) ax.t0 = s->alerts[j].window_start_ms;
            if (s->alerts[j].window_end_ms > ax.t1) ax.t1 = s->alerts[j].window_end_ms;
        }
    }
    if (ax.t1 <= ax.t0) ax.t0 = ax.t1 = 0;

    const char *title = d->title ? d->title : "finsent back-test report";
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          o);
    put_esc(o, title, 200);
    fprintf(o, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n<h1>", page_css);
    put_esc(o, title, 200);
    fputs("</h1>\n<p class=\"meta\">", o);
    if (d->feed) {
        fputs("Feed <b>", o);
        put_esc(o, d->feed, 300);
        fputs("</b>", o);
    }
    if (d->config) {
        fputs(d->feed ? " · config <b>" : "Config <b>", o);
        put_esc(o, d->config, 300);
        fputs("</b>", o);
    }
    if (d->generated_at) {
        fputs(d->feed || d->config ? " · generated " : "Generated ", o);
        put_esc(o, d->generated_at, 64);
    }
    fputs("</p>\n", o);

    int n_al;
    aref *al = collect_alerts(d, &n_al);
    put_totals(o, d, &ax, n_windows);
    put_rules(o, d, al, n_al);

    /* charts decide the anchors the table links to, so render them into a
     * buffer first and place them after the table */
    int *chart_of = xcalloc(d->n_series > 0 ? (size_t)d->n_series : 1, sizeof *chart_of);
    char *charts = NULL;
    size_t charts_len = 0;
    FILE *cf = open_memstream(&charts, &charts_len);
    if (!cf) {
        free(al);
        free(chart_of);
        return err_set(err, errlen, "report: cannot buffer the charts: %s", strerror(errno));
    }
    if (ax.t1 > ax.t0) put_charts(cf, d, &ax, chart_of);
    else
        for (int i = 0; i < d->n_series; i++) chart_of[i] = -1;
    int cerr = fclose(cf);
    for (int i = 0; i < n_al; i++) al[i].chart = chart_of[al[i].s - d->series];
    put_alert_table(o, d, al, n_al);
    free(al);
    if (ax.t1 > ax.t0) fwrite(charts, 1, charts_len, o);
    else fputs("<h2>Charts</h2>\n<p class=\"note\">No closed windows: nothing to chart.</p>\n", o);
    free(charts);
    free(chart_of);

    fprintf(o, "<footer>finsent %s · times in UTC · self-contained page: no scripts, nothing loaded from the "
               "network</footer>\n</main>\n</body>\n</html>\n",
            FINSENT_VERSION);
    if (cerr != 0) return err_set(err, errlen, "report: cannot buffer the charts");
    if (fflush(o) != 0 || ferror(o)) return err_set(err, errlen, "report: write failed: %s", strerror(errno));
    return 0;
}

int report_write_file(const char *path, const report_data *d, char *err, size_t errlen) {
    FILE *f = fopen(path, "w");
    if (!f) return err_set(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    char e[256];
    int rc = report_write_html(f, d, e, sizeof e);
    if (fclose(f) != 0 && rc == 0) return err_set(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    if (rc != 0) return err_set(err, errlen, "%s: %s", path, e);
    return 0;
}
