/* fuzz_safetensors — libFuzzer target for st_open (the safetensors header
 * check) and st_to_f32. The input is written as a .safetensors file. For a
 * file that opens, every tensor is checked against the target's own read
 * of the header (cJSON): its bytes are the ones data_offsets name in the
 * input, its size is product(shape) * dtype size, no two tensors overlap,
 * and a float tensor converts. A file that does not open gets a one-line
 * message. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify/safetensors.h"
#include "fuzz/fuzz_scratch.h"
#include "util/xalloc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_scratch_init("st");
    return 0;
}

/* Checks tensor t (the header entry e) against the input bytes. */
static void check_tensor(const st_tensor *t, const cJSON *e, const uint8_t *data_start, size_t data_len) {
    if (strcmp(t->name, e->string) != 0) abort();
    size_t numel = 1;
    for (int d = 0; d < t->ndim; d++) numel *= (size_t)t->shape[d];
    if (t->numel != numel || t->nbytes != numel * st_dtype_size(t->dtype)) abort();
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    size_t b = (size_t)cJSON_GetArrayItem(off, 0)->valuedouble;
    size_t en = (size_t)cJSON_GetArrayItem(off, 1)->valuedouble;
    if (en - b != t->nbytes || en > data_len) abort();
    if (t->nbytes && memcmp(t->data, data_start + b, t->nbytes) != 0) abort();
    float *out = xmalloc(numel ? numel * sizeof(float) : 1);
    int rc = st_to_f32(t, out);
    if (rc != ((t->dtype == ST_F32 || t->dtype == ST_F16 || t->dtype == ST_BF16) ? 0 : -1)) abort();
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[512] = "";
    st_file *f = st_open(fuzz_scratch_write(data, size), err, sizeof err);
    fuzz_scratch_remove(); /* the mapping stays */
    if (!f) {
        if (!err[0] || strpbrk(err, "\r\n")) abort(); /* one line saying why */
        return 0;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | data[i];
    cJSON *root = cJSON_ParseWithLength((const char *)data + 8, (size_t)hlen);
    if (!root) abort();
    const uint8_t *data_start = data + 8 + hlen;
    size_t data_len = size - 8 - (size_t)hlen;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, root) {
        if (strcmp(e->string, "__metadata__") == 0) continue;
        if (i >= st_count(f)) abort();
        check_tensor(st_at(f, i), e, data_start, data_len);
        i++;
    }
    if (i != st_count(f)) abort();
    for (int a = 0; a < i; a++)
        for (int b = 0; b < a; b++) {
            const st_tensor *x = st_at(f, a), *y = st_at(f, b);
            const uint8_t *xs = x->data, *ys = y->data;
            if (x->nbytes && y->nbytes && xs < ys + y->nbytes && ys < xs + x->nbytes) abort();
        }
    cJSON_Delete(root);
    st_close(f);
    return 0;
}
