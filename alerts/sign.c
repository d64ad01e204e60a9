/* sign — HMAC-SHA256 webhook signatures with OpenSSL; see sign.h. */
#include "alerts/sign.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static void hmac_hex(const char *secret, int64_t t, const char *body, size_t body_len, char hex[65]) {
    char prefix[32];
    int np = snprintf(prefix, sizeof prefix, "%lld.", (long long)t);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    unsigned char *msg = xmalloc((size_t)np + body_len + 1);
    memcpy(msg, prefix, (size_t)np);
    memcpy(msg + np, body, body_len);
    HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, (size_t)np + body_len, md, &len);
    free(msg);
    for (unsigned i = 0; i < 32; i++) sprintf(hex + 2 * i, "%02x", md[i]);
    hex[64] = 0;
}

void sign_value(const char *secret, int64_t t, const char *body, size_t body_len, char *out) {
    char hex[65];
    hmac_hex(secret, t, body, body_len, hex);
    snprintf(out, SIGN_VALUE_MAX, "t=%lld,v1=%s", (long long)t, hex);
}

int sign_verify(const char *secret, const char *value, const char *body, size_t body_len, int64_t now_s,
                int64_t tolerance_s) {
    long long t;
    char got[65];
    int used = 0;
    if (!value || sscanf(value, "t=%lld,v1=%64[0-9a-f]%n", &t, got, &used) != 2 || value[used] != 0 ||
        strlen(got) != 64)
        return -1;
    if (t > now_s + tolerance_s || t < now_s - tolerance_s) return -1;
    char want[65];
    hmac_hex(secret, t, body, body_len, want);
    return CRYPTO_memcmp(want, got, 64) == 0 ? 0 : -1;
}
