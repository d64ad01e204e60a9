/* bench_watchlist — `finsent bench watchlist`: messages per second decoded
 * with a large watch list by the multi-pattern matcher
 * (ingest/entity_match.h), against the matcher it replaced, in one run.
 *
 * The replaced matcher is kept here, as this benchmark's peer only: for
 * each name, a strcspn scan for its first letter in either case, then
 * strncasecmp and ASCII word boundaries (so it misses Chinese names
 * without spaces around them). Both sides decode the same in-memory JSON
 * messages (half English, half unsegmented Chinese, most naming one or
 * two of the names); the peer side decodes without a watch list and then
 * runs the old matcher on the event's text. `ratio` is new messages/s over
 * old messages/s. */
#include "bench/bench_watchlist.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/commands.h"
#include "bench/bench.h"
#include "ingest/decode.h"
#include "ingest/entity_match.h"
#include "util/xalloc.h"

static uint64_t rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

#define PICK(a, s) (a)[rnd(s) % (sizeof(a) / sizeof((a)[0]))]

static const char *const latin_syll[] = {"kor", "ven", "tal", "mir", "dos", "lan", "bri", "que", "nor", "sel",
                                         "vat", "ex",  "ron", "gal", "tes", "pha", "zen", "mar", "cor", "dal"};
static const char *const latin_suffix[] = {" Holdings", " Bank", " Group", " Energy", " Capital", " Motors", ""};
static const char *const han_chars[] = {"华", "中", "金", "海", "泰", "安", "信", "达", "宏", "盛", "远", "通", "恒",
                                        "瑞", "鑫", "隆", "兴", "鼎", "嘉", "祥", "明", "新", "天", "东", "南", "北",
                                        "国", "民", "富", "康", "源", "鸿", "永", "昌", "利", "丰", "城", "光"};
static const char *const han_suffix[] = {"银行", "科技", "控股", "证券", "能源", "药业", "电子", ""};
static const char *const en_filler[] = {"shares fell sharply after the report", "analysts cut their price target",
                                        "the regulator opened a probe", "quarterly revenue beat estimates",
                                        "the stock rallied in early trading", "investors sold on weak guidance"};
static const char *const zh_filler[] = {"股价暴跌", "今天大涨", "业绩不及预期", "被监管部门调查", "主力资金流出",
                                        "后市看好", "跌破支撑位", "放量突破"};

static void make_name(uint64_t *s, int han, char *out, size_t cap) {
    out[0] = '\0';
    if (han) {
        int n = 2 + (int)(rnd(s) % 3);
        for (int i = 0; i < n; i++) strcat(out, PICK(han_chars, s));
        strcat(out, PICK(han_suffix, s));
    } else {
        int n = 2 + (int)(rnd(s) % 2);
        for (int i = 0; i < n; i++) strcat(out, PICK(latin_syll, s));
        out[0] = (char)toupper((unsigned char)out[0]);
        strcat(out, PICK(latin_suffix, s));
    }
    out[cap - 1] = '\0';
}

/* One message: filler and 0-2 names, as a JSON object. */
static char *make_message(uint64_t *s, int i, char names[][48], int nn) {
    int zh = i % 2, mentions = (int)(rnd(s) % 3);
    char text[1024] = "";
    for (int k = 0; k < 3; k++) {
        if (k < mentions) {
            const char *name = names[rnd(s) % (uint64_t)nn];
            strcat(text, name);
            strcat(text, zh ? "" : " ");
        }
        strcat(text, zh ? PICK(zh_filler, s) : PICK(en_filler, s));
        strcat(text, zh ? "，" : ", ");
    }
    return xasprintf("{\"id\":\"m%d\",\"ts\":1714566600000,\"source\":\"bench\",\"text\":\"%s\"}", i, text);
}

/* The matcher before issue 19, verbatim in its logic: per name, the first
 * letter in either case by strcspn, strncasecmp, ASCII word boundaries.
 * Returns the names found. */
static int wordch(unsigned char ch) { return isalnum(ch) || ch >= 0x80 || ch == '_'; }

static int old_match(const ingest_watch *wl, int n_wl, const char *text) {
    int found = 0;
    for (int w = 0; w < n_wl; w++) {
        size_t n = strlen(wl[w].name);
        if (n == 0) continue;
        const char first[3] = {(char)tolower((unsigned char)wl[w].name[0]), (char)toupper((unsigned char)wl[w].name[0]), 0};
        for (const char *p = text + strcspn(text, first); *p; p += 1 + strcspn(p + 1, first)) {
            if (strncasecmp(p, wl[w].name, n)) continue;
            if ((p == text || !wordch((unsigned char)p[-1])) && !wordch((unsigned char)p[n])) {
                found++;
                break;
            }
        }
    }
    return found;
}

typedef struct side {
    double seconds, msgs_per_s;
    long messages, entities;
} side;

/* Decodes every message (with the peer matcher when old) over and over
 * until min_s seconds have passed, at least once. */
