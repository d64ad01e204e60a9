/* safetensors — finsent's one safetensors codec: a checked, read-only,
 * memory-mapped reader (fuzzed: fuzz/fuzz_safetensors), the table of the
 * older tensor names BERT checkpoints use, the float conversions, and the
 * writer of every model file finsent saves (training's included).
 *
 * File layout: an 8-byte little-endian header length N, N bytes of JSON
 * ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
 * optional "__metadata__"}), then the data; offsets count from the end of
 * the header. st_open checks everything before anyone reads a byte: the
 * header length against the file size, the JSON, each dtype, shape and
 * offset pair, that data lies inside the file, that (end - begin) equals
 * product(shape) * dtype size, and that no two tensors overlap. Errors are
 * one line naming the file and, where there is one, the tensor. */
#ifndef FINSENT_SAFETENSORS_H
#define FINSENT_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define ST_MAX_DIMS 8

typedef enum st_dtype {
    ST_F32, ST_F16, ST_BF16, /* the float types weights may use */
    ST_F64, ST_I64, ST_I32, ST_I16, ST_I8, ST_U8, ST_BOOL /* accepted in files, not as weights */
} st_dtype;

typedef struct st_tensor {
    char *name;
    st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    size_t numel;       /* product(shape); 1 for a scalar */
    size_t nbytes;      /* numel * st_dtype_size(dtype) */
    const void *data;   /* into the mapping; valid until st_close */
} st_tensor;

typedef struct st_file st_file;

/* Maps and validates path. Returns NULL and writes one line naming the file
 * (and tensor) into err on any problem: missing file, short file, header
 * length beyond the file, bad JSON, unknown dtype, bad shape, offsets
 * outside the data or overlapping, size not matching the shape. */
st_file *st_open(const char *path, char *err, size_t errlen);
/* Unmaps and frees; NULL is a no-op. Tensor pointers die with it. */
void st_close(st_file *f);
const char *st_path(const st_file *f);
int st_count(const st_file *f);
/* Tensor i in header order, 0 <= i < st_count. */
const st_tensor *st_at(const st_file *f, int i);
/* Tensor by exact name; NULL when absent. */
const st_tensor *st_find(const st_file *f, const char *name);

/* The tensor of canonical (Hugging Face BertForSequenceClassification)
 * name `name` under its accepted spellings, tried in this order: the name
 * itself; LayerNorm "weight"/"bias" as the TensorFlow-era "gamma"/"beta";
 * each of those without the "bert." prefix (a bare BertModel's file).
 * NULL when none is present. */
const st_tensor *st_find_alias(const st_file *f, const char *name);

/* Reads the float tensor `name` (st_find_alias) into out[product(shape)]
 * after checking that its shape is shape[0..ndim). Returns 0; 1 when the
 * file has no such tensor (err untouched); -1 with one line naming the
 * file and the tensor in err when its shape or dtype does not fit. */
int st_read_f32(const st_file *f, const char *name, int ndim, const int64_t *shape, float *out, char *err,
                size_t errlen);

/* "F32", "F16", ...; bytes per element. */
const char *st_dtype_name(st_dtype d);
size_t st_dtype_size(st_dtype d);

/* Converts a float tensor (F32, F16 or BF16) into out[numel]. Returns -1
 * (and leaves out alone) for any other dtype. */
int st_to_f32(const st_tensor *t, float *out);

/* IEEE half and bfloat16 conversions (round to nearest even). */
float st_f16_to_f32(uint16_t h);
float st_bf16_to_f32(uint16_t h);
uint16_t st_f32_to_f16(float f);
uint16_t st_f32_to_bf16(float f);

/* One tensor to write: F32 data converted to dtype (F32, F16 or BF16). */
typedef struct st_write_tensor {
    const char *name;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const float *data;
} st_write_tensor;

/* Writes tensors to path (via path.tmp and rename) in dtype, in the
 * given order, with a JSON header padded to 8 bytes and
 * "__metadata__": {"format": "pt"} (Hugging Face's loader requires it).
 * Returns 0, or -1 with a one-line message naming the file in err. */
int st_write(const char *path, const st_write_tensor *t, int n, st_dtype dtype, char *err, size_t errlen);

#endif
