/* ticker — Shanghai, Shenzhen and Hong Kong stock codes in text; see
 * ticker.h for the forms and the ids.
 *
 * One pass: every maximal run of ASCII digits is checked against the
 * forms around it ($, SH/SZ before it, .SS/.SZ/.SH/.HK after it), and
 * every '$' is tried as the start of a Xueqiu tag; strcspn finds the
 * next digit or '$'. */
#include "ingest/ticker.h"

#include <string.h>

#define TK_XUEQIU_NAME_MAX 64

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_alpha(unsigned char c) { return (unsigned)((c | 0x20) - 'a') < 26u; }
static int is_alnum(unsigned char c) { return is_digit(c) || is_alpha(c); }
static unsigned char lower(unsigned char c) { return is_alpha(c) ? (unsigned char)(c | 0x20) : c; }

/* s[i..i+2) is the two letters a b in any case. */
static int pair_at(const unsigned char *s, size_t n, size_t i, char a, char b) {
    return i + 2 <= n && lower(s[i]) == a && lower(s[i + 1]) == b;
}

/* The byte at i, or 0 past the end (0 counts as a boundary). */
static unsigned char at(const unsigned char *s, size_t n, size_t i) { return i < n ? s[i] : 0; }

/* A boundary after a code at e: no letter or digit, and no '.' (or ',' when
 * comma) followed by a digit, which would make the code part of a number. */
static int end_ok(const unsigned char *s, size_t n, size_t e, int comma) {
    unsigned char c = at(s, n, e);
    if (is_alnum(c)) return 0;
    if ((c == '.' || (comma && c == ',')) && is_digit(at(s, n, e + 1))) return 0;
    return 1;
}

