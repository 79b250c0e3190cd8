/* Reset entry for RV32 (machine mode, one hart): stack and global pointer from the linker script, the
 * trap vector, .data copied from FLASH, .bss zeroed, the TLS block set up, then main(); its return code
 * leaves through semihosting. Written for reparo. */
  .section .init, "ax"
  .globl _start
_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la sp, _estack
  la t0, reparo_trap_entry
  csrw mtvec, t0
  csrw mie, zero
  la t0, _sidata
  la t1, _sdata
  la t2, _edata
1:
  bgeu t1, t2, 2f
  lw t3, 0(t0)
  sw t3, 0(t1)
  addi t0, t0, 4
  addi t1, t1, 4
  j 1b
2:
  la t1, _sbss
  la t2, _ebss
3:
  bgeu t1, t2, 4f
  sw zero, 0(t1)
  addi t1, t1, 4
  j 3b
4:
  /* the TLS block (picolibc's errno): .tdata from FLASH, .tbss zeroed, tp at its start */
  la t0, _sitdata
  la t1, __tls_base
  la t2, __tdata_end
5:
  bgeu t1, t2, 6f
  lb t3, 0(t0)
  sb t3, 0(t1)
  addi t0, t0, 1
  addi t1, t1, 1
  j 5b
6:
  la t1, __tbss_start
  la t2, __tbss_end
7:
  bgeu t1, t2, 8f
  sb zero, 0(t1)
  addi t1, t1, 1
  j 7b
8:
  la tp, __tls_base
  call main
  call reparo_semihost_exit

/* Nothing enables interrupts (mstatus.MIE stays 0: WFI wakes on a pending one without taking it), so any
 * trap is a fault: an illegal instruction, a misaligned or bad access. */
  .align 4
reparo_trap_entry:
  la sp, _estack
  csrr a0, mcause
  csrr a1, mepc
  csrr a2, mtval
  j reparo_trap
