/*
 * The MLPerf Tiny / EEMBC DUT protocol, for the official runner (mlcommons/tiny benchmark/runner),
 * over the same runtime backend and platform as reparo's own HIL loop. It replaces hil.c's loop when
 * reparo_hil_config.h defines REPARO_MLPERF_DUT (reparo emit --mlperf <benchmark>); the command set
 * and reply lines are those of benchmark/api/internally_implemented.cpp, with the per-benchmark input
 * and result handling of the reference submissions:
 *   ic01, vww01  db bytes are uint8 pixels; the int8 input is byte − 128
 *   kws01        db bytes are the int8 input tensor
 *   ad01         db bytes are float32 features, quantized with the input's scale and zero point;
 *                the result is the mean squared error of the dequantized output against them
 * Commands end with '%'; every reply ends with "m-ready". Timestamps ("m-lap-us-N", performance mode)
 * come from the platform counter at the board clock (under QEMU -icount: instructions).
 */
#include <stdint.h>
#include <string.h>
#include "reparo_hil.h"
#include "reparo_hil_config.h"

#ifdef REPARO_MLPERF_DUT

#define CMD_MAX 256u
#define ELEM_BYTES (REPARO_MLPERF_INPUT_FLOAT ? 4u : 1u)
#define DB_MAX (REPARO_HIL_INPUT_CAPACITY * ELEM_BYTES)

static uint8_t db[DB_MAX];
static uint32_t db_size, db_pos;
static int8_t input[REPARO_HIL_INPUT_CAPACITY], output[REPARO_HIL_OUTPUT_CAPACITY];
static int ran;

static void put(const char *s) { reparo_platform_write(s, (uint32_t)strlen(s)); }

static void put_u(uint64_t v) {
  char b[21];
  int i = 20;
  b[i] = 0;
  do {
    b[--i] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v);
  put(b + i);
}

/* printf's "%0.3f" for the values results take */
static void put_fixed3(float v) {
  if (v < 0) {
    put("-");
    v = -v;
  }
  uint64_t m = (uint64_t)(v * 1000.0f + 0.5f);
  char d[5] = {'.', (char)('0' + m / 100u % 10u), (char)('0' + m / 10u % 10u), (char)('0' + m % 10u), 0};
  put_u(m / 1000u);
  put(d);
}

static int parse_u32(const char *s, uint32_t *out) {
  uint64_t v = 0;
  if (!*s) return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return -1;
    v = v * 10u + (uint64_t)(*s - '0');
    if (v > 0xFFFFFFFFu) return -1;
  }
  *out = (uint32_t)v;
  return 0;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static void timestamp(void) {
  uint64_t us = reparo_platform_count() * 1000000u / reparo_platform_clock_hz();
  put("m-lap-us-");
  put_u(us);
  put("\r\n");
}

static float dequantized(uint32_t i) { return (float)(output[i] - REPARO_OUTPUT_ZERO_POINT) * REPARO_OUTPUT_SCALE; }

#if REPARO_MLPERF_INPUT_FLOAT
static float feature(uint32_t i) {
  float f;
  memcpy(&f, db + 4u * i, 4u);
  return f;
}
#endif

/* the db buffer as the model's int8 input; 0 when it holds a whole input */
static int load_tensor(void) {
  if (db_pos != DB_MAX) {
    put("e-[db holds ");
    put_u(db_pos);
    put(" bytes, the model takes ");
    put_u(DB_MAX);
    put("]\r\n");
    return -1;
  }
  for (uint32_t i = 0; i < REPARO_HIL_INPUT_CAPACITY; i++) {
#if REPARO_MLPERF_INPUT_FLOAT
    /* round(x / scale) + zero point, clamped, as the reference's QuantizeFloatToInt8 (half away from
     * zero; ± 0.5 in double is exact for every float that can land in range) */
    double r = (double)(feature(i) / REPARO_INPUT_SCALE);
    r = r > 1e6 ? 1e6 : r < -1e6 ? -1e6 : r == r ? r : 0; /* NaN: the zero point */
    int32_t q = (int32_t)(r < 0 ? r - 0.5 : r + 0.5) + REPARO_INPUT_ZERO_POINT;
    input[i] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
#elif REPARO_MLPERF_INPUT_UINT8
    input[i] = (int8_t)(db[i] ^ 0x80u);
#else
    input[i] = (int8_t)db[i];
#endif
  }
  return 0;
}

static int run(void) {
  if (reparo_model_run(input, output)) {
    put("e-[inference failed]\r\n");
    return -1;
  }
  ran = 1;
  return 0;
}

static void results(void) {
  if (!ran) {
    put("e-[no results yet]\r\n");
    return;
  }
  put("m-results-[");
#if REPARO_MLPERF_RESULT_MSE
  float sum = 0;
  for (uint32_t i = 0; i < REPARO_HIL_OUTPUT_CAPACITY; i++) {
    float d = dequantized(i) - feature(i);
    sum += d * d;
  }
  put_fixed3(sum / (float)REPARO_HIL_OUTPUT_CAPACITY);
#else
  for (uint32_t i = 0; i < REPARO_HIL_OUTPUT_CAPACITY; i++) {
    if (i) put(",");
    put_fixed3(dequantized(i));
  }
#endif
  put("]\r\n");
}

