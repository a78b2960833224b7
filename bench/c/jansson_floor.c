// jansson_floor < MESSAGES > ANSWERS
//
// The floor for a JSON-RPC server built on jansson: for every message on stdin (newline-delimited JSON, or LSP
// `Content-Length` framing when the input starts with a header), parse it with json_loadb and write it back with
// json_dumpb in the same framing. Nothing else: no dispatch, no model, no tasks. Reads in 64 KiB chunks and writes
// in 64 KiB blocks, as a server on a pipe would.
#define _GNU_SOURCE
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *input;
static size_t input_length, input_capacity, consumed;
static char output[1 << 16];
static size_t output_length;
static long messages;

static void flush_output(void) {
  size_t offset = 0;
  while (offset < output_length) {
    ssize_t written = write(1, output + offset, output_length - offset);
    if (written <= 0) exit(1);
    offset += (size_t)written;
  }
  output_length = 0;
}

static void emit(const char *bytes, size_t count) {
  if (output_length + count > sizeof output) flush_output();
  if (count > sizeof output) {
    if (write(1, bytes, count) != (ssize_t)count) exit(1);
    return;
  }
  memcpy(output + output_length, bytes, count);
  output_length += count;
}

static void answer(const char *body, size_t length, int lsp) {
  json_error_t error;
  json_t *value = json_loadb(body, length, JSON_ALLOW_NUL, &error);
  messages++;
  if (!value) {
    static const char parse_error[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"parse error\"}}";
    value = json_loadb(parse_error, sizeof parse_error - 1, 0, &error);
  }
  char dumped[1 << 14];
  size_t size = json_dumpb(value, dumped, sizeof dumped, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(value);
  if (size > sizeof dumped) {
    fprintf(stderr, "jansson_floor: a message dumps to %zu bytes, more than this floor's buffer\n", size);
    exit(1);
  }
  if (lsp) {
    char header[64];
    int header_length = snprintf(header, sizeof header, "Content-Length: %zu\r\n\r\n", size);
    emit(header, (size_t)header_length);
    emit(dumped, size);
  } else {
    emit(dumped, size);
    emit("\n", 1);
  }
}

// Answers every complete message in the buffer; returns whether any input is left unconsumed.
static void drain(int lsp) {
  for (;;) {
    char *start = input + consumed;
    size_t available = input_length - consumed;
    if (lsp) {
      char *end = memmem(start, available, "\r\n\r\n", 4);
      if (!end) return;
      size_t length = 0;
      if (sscanf(start, "Content-Length: %zu", &length) != 1) {
        fprintf(stderr, "jansson_floor: a header without Content-Length\n");
        exit(1);
      }
      size_t header = (size_t)(end - start) + 4;
      if (available < header + length) return;
      answer(start + header, length, 1);
      consumed += header + length;
    } else {
      char *end = memchr(start, '\n', available);
      if (!end) return;
      if (end > start) answer(start, (size_t)(end - start), 0);
      consumed += (size_t)(end - start) + 1;
    }
  }
}

int main(void) {
  int lsp = -1;
  input_capacity = 1 << 17;
  input = malloc(input_capacity);
  for (;;) {
    if (input_capacity - input_length < (1 << 16)) {
      memmove(input, input + consumed, input_length - consumed);
      input_length -= consumed;
      consumed = 0;
      if (input_capacity - input_length < (1 << 16)) input = realloc(input, input_capacity *= 2);
    }
    ssize_t count = read(0, input + input_length, 1 << 16);
    if (count < 0) return 1;
    if (count == 0) break;
    input_length += (size_t)count;
    if (lsp < 0) lsp = input[0] == 'C';
    drain(lsp);
    flush_output();
  }
  flush_output();
  fprintf(stderr, "%ld\n", messages);
  return 0;
}
