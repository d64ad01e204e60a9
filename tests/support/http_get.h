/* http_get — a GET on the loopback for the endpoint tests (libcurl). */
#ifndef FINSENT_TEST_HTTP_GET_H
#define FINSENT_TEST_HTTP_GET_H

/* GETs http://127.0.0.1:PORT/PATH; *body gets the response body (appended
 * to what it holds; caller frees). Returns the status, 0 when there was no
 * answer within 5 s. */
long http_get(int port, const char *path, char **body);

#endif