static int run_side(const ingest_options *o, const ingest_options *peer_list, char **msgs, int nm, double min_s,
                    side *out) {
    double t0 = bench_now(), t;
    long done = 0, ents = 0;
    do {
        for (int i = 0; i < nm; i++) {
            decode_msg dm = {.payload = msgs[i], .len = strlen(msgs[i]), .topic = "bench", .offset = i,
                             .timestamp_ms = -1};
            decode_result r;
            event *e = decode_message(o, NULL, &dm, &r);
            if (!e) {
                fprintf(stderr, "finsent bench watchlist: message %d: %s\n", i, r.detail);
                return -1;
            }
            ents += e->n_entities;
            if (peer_list) ents += old_match(peer_list->watchlist, peer_list->n_watchlist, e->text);
            event_free(e);
        }
        done += nm;
        t = bench_now() - t0;
    } while (t < min_s);
    *out = (side){.seconds = t, .msgs_per_s = (double)done / t, .messages = done, .entities = ents};
    return 0;
}

static void usage(FILE *f) {
    fprintf(f, "usage: finsent bench watchlist [--names N] [--messages M] [--seconds S] [--json]\n\n"
               "Messages/s decoded with a watch list of N names (half Latin, half Chinese) by\n"
               "the Aho-Corasick matcher, against the per-name scan it replaced, same messages,\n"
               "same run; ratio = new / old. Also the decoder without a watch list.\n\n"
               "  --names N     watch-list names (default 10000)\n"
               "  --messages M  distinct messages, half English, half Chinese (default 2000)\n"
               "  --seconds S   least time per side; each side makes at least one pass (default 1)\n"
               "  --json        print one JSON object\n\n"
               "example: finsent bench watchlist --names 10000 --json\n");
}

static int parse_pos(const char *opt, const char *v, long *out) {
    char *end;
    *out = strtol(v, &end, 10);
    if (*end || *out <= 0) return cli_usage_error("bench watchlist", "%s: expected a positive integer, got \"%s\"", opt, v);
    return 0;
}

int bench_watchlist(int argc, char **argv) {
    static const struct option opts[] = {
        {"names", required_argument, NULL, 'n'}, {"messages", required_argument, NULL, 'm'},
        {"seconds", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    long n_names = 10000, n_msgs = 2000;
    double min_s = 1.0;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': if (parse_pos("--names", optarg, &n_names)) return 2; break;
        case 'm': if (parse_pos("--messages", optarg, &n_msgs)) return 2; break;
        case 's': {
            char *end;
            min_s = strtod(optarg, &end);
            if (*end || !(min_s > 0 && min_s <= 3600))
                return cli_usage_error("bench watchlist", "--seconds: expected a number of seconds, got \"%s\"", optarg);
            break;
        }
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) return cli_usage_error("bench watchlist", "unexpected argument \"%s\"", argv[optind]);
    uint64_t s = 0x5EED0019ULL;
    char(*names)[48] = xcalloc((size_t)n_names, sizeof *names);
    ingest_options with = {0}, plain = {0};
    for (long i = 0; i < n_names; i++) {
        make_name(&s, (int)(i % 2), names[i], sizeof names[i]);
        char entity[24];
        snprintf(entity, sizeof entity, "E%ld", i);
        ingest_options_add_watch(&with, names[i], entity);
    }
    char **msgs = xmalloc(sizeof *msgs * (size_t)n_msgs);
    for (long i = 0; i < n_msgs; i++) msgs[i] = make_message(&s, (int)i, names, (int)n_names);
    double t0 = bench_now();
    const em_matcher *m = ingest_options_matcher(&with);
    double build_s = bench_now() - t0;
    side fresh, old, none;
    int rc = run_side(&with, NULL, msgs, (int)n_msgs, min_s, &fresh) || run_side(&plain, &with, msgs, (int)n_msgs, min_s, &old) ||
             run_side(&plain, NULL, msgs, (int)n_msgs, min_s, &none);
    if (!rc) {
        /* entities per pass: decode adds each key once per message, the old
         * matcher each name once per message */
        double per_new = (double)fresh.entities / (double)(fresh.messages / n_msgs);
        double per_old = (double)old.entities / (double)(old.messages / n_msgs);
        double ratio = fresh.msgs_per_s / old.msgs_per_s;
        if (json)
            printf("{\"benchmark\":\"watchlist\",\"names\":%ld,\"messages\":%ld,\"build_ms\":%.1f,"
                   "\"new_msgs_per_s\":%.0f,\"old_msgs_per_s\":%.0f,\"no_watchlist_msgs_per_s\":%.0f,"
                   "\"new_entities_per_pass\":%.0f,\"old_entities_per_pass\":%.0f,\"ratio\":%.2f}\n",
                   n_names, n_msgs, build_s * 1e3, fresh.msgs_per_s, old.msgs_per_s, none.msgs_per_s, per_new,
                   per_old, ratio);
        else
            printf("watchlist: %d names (matcher built in %.1f ms), %ld messages\n"
                   "  multi-pattern matcher  %10.0f messages/s  (%.0f entity keys per pass)\n"
                   "  per-name scan (old)    %10.0f messages/s  (%.0f names found per pass)\n"
                   "  no watch list          %10.0f messages/s\n"
                   "  ratio new / old        %10.2f\n",
                   em_count(m), build_s * 1e3, n_msgs, fresh.msgs_per_s, per_new, old.msgs_per_s, per_old,
                   none.msgs_per_s, ratio);
    }
    for (long i = 0; i < n_msgs; i++) free(msgs[i]);
    free(msgs);
    free(names);
    ingest_options_free(&with);
    return rc ? 1 : 0;
}
