/*
 * The reparo HIL protocol loop (PROTOCOL.md, version 1), the same on every board and runtime.
 * Buffer capacities come from reparo_hil_config.h, written into the app by the project emitter:
 *   REPARO_HIL_INPUT_CAPACITY, REPARO_HIL_OUTPUT_CAPACITY, REPARO_HIL_LAYER_CAPACITY (bytes, bytes, layers)
 * No printf and no heap: replies are written piece by piece while their length and CRC accumulate.
 */
#include <stdint.h>
#include <string.h>
#include "reparo_crc32.h"
#include "reparo_hil.h"
#include "reparo_hil_config.h"

#define HOST_BODY_MAX 200u
/* body + '*' + up to 3 length digits + '/' + 8 CRC digits */
#define FRAME_MAX (HOST_BODY_MAX + 13u)
#define RUN_ID_MAX 16u
#define DB_CHUNK_MAX 64u

static int8_t input[REPARO_HIL_INPUT_CAPACITY];
static int8_t output[REPARO_HIL_OUTPUT_CAPACITY];
static uint8_t received[(REPARO_HIL_INPUT_CAPACITY + 7u) / 8u]; /* one bit per input byte */
static uint64_t layer_counts[REPARO_HIL_LAYER_CAPACITY > 0 ? REPARO_HIL_LAYER_CAPACITY : 1];
static char run_id[RUN_ID_MAX + 1] = "0";
static uint32_t loaded_n;    /* n of the last `db load`, 0 before */
static uint32_t missing;     /* input bytes not yet received since `db load` */
static int has_results;
static int setup_failed;

/* ---- reply frames: <body>*<len>/<crc>\r\n, written as they are built ---- */
static uint32_t out_crc, out_len;

static void put(const char *s, uint32_t n) {
  reparo_platform_write(s, n);
  out_crc = reparo_crc32_update(out_crc, s, n);
  out_len += n;
}
static void puts_(const char *s) { put(s, (uint32_t)strlen(s)); }

static uint32_t u64_to_dec(uint64_t v, char buf[21]) {
  char tmp[21];
  uint32_t n = 0, i;
  do {
    tmp[n++] = (char)('0' + (unsigned)(v % 10u));
    v /= 10u;
  } while (v);
  for (i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  return n;
}
static void put_u64(uint64_t v) {
  char buf[21];
  put(buf, u64_to_dec(v, buf));
}

static const char hex_digits[] = "0123456789abcdef";

static void frame_begin(void) {
  out_crc = REPARO_CRC32_INIT;
  out_len = 0;
}
static void frame_end(void) {
  char trailer[1 + 20 + 1 + 8 + 2];
  uint32_t n = 0, crc = out_crc ^ 0xFFFFFFFFu;
  int shift;
  trailer[n++] = '*';
  n += u64_to_dec(out_len, trailer + n);
  trailer[n++] = '/';
  for (shift = 28; shift >= 0; shift -= 4) trailer[n++] = hex_digits[(crc >> shift) & 15u];
  trailer[n++] = '\r';
  trailer[n++] = '\n';
  reparo_platform_write(trailer, n);
}
static int frame(const char *body) {
  frame_begin();
  puts_(body);
  frame_end();
  return 0;
}
static void put_run(void) {
  puts_(" run=");
  puts_(run_id);
}
static int error(const char *reason) {
  frame_begin();
  puts_("e-[");
  puts_(reason);
  puts_("]");
  frame_end();
  return 0;
}

/* ---- argument parsing (strict: decimal without sign or leading zeros, lowercase or uppercase hex) ---- */
static int parse_u32(const char *s, uint32_t max, uint32_t *out) {
  uint32_t v = 0;
  if (!*s || (s[0] == '0' && s[1])) return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return -1;
    if (v > (max - (uint32_t)(*s - '0')) / 10u) return -1;
    v = v * 10u + (uint32_t)(*s - '0');
  }
  *out = v;
  return 0;
}
static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* splits `body` in place at single spaces; an empty word (two spaces, leading/trailing space) fails */
static int split(char *body, char *words[], int max) {
  int n = 0;
  char *p = body;
  for (;;) {
    if (n == max || *p == ' ' || !*p) return -1;
    words[n++] = p;
    while (*p && *p != ' ') p++;
    if (!*p) return n;
    *p++ = 0;
  }
}

