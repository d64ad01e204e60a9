/* fuzz_scratch — for targets whose parser takes a path: one scratch file
 * per fuzzer process (finsent-fuzz-TAG-PID in /dev/shm when writable, a
 * memory file system, else /tmp), written with each input and removed once
 * the parser has opened it (and at exit), so that only an input that
 * crashed the parser leaves it behind. Header-only: each target is one
 * program. */
#ifndef FINSENT_FUZZ_SCRATCH_H
#define FINSENT_FUZZ_SCRATCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_scratch_file[96];

/* Removes the scratch file; an open descriptor or mapping of it stays valid. */
static void fuzz_scratch_remove(void) { unlink(fuzz_scratch_file); }

/* Names the scratch file finsent-fuzz-TAG-PID followed by ext ("" or an
 * extension such as ".csv" for parsers that go by the name); call once
 * from LLVMFuzzerInitialize. */
static void fuzz_scratch_init_ext(const char *tag, const char *ext) {
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzz_scratch_file, sizeof fuzz_scratch_file, "%s/finsent-fuzz-%s-%d%s", dir, tag, (int)getpid(), ext);
    atexit(fuzz_scratch_remove);
}

/* fuzz_scratch_init_ext without an extension. */
static inline void fuzz_scratch_init(const char *tag) { fuzz_scratch_init_ext(tag, ""); }

/* Writes data[0..size) to the scratch file and returns its path; aborts
 * when the file cannot be written (that is the machine, not a finding). */
static const char *fuzz_scratch_write(const uint8_t *data, size_t size) {
    FILE *f = fopen(fuzz_scratch_file, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        perror(fuzz_scratch_file);
        abort();
    }
    return fuzz_scratch_file;
}

#endif
