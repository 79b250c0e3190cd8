/* The reparo counter on Cortex-M4/M7/M33 hardware: DWT CYCCNT counts core clock cycles.
 * (ARMv7-M ARM C1.8 / ARMv8-M ARM: DEMCR 0xE000EDFC bit24 TRCENA powers the DWT; DWT_CTRL 0xE0001000
 * bit0 CYCCNTENA starts it; DWT_CYCCNT 0xE0001004. The Cortex-M7 also has DWT_LAR 0xE0001FB0: its
 * registers may ignore writes until 0xC5ACCE55 is written there.)
 * CYCCNT is 32 bits (20 s at 216 MHz); SysTick interrupts every 2^24 cycles only to fold the wraps
 * into a 64-bit count, so a reading is right however rarely the app asks. */
#include "reparo_fw.h"

#define DEMCR REPARO_REG32(0xE000EDFC)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL REPARO_REG32(0xE0001000)
#define DWT_CTRL_CYCCNTENA 1u
#define DWT_CYCCNT REPARO_REG32(0xE0001004)
#define DWT_LAR REPARO_REG32(0xE0001FB0)
#define SYST_CSR REPARO_REG32(0xE000E010)
#define SYST_RVR REPARO_REG32(0xE000E014)
#define SYST_CVR REPARO_REG32(0xE000E018)

static volatile uint32_t high, last;
static uint64_t lap_start;

/* Call with interrupts masked: the ISR and the app both extend the count. */
static uint64_t extend(void) {
  uint32_t now = DWT_CYCCNT;
  if (now < last) high++;
  last = now;
  return ((uint64_t)high << 32) | now;
}

void reparo_systick_handler(void) { (void)extend(); }

void reparo_counter_init(void) {
  DEMCR |= DEMCR_TRCENA;
  DWT_LAR = 0xC5ACCE55u; /* needed on the M7; read-as-zero, write-ignored where there is no lock */
  DWT_CYCCNT = 0;
  DWT_CTRL |= DWT_CTRL_CYCCNTENA;
  high = 0;
  last = 0;
  lap_start = 0;
  SYST_CSR = 0;
  SYST_RVR = 0xFFFFFFu;
  SYST_CVR = 0;
  SYST_CSR = 0x7u; /* processor clock, interrupt on wrap, enable */
  __asm volatile("cpsie i" ::: "memory");
}

uint64_t reparo_counter_ticks(void) {
  uint32_t primask;
  __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
  uint64_t t = extend();
  __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
  return t;
}

uint64_t reparo_counter_lap(void) {
  uint64_t now = reparo_counter_ticks();
  uint64_t d = now - lap_start;
  lap_start = now;
  return d;
}

/* Kept so that apps written for the QEMU base link; the same expression as there. On hardware the
 * ticks are core cycles and nothing counts instructions: report the ticks, as cycles. */
uint64_t reparo_ticks_to_instructions(uint64_t ticks) { return ticks * (1000000000ull / REPARO_CLOCK_HZ); }