/* ---- commands ---- */
static const reparo_model_info_t *info;

static int model_ready(void) {
  if (setup_failed) error("setup");
  return !setup_failed;
}

static int cmd_hello(char *run) {
  uint32_t n = (uint32_t)strlen(run), i;
  if (n < 1 || n > RUN_ID_MAX) return error("args");
  for (i = 0; i < n; i++)
    if (!((run[i] >= '0' && run[i] <= '9') || (run[i] >= 'a' && run[i] <= 'z'))) return error("args");
  if (!model_ready()) return 0;
  memcpy(run_id, run, n + 1);
  frame_begin();
  puts_("m-hello");
  put_run();
  puts_(" proto=1 runtime=");
  puts_(info->runtime);
  puts_(" model=");
  puts_(info->model_hash);
  puts_(" in=");
  put_u64(info->input_bytes);
  puts_(" out=");
  put_u64(info->output_bytes);
  puts_(" arena=");
  put_u64(info->arena_bytes);
  puts_(" layers=");
  put_u64(info->layer_count);
  puts_(" unit=");
  puts_(reparo_platform_unit());
  puts_(" clock=");
  put_u64(reparo_platform_clock_hz());
  puts_(" board=");
  puts_(reparo_platform_board());
  frame_end();
  return 0;
}

static int cmd_db_load(const char *arg) {
  uint32_t n;
  if (parse_u32(arg, 0xFFFFFFFFu, &n)) return error("args");
  if (!model_ready()) return 0;
  if (n != info->input_bytes) return error("db-size");
  loaded_n = n;
  missing = n;
  memset(received, 0, sizeof received);
  frame_begin();
  puts_("m-load n=");
  put_u64(n);
  frame_end();
  return 0;
}

static int cmd_db(const char *off_s, const char *hex) {
  uint32_t off, n = (uint32_t)strlen(hex), i;
  if (parse_u32(off_s, 0xFFFFFFFFu, &off) || n < 2 || n % 2 || n / 2 > DB_CHUNK_MAX) return error("args");
  n /= 2;
  for (i = 0; i < 2 * n; i++)
    if (hex_value(hex[i]) < 0) return error("args");
  if (off > loaded_n || n > loaded_n - off) return error("args");
  for (i = 0; i < n; i++) {
    uint32_t k = off + i;
    input[k] = (int8_t)(uint8_t)(hex_value(hex[2 * i]) * 16 + hex_value(hex[2 * i + 1]));
    if (!(received[k / 8u] & (1u << (k % 8u)))) {
      received[k / 8u] |= (uint8_t)(1u << (k % 8u));
      missing--;
    }
  }
  frame_begin();
  puts_("m-db offset=");
  put_u64(off);
  puts_(" n=");
  put_u64(n);
  frame_end();
  return 0;
}

static int input_ready(void) {
  if (!model_ready()) return 0;
  if (loaded_n == 0 || missing) {
    error("db-incomplete");
    return 0;
  }
  return 1;
}

static int cmd_infer(const char *n_s, const char *w_s) {
  uint32_t n, w, k;
  if (parse_u32(n_s, 1000u, &n) || n < 1 || parse_u32(w_s, 100u, &w)) return error("args");
  if (!input_ready()) return 0;
  for (k = 0; k < w; k++)
    if (reparo_model_run(input, output)) return error("run");
  for (k = 0; k < n; k++) {
    uint64_t t0 = reparo_platform_count();
    int rc = reparo_model_run(input, output);
    uint64_t t1 = reparo_platform_count();
    if (rc) return error("run");
    has_results = 1;
    frame_begin();
    puts_("m-lap");
    put_run();
    puts_(" i=");
    put_u64(k);
    puts_(" count=");
    put_u64(t1 - t0);
    frame_end();
  }
  return 0;
}

