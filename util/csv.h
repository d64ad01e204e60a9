/* csv — an RFC 4180 reader: quoted fields with commas, doubled quotes and
 * embedded newlines; CRLF or LF line ends; a UTF-8 BOM at the start skipped.
 * Used by training data loaders and the CSV feed replay source. */
#ifndef FINSENT_CSV_H
#define FINSENT_CSV_H

#include <stdio.h>

typedef struct csv_reader csv_reader;

/* Reads from f (not closed by csv_close). Never NULL. */
csv_reader *csv_open(FILE *f);
void csv_close(csv_reader *r);

/* Reads the next record. Returns the number of fields (>= 1) and points
 * *fields at an array of NUL-terminated strings owned by the reader, valid
 * until the next call; 0 at end of input; -1 on a malformed record (an
 * unterminated quote at end of file, or a quote inside an unquoted field),
 * with csv_error() describing it and the line it started on. */
int csv_next(csv_reader *r, char ***fields);

/* The 1-based line on which the last record returned started. */
long csv_line(const csv_reader *r);
/* A one-line description of the last error. */
const char *csv_error(const csv_reader *r);

#endif
