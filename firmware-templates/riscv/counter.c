/* mcycle/mcycleh as one 64-bit count: the high word read twice so that a carry between the reads is
 * not lost. Real RV32 cores count core clock cycles here; QEMU's virt counts virtual ns, which with
 * -icount shift=0 is one per instruction (plus the time spent in WFI, which no measured interval has). */
#include "reparo_fw.h"

static uint64_t last;

static uint64_t read_mcycle(void) {
  uint32_t hi, lo, hi2;
  do {
    __asm volatile("csrr %0, mcycleh" : "=r"(hi));
    __asm volatile("csrr %0, mcycle" : "=r"(lo));
    __asm volatile("csrr %0, mcycleh" : "=r"(hi2));
  } while (hi != hi2);
  return ((uint64_t)hi << 32) | lo;
}

void reparo_counter_init(void) { last = read_mcycle(); }

uint64_t reparo_counter_ticks(void) { return read_mcycle(); }

uint64_t reparo_counter_lap(void) {
  uint64_t now = read_mcycle(), d = now - last;
  last = now;
  return d;
}

uint64_t reparo_ticks_to_instructions(uint64_t ticks) { return ticks; }