static int a_share_prefix(const unsigned char *d) {
    static const char *const prefixes[] = {"000", "001", "002", "003", "300", "301",
                                           "600", "601", "603", "605", "688", "689"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (memcmp(d, prefixes[i], 3) == 0) return 1;
    return 0;
}

/* The id of 6 A-share digits d on exchange ex ('h' Shanghai, 'z' Shenzhen,
 * 0 unknown) into id. */
static size_t a_share_id(const unsigned char *d, char ex, char *id) {
    size_t k = 0;
    if (ex == 'h' && memcmp(d, "000", 3) == 0) id[k++] = 'S', id[k++] = 'H';
    memcpy(id + k, d, 6);
    k += 6;
    id[k] = '\0';
    return k;
}

/* The id of a Hong Kong code of nd (1-5) digits into id; 0 for code 0. */
static size_t hk_id(const unsigned char *d, size_t nd, char *id) {
    while (nd > 1 && *d == '0') d++, nd--;
    if (nd == 1 && *d == '0') return 0;
    size_t k = 0;
    for (size_t z = nd; z < 4; z++) id[k++] = '0';
    memcpy(id + k, d, nd);
    k += nd;
    id[k] = '\0';
    return k;
}

/* The id of the code inside a Xueqiu tag's parentheses, c[0..n); 0 when
 * it is none of the forms. */
static size_t xueqiu_code(const unsigned char *c, size_t n, char *id) {
    size_t digits = 0;
    while (digits < n && is_digit(c[digits])) digits++;
    if (digits == n && n == 6) return a_share_id(c, 0, id);
    if (digits == n && (n == 4 || n == 5)) return hk_id(c, n, id);
    if (n == 8 && (pair_at(c, n, 0, 's', 'h') || pair_at(c, n, 0, 's', 'z'))) {
        for (size_t i = 2; i < 8; i++)
            if (!is_digit(c[i])) return 0;
        return a_share_id(c + 2, (char)lower(c[1]), id);
    }
    if ((n == 6 || n == 7) && pair_at(c, n, 0, 'h', 'k')) {
        for (size_t i = 2; i < n; i++)
            if (!is_digit(c[i])) return 0;
        return hk_id(c + 2, n - 2, id);
    }
    size_t letters = 0;
    while (letters < n && is_alpha(c[letters])) letters++;
    if (letters < 1 || letters > 6) return 0;
    size_t k = letters;
    if (k < n && c[k] == '.') {
        size_t m = 0;
        while (k + 1 + m < n && is_alpha(c[k + 1 + m])) m++;
        if (m < 1 || m > 2) return 0;
        k += 1 + m;
    }
    if (k != n) return 0;
    memcpy(id, c, n);
    id[n] = '\0';
    return n;
}

/* A Xueqiu tag starting with the '$' at i: its length through the closing
 * '$' with the id in id, or 0. */
static size_t xueqiu_at(const unsigned char *s, size_t n, size_t i, char *id, size_t *idlen) {
    size_t j = i + 1;
    while (j < n && j - i - 1 <= TK_XUEQIU_NAME_MAX && s[j] != '(' && s[j] != '$' && s[j] != ')' && s[j] != '\n')
        j++;
    size_t name = j - i - 1;
    if (j >= n || s[j] != '(' || name < 1 || name > TK_XUEQIU_NAME_MAX) return 0;
    size_t c0 = j + 1, c1 = c0;
    while (c1 < n && c1 - c0 <= 8 && s[c1] != ')') c1++;
    if (c1 + 1 >= n || s[c1] != ')' || s[c1 + 1] != '$') return 0;
    *idlen = xueqiu_code(s + c0, c1 - c0, id);
    return *idlen ? c1 + 2 - i : 0;
}

/* The id of the digit run s[a..b), or 0 when it is no code. */
static size_t run_id(const unsigned char *s, size_t n, size_t a, size_t b, char *id) {
    size_t nd = b - a;
    unsigned char before = a > 0 ? s[a - 1] : 0;
    if (nd == 6 && a >= 2 && (pair_at(s, n, a - 2, 's', 'h') || pair_at(s, n, a - 2, 's', 'z')) &&
        !is_alnum(a >= 3 ? s[a - 3] : 0) && end_ok(s, n, b, 0))
        return a_share_id(s + a, (char)lower(s[a - 1]), id);
    if (before == '$' && nd == 6 && a_share_prefix(s + a) && end_ok(s, n, b, 1)) {
        unsigned char bb = a >= 2 ? s[a - 2] : 0;
        if (!is_alnum(bb) && bb != '$') return a_share_id(s + a, 0, id);
    }
    if (is_alnum(before) || before == '.' || at(s, n, b) != '.' || is_alnum(at(s, n, b + 3))) return 0;
    if (nd == 6 && (pair_at(s, n, b + 1, 's', 's') || pair_at(s, n, b + 1, 's', 'h')))
        return a_share_id(s + a, 'h', id);
    if (nd == 6 && pair_at(s, n, b + 1, 's', 'z')) return a_share_id(s + a, 'z', id);
    if (nd <= 5 && pair_at(s, n, b + 1, 'h', 'k')) return hk_id(s + a, nd, id);
    return 0;
}

int tk_scan(const char *text, size_t n, tk_hit_fn fn, void *arg) {
    const unsigned char *s = (const unsigned char *)text;
    char id[TK_ID_MAX];
    for (size_t i = 0; i < n; i++) {
        i += strcspn(text + i, "$0123456789"); /* vectorised in glibc; stops at the NUL at text[n] */
        if (i >= n) break;
        size_t len = 0;
        if (s[i] == '$') {
            size_t tag = xueqiu_at(s, n, i, id, &len);
            if (tag) {
                int rc = fn(id, len, arg);
                if (rc) return rc;
                i += tag - 1; /* tags do not share a '$' */
            }
            continue;
        }
        size_t a = i;
        while (i < n && is_digit(s[i])) i++;
        if ((len = run_id(s, n, a, i, id))) {
            int rc = fn(id, len, arg);
            if (rc) return rc;
        }
        i--;
    }
    return 0;
}
