/* sign — the webhook signature header, Stripe style.
 *
 *   Finsent-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *
 * A receiver recomputes the HMAC over the t it was given and the raw body,
 * compares in constant time, and rejects a t too far from its clock. */
#ifndef FINSENT_SIGN_H
#define FINSENT_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define SIGN_HEADER "Finsent-Signature"
#define SIGN_VALUE_MAX 96 /* "t=" + 20 digits + ",v1=" + 64 hex + NUL fits */

/* Writes the header value for body at unix time t into out (>= SIGN_VALUE_MAX bytes). */
void sign_value(const char *secret, int64_t t, const char *body, size_t body_len, char *out);

/* Checks a header value against body: 0 when the signature is valid and
 * |now - t| <= tolerance_s; -1 when malformed, wrong or too old. */
int sign_verify(const char *secret, const char *value, const char *body, size_t body_len, int64_t now_s,
                int64_t tolerance_s);

#endif
