/* cfgunits — the value syntaxes of cfgschema: durations, sizes, the
 * "did you mean" matcher and the credential-key test; see cfgschema.h. */
#include "util/cfgschema.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct unit { const char *name; uint64_t mult; } unit;

static const unit duration_units[] = {
    {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1},
};
static const unit size_units[] = {
    {"TiB", 1ULL << 40}, {"GiB", 1ULL << 30}, {"MiB", 1ULL << 20}, {"KiB", 1ULL << 10},
    {"TB", 1000000000000ULL}, {"GB", 1000000000ULL}, {"MB", 1000000ULL}, {"KB", 1000ULL}, {"", 1},
};
#define N_UNITS(a) (sizeof(a) / sizeof((a)[0]))

/* Parses digits followed by one of the units; *out = number * unit.
 * Rejects signs, spaces, fractions, an empty number and overflow. */
static int parse_with_unit(const char *s, const unit *units, size_t n, uint64_t limit, uint64_t *out) {
    uint64_t v = 0;
    const char *p = s;
    if (!isdigit((unsigned char)*p)) return -1;
    for (; isdigit((unsigned char)*p); p++) {
        if (v > (limit - (uint64_t)(*p - '0')) / 10) return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(p, units[i].name) != 0) continue;
        if (v != 0 && v > limit / units[i].mult) return -1;
        *out = v * units[i].mult;
        return 0;
    }
    return -1;
}

int cfg_parse_duration(const char *s, int64_t *ms) {
    uint64_t v;
    if (parse_with_unit(s, duration_units, N_UNITS(duration_units), INT64_MAX, &v)) return -1;
    *ms = (int64_t)v;
    return 0;
}

int cfg_parse_size(const char *s, uint64_t *bytes) {
    return parse_with_unit(s, size_units, N_UNITS(size_units), UINT64_MAX, bytes);
}

/* Writes v in the first (largest) unit that divides it exactly. */
static void format_with_unit(uint64_t v, const unit *units, size_t n, char *buf, size_t len) {
    for (size_t i = 0; i < n; i++) {
        if (v != 0 && v % units[i].mult != 0) continue;
        if (v == 0 && units[i].mult != 1) continue;
        snprintf(buf, len, "%" PRIu64 "%s", v / units[i].mult, units[i].name);
        return;
    }
}

void cfg_format_duration(int64_t ms, char *buf, size_t len) {
    if (ms == 0) { snprintf(buf, len, "0s"); return; }
    format_with_unit((uint64_t)ms, duration_units, N_UNITS(duration_units), buf, len);
}

void cfg_format_size(uint64_t bytes, char *buf, size_t len) {
    format_with_unit(bytes, size_units, N_UNITS(size_units), buf, len);
}

/* Levenshtein distance with one rolling row; words are short keys. */
static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return SIZE_MAX;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *cfg_suggest(const char *word, const char *const *cands, size_t n) {
    const char *best = NULL;
    size_t best_d = 3;
    size_t wl = strlen(word);
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, cands[i]);
        size_t cl = strlen(cands[i]);
        bool prefix = wl > 0 && cl > 0 && strncmp(word, cands[i], wl < cl ? wl : cl) == 0;
        if (prefix && d > 2) d = 2;
        if (d < best_d) { best_d = d; best = cands[i]; }
    }
    return best;
}

bool cfg_key_is_secret(const char *key) {
    static const char *const marks[] = {"password", "secret", "sasl.oauthbearer.config", "ssl.key"};
    for (size_t i = 0; i < N_UNITS(marks); i++)
        if (strstr(key, marks[i])) return true;
    return false;
}