static int cmd_results(void) {
  uint32_t i;
  if (!has_results) return error("no-results");
  frame_begin();
  puts_("m-results");
  put_run();
  puts_(" n=");
  put_u64(info->output_bytes);
  puts_(" hex=");
  for (i = 0; i < info->output_bytes; i++) {
    uint8_t b = (uint8_t)output[i];
    char pair[2] = {hex_digits[b >> 4], hex_digits[b & 15u]};
    put(pair, 2);
  }
  frame_end();
  return 0;
}

static int cmd_profile(void) {
  uint32_t i;
  if (!model_ready()) return 0;
  if (info->layer_count == 0) return error("unsupported");
  if (!input_ready()) return 0;
  if (reparo_model_run_profiled(input, output, layer_counts)) return error("run");
  has_results = 1;
  for (i = 0; i < info->layer_count; i++) {
    frame_begin();
    puts_("m-layer");
    put_run();
    puts_(" i=");
    put_u64(i);
    puts_(" op=");
    puts_(reparo_model_layer_name(i));
    puts_(" count=");
    put_u64(layer_counts[i]);
    frame_end();
  }
  return 0;
}

static int dispatch(char *body) {
  char *w[4];
  int n = split(body, w, 4);
  if (n < 1) return error(*body ? "args" : "unknown");
  if (!strcmp(w[0], "name")) return n == 1 ? frame("m-name-reparo") : error("args");
  if (!strcmp(w[0], "hello")) return n == 2 ? cmd_hello(w[1]) : error("args");
  if (!strcmp(w[0], "db")) {
    if (n == 3 && !strcmp(w[1], "load")) return cmd_db_load(w[2]);
    return n == 3 ? cmd_db(w[1], w[2]) : error("args");
  }
  if (!strcmp(w[0], "infer")) return n == 3 ? cmd_infer(w[1], w[2]) : error("args");
  if (!strcmp(w[0], "results")) return n == 1 ? cmd_results() : error("args");
  if (!strcmp(w[0], "profile")) return n == 1 ? cmd_profile() : error("args");
  return error("unknown");
}

/* ---- host frames: <body>*<len>/<crc>% ---- */

/* 0 and the body NUL-terminated in place when `f` (without the '%') is a well-formed frame */
static int check_frame(char *f, uint32_t n) {
  uint32_t star = 0, len, crc = 0, i;
  while (star < n && f[star] != '*') star++;
  if (star == n || star > HOST_BODY_MAX) return -1;
  for (i = star + 1; i < n && f[i] != '/'; i++) {
  }
  if (i == n || n - i - 1 != 8) return -1;
  f[i] = 0;
  if (parse_u32(f + star + 1, HOST_BODY_MAX, &len) || len != star) return -1;
  for (i = i + 1; i < n; i++) {
    if (!((f[i] >= '0' && f[i] <= '9') || (f[i] >= 'a' && f[i] <= 'f'))) return -1;
    crc = crc * 16u + (uint32_t)hex_value(f[i]);
  }
  if (crc != reparo_crc32(f, star)) return -1;
  f[star] = 0;
  return 0;
}

void reparo_hil_main(void) {
  static char buf[FRAME_MAX + 1];
  uint32_t n = 0;
  int overflow = 0;
  reparo_platform_init();
  setup_failed = reparo_model_setup() != 0;
  if (!setup_failed) {
    info = reparo_model_info();
    setup_failed = info->input_bytes > REPARO_HIL_INPUT_CAPACITY || info->output_bytes > REPARO_HIL_OUTPUT_CAPACITY ||
                   info->layer_count > REPARO_HIL_LAYER_CAPACITY;
  }
  frame("m-boot");
  for (;;) {
    int c = reparo_platform_getc();
    if (c == '%') {
      if (overflow) error("overflow");
      else if (check_frame(buf, n)) error("frame");
      else dispatch(buf);
      frame("m-ready");
      n = 0;
      overflow = 0;
    } else if (c < 0x20 || c > 0x7E) {
      /* CR, LF and other bytes that cannot be part of a frame: whatever came before was noise */
      if (!overflow) n = 0;
    } else if (n < FRAME_MAX) {
      buf[n++] = (char)c;
    } else {
      overflow = 1;
    }
  }
}
