/*
 * The reparo HIL firmware, split in three so that every runtime and board shares one protocol:
 *   hil.c (this folder)       the protocol loop, the same on every board (PROTOCOL.md);
 *   the runtime backend       the generated native model, or the TFLite Micro glue;
 *   the platform              UART bytes and the counter: firmware-templates/cortex-m, the ESP-IDF
 *                             glue, or the host build used by the tests.
 */
#ifndef REPARO_HIL_H
#define REPARO_HIL_H
#include <stdint.h>

/* ---- provided by the runtime backend ---- */
typedef struct {
  const char *runtime;     /* "native" | "tflm" */
  const char *model_hash;  /* 16 lowercase hex digits, the same as the host's modelHash() */
  uint32_t input_bytes;    /* int8 input tensor size */
  uint32_t output_bytes;   /* int8 output tensor size */
  uint32_t arena_bytes;    /* activation arena (TFLM: arena_used_bytes() after AllocateTensors) */
  uint32_t layer_count;    /* operators; 0 when the backend cannot profile per layer */
} reparo_model_info_t;

int reparo_model_setup(void); /* 0 on success */
const reparo_model_info_t *reparo_model_info(void);
int reparo_model_run(const int8_t *input, int8_t *output); /* 0 on success */
/* One run with the platform counter read around each operator: counts[i] for layer i (at most
 * layer_count entries). Separate from reparo_model_run so that timed runs carry no probes. */
int reparo_model_run_profiled(const int8_t *input, int8_t *output, uint64_t *counts);
const char *reparo_model_layer_name(uint32_t i); /* e.g. "CONV_2D" */

/* ---- provided by the platform ---- */
void reparo_platform_init(void);
int reparo_platform_getc(void);                     /* blocks until a byte arrives (idle may sleep) */
void reparo_platform_write(const char *s, uint32_t n);
uint64_t reparo_platform_count(void);               /* free-running counter in reparo_platform_unit() */
const char *reparo_platform_unit(void);             /* "instructions" (QEMU -icount) | "cycles" */
uint32_t reparo_platform_clock_hz(void);
const char *reparo_platform_board(void);            /* board id, e.g. "qemu-mps2-an386" */

/* ---- the protocol loop (hil.c), or the MLPerf Tiny DUT loop (mlperf_dut.c) ---- */
void reparo_hil_main(void) __attribute__((noreturn));
void reparo_mlperf_dut_main(void) __attribute__((noreturn));

#endif
