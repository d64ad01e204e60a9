/* ticker — stock codes of the Shanghai, Shenzhen and Hong Kong exchanges
 * written in text, each normalised to one entity id.
 *
 * Forms (letters in any case; "boundary" means the neighbouring byte is
 * not an ASCII letter or digit, so Chinese characters may touch a code):
 *   $600519            '$' (not after an ASCII letter, digit or '$'), then
 *                      exactly 6 digits starting with an A-share stock
 *                      prefix (000 001 002 003 300 301 600 601 603 605 688
 *                      689), then a boundary that is not '.' or ','
 *                      followed by a digit ($600,000 and $300000.50 are
 *                      prices)
 *   SH600519 SZ000001  "SH" or "SZ" after a boundary, exactly 6 digits,
 *                      then a boundary that is not '.' followed by a digit
 *   600519.SS 600519.SH 000001.SZ
 *                      after a boundary that is not '.', exactly 6 digits,
 *                      ".SS", ".SH" or ".SZ", then a boundary
 *   0700.HK 00700.HK 5.HK
 *                      after a boundary that is not '.', 1 to 5 digits,
 *                      ".HK", then a boundary
 *   $贵州茅台(SH600519)$ $腾讯控股(00700)$ $苹果(AAPL)$
 *                      Xueqiu (雪球) stock tags: '$', a name of 1 to 64
 *                      bytes without '$', '(', ')' or a line break, '(', a
 *                      code, ')', '$'. The code is SH/SZ + 6 digits, 6
 *                      digits (A-share), HK + 4-5 digits or 4-5 digits
 *                      (Hong Kong), or 1-6 letters with an optional '.'
 *                      and 1-2 letters (US: AAPL, BRK.B); tags do not share
                      a '$'
 * Plain numbers are never codes: "600519" alone, prices (1800.50, $600,000)
 * and dates (20160315, 2016-03-15) add nothing; a bare code is found only
 * when the watch list names it.
 *
 * Ids: an A-share is its 6 digits (600519, 000001), except Shanghai codes
 * starting with 000, which are indices (SH000001 is the SSE Composite,
 * not Ping An Bank's SZ000001) and keep the prefix: "SH000001". A Hong
 * Kong code is its number zero-padded to 4 digits (0700, 0005, 9988;
 * 5-digit numbers such as 80737 stay 5 digits). A US code from a Xueqiu
 * tag is its letters (upper-cased by the caller). */
#ifndef FINSENT_TICKER_H
#define FINSENT_TICKER_H

#include <stddef.h>

#define TK_ID_MAX 16 /* longest id, NUL included */

/* Called with each id found (NUL-terminated, valid during the call); a
 * non-zero return stops the scan and is returned by tk_scan. */
typedef int (*tk_hit_fn)(const char *id, size_t len, void *arg);

/* Scans the UTF-8 text s[0..n), where s[n] is '\0' and no byte before it
 * is, for the forms above and calls fn for each,
 * in text order (an id found twice is reported twice). Returns 0 or fn's
 * non-zero return. Reads only s; thread-safe. */
int tk_scan(const char *s, size_t n, tk_hit_fn fn, void *arg);

#endif