static void infer(uint32_t n, uint32_t w) {
  if (load_tensor()) return;
  put("m-warmup-start-");
  put_u(w);
  put("\r\n");
  while (w--)
    if (run()) return;
  put("m-warmup-done\r\n");
  put("m-infer-start-");
  put_u(n);
  put("\r\n");
  timestamp();
  while (n--)
    if (run()) return;
  timestamp();
  put("m-infer-done\r\n");
  results();
}

static void db_command(char *arg, char *rest) {
  if (!arg) {
    put("e-[Command 'db' requires a subcommand]\r\n");
  } else if (!strcmp(arg, "load")) {
    uint32_t n;
    if (!rest || parse_u32(rest, &n) || n == 0) {
      put("e-[Command 'db load' requires the # of bytes]\r\n");
    } else if (n > DB_MAX) {
      put("e-[db load ");
      put_u(n);
      put(" exceeds the maximum of ");
      put_u(DB_MAX);
      put("]\r\n");
    } else {
      db_size = n;
      db_pos = 0;
      put("m-[Expecting ");
      put_u(n);
      put(" bytes]\r\n");
    }
  } else if (!strcmp(arg, "print")) {
    static const char hex[] = "0123456789abcdef";
    for (uint32_t i = 0; i < db_pos; i++) {
      char b[3] = {hex[db[i] >> 4], hex[db[i] & 15u], 0};
      if (i % 8u == 0) put("m-buffer-");
      put(b);
      put((i + 1) % 8u == 0 || i + 1 == db_pos ? "\r\n" : "-");
    }
  } else {
    uint32_t len = (uint32_t)strlen(arg);
    if (len & 1u) {
      put("e-[Insufficent number of hex digits]\r\n");
      return;
    }
    for (uint32_t i = 0; i < len; i += 2) {
      int hi = hex_digit(arg[i]), lo = hex_digit(arg[i + 1]);
      if (hi < 0 || lo < 0) {
        put("e-[Invalid hex digit]\r\n");
        return;
      }
      if (db_pos >= db_size) return;
      db[db_pos++] = (uint8_t)(hi * 16 + lo);
      if (db_pos == db_size) {
        put("m-load-done\r\n");
        return; /* the rest of the digits is ignored, as the reference does */
      }
    }
  }
}

static void dispatch(char *cmd) {
  char *w[4] = {0, 0, 0, 0};
  uint32_t n = 0;
  for (char *p = cmd; *p && n < 4;) {
    while (*p == ' ') *p++ = 0;
    if (!*p) break;
    w[n++] = p;
    while (*p && *p != ' ') p++;
  }
  if (!n) return;
  if (!strcmp(w[0], "name")) {
    put("m-name-dut-[reparo]\r\n");
  } else if (!strcmp(w[0], "timestamp")) {
    timestamp();
  } else if (!strcmp(w[0], "profile")) {
    put("m-profile-[ULPMark for tinyML Firmware V0.0.1]\r\nm-model-[" REPARO_MLPERF_MODEL "]\r\n");
  } else if (!strcmp(w[0], "help")) {
    put("reparo MLPerf Tiny DUT (" REPARO_MLPERF_MODEL "): name, timestamp, profile, db load N, db HEX, db print, infer N W, results\r\n");
  } else if (!strcmp(w[0], "db")) {
    db_command(w[1], w[2]);
  } else if (!strcmp(w[0], "infer")) {
    uint32_t n_runs = 1, warm = 10;
    if (w[1] && (parse_u32(w[1], &n_runs) || n_runs == 0)) {
      put("e-[Inference iterations must be >0]\r\n");
    } else if (w[2] && parse_u32(w[2], &warm)) {
      put("e-[Inference warmup must be >=0]\r\n");
    } else {
      infer(n_runs, warm);
    }
  } else if (!strcmp(w[0], "results")) {
    results();
  } else {
    /* echoed printable only: a reply is one text line */
    for (char *p = w[0]; *p; p++)
      if (*p < 0x20 || *p > 0x7e) *p = '?';
    put("e-[Unknown command: ");
    put(w[0]);
    put("]\r\n");
  }
}

void reparo_mlperf_dut_main(void) {
  static char cmd[CMD_MAX + 1];
  uint32_t n = 0;
  reparo_platform_init();
  int failed = reparo_model_setup() != 0;
  put("m-timestamp-mode-performance\r\n");
  put(failed ? "e-[model setup failed]\r\n" : "m-init-done\r\n");
  put("m-ready\r\n");
  for (;;) {
    int c = reparo_platform_getc();
    if (c == '%') {
      cmd[n < CMD_MAX ? n : CMD_MAX] = 0;
      if (failed) put("e-[model setup failed]\r\n");
      else dispatch(cmd);
      put("m-ready\r\n");
      n = 0;
    } else if (c != '\r' && c != '\n' && n < CMD_MAX) {
      cmd[n++] = (char)c;
    }
  }
}

#endif
