/* SysTick as a free-running 24-bit down-counter with the wraps counted in its ISR.
 * SYST_CSR 0xE000E010 (bit0 ENABLE, bit1 TICKINT, bit2 CLKSOURCE=processor, bit16 COUNTFLAG),
 * SYST_RVR 0xE000E014, SYST_CVR 0xE000E018. */
#include "reparo_fw.h"

#define SYST_CSR REPARO_REG32(0xE000E010)
#define SYST_RVR REPARO_REG32(0xE000E014)
#define SYST_CVR REPARO_REG32(0xE000E018)
#define ICSR REPARO_REG32(0xE000ED04)
#define ICSR_PENDSTSET (1u << 26)
#define ICSR_PENDSTCLR (1u << 25)
#define RELOAD 0xFFFFFFu

static volatile uint32_t wraps;

void reparo_systick_handler(void) { wraps++; }

/* Restarts the counter from RELOAD; returns with interrupts enabled, on the first tick after the restart. */
static void restart(void) {
  SYST_CSR = 0;
  SYST_RVR = RELOAD;
  SYST_CVR = 0; /* any write clears it; the counter restarts from RELOAD */
  ICSR = ICSR_PENDSTCLR; /* a wrap still pending belongs to the interval before */
  wraps = 0;
  SYST_CSR = 0x7u; /* processor clock, interrupt on wrap, enable */
  __asm volatile("cpsie i" ::: "memory");
  /* the cleared counter reads 0 until it loads RELOAD on the next tick: wait for that */
  while (SYST_CVR == 0) {
  }
}

void reparo_counter_init(void) {
  __asm volatile("cpsid i" ::: "memory");
  restart();
}

uint64_t reparo_counter_lap(void) {
  uint32_t lo, hi;
  /* With interrupts masked a wrap shows only as PENDSTSET; read the counter before the flag so that a
   * wrap between the two reads leaves lo tiny (before the wrap) and is not counted twice. */
  __asm volatile("cpsid i" ::: "memory");
  do {
    lo = SYST_CVR;
  } while (lo == 0);
  hi = wraps;
  if ((ICSR & ICSR_PENDSTSET) && lo > RELOAD / 2) hi++;
  restart();
  return (uint64_t)hi * (RELOAD + 1u) + (RELOAD - lo);
}

uint64_t reparo_counter_ticks(void) {
  uint32_t hi, lo, hi2, pending;
  /* Retry when the ISR ran between the two reads of `wraps` (the low part may belong to either
   * side) and while the counter reads 0 (that one tick is ambiguous: before or after the wrap ISR).
   * A wrap whose ISR has not run yet (interrupts masked) shows as PENDSTSET in ICSR with the counter
   * freshly reloaded: count it here. Needs interrupts enabled for runs longer than 2^24 ticks. */
  do {
    hi = wraps;
    lo = SYST_CVR;
    pending = ICSR & ICSR_PENDSTSET;
    hi2 = wraps;
  } while (hi != hi2 || lo == 0);
  if (pending && lo > RELOAD / 2) hi++;
  return (uint64_t)hi * (RELOAD + 1u) + (RELOAD - lo);
}

/* exact where the clock divides 1 GHz (the MPS2 boards: 40 or 50 instructions a tick); QEMU's STM32F405
 * clocks SysTick at 168 MHz, 5.95 instructions a tick, so there the count is to within a tick */
uint64_t reparo_ticks_to_instructions(uint64_t ticks) {
  /* whole seconds and the rest apart: ticks * 1e9 would pass 2^64 after 2 minutes at 168 MHz */
  return 1000000000ull % REPARO_CLOCK_HZ ? ticks / REPARO_CLOCK_HZ * 1000000000ull + ticks % REPARO_CLOCK_HZ * 1000000000ull / REPARO_CLOCK_HZ
                                         : ticks * (1000000000ull / REPARO_CLOCK_HZ);
}
