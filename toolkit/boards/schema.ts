/** The board file format (boards/*.json), validated with zod at load. Every number says where it came from. */
import { z } from 'zod';

const bytes = z.number().int().positive();

export const BoardSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
    name: z.string().min(1),
    virtual: z.boolean(),
    core: z.enum(['cortex-m0plus', 'cortex-m4f', 'cortex-m7', 'cortex-m33', 'xtensa-lx6', 'xtensa-lx7', 'riscv32']),
    clockHz: z.number().int().positive(),
    flash: z.object({ total: bytes, freeForModel: bytes }),
    ram: z.object({ total: bytes, freeForModel: bytes }),
    toolchain: z.enum(['gcc-arm-none-eabi', 'gcc-riscv64-unknown-elf', 'esp-idf']),
    flashMethod: z.object({
      method: z.enum(['qemu', 'esp-rom', 'stm32-uart', 'openocd', 'pyocd', 'probe-rs', 'picotool', 'uf2']),
      options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    }),
    serial: z.object({
      baud: z.number().int().positive(),
      /** USB vendor/product ids (hex) of the board's serial bridge, for detection */
      usb: z.array(z.object({ vid: z.string().regex(/^[0-9a-f]{4}$/), pid: z.string().regex(/^[0-9a-f]{4}$/), bridge: z.string() })),
      /** reset/boot sequence as esptool writes it, with waits in ms: D/R = set DTR/RTS to 0/1, W = wait (empty: none) */
      reset: z.string().regex(/^$|^([DRW]\d+)(\|[DRW]\d+)*$/),
    }),
    cycleCounter: z.enum(['dwt-cyccnt', 'esp-ccount', 'riscv-mcycle', 'systick']),
    /** where FLASH (as the core fetches it) and RAM start on a real Cortex-M board; virtual boards say it under qemu */
    memory: z.object({ flashBase: z.string().regex(/^0x[0-9a-f]+$/), ramBase: z.string().regex(/^0x[0-9a-f]+$/) }).optional(),
    qemu: z
      .object({
        machine: z.string(),
        cpu: z.string(),
        flashBase: z.string().regex(/^0x[0-9a-f]+$/),
        ramBase: z.string().regex(/^0x[0-9a-f]+$/),
        uart0: z.string().regex(/^0x[0-9a-f]+$/),
        /** which of the machine's serial ports (QEMU's -serial order) is the board's UART: the ones before it go to null */
        uartIndex: z.number().int().min(0).max(5).optional(),
      })
      .optional(),
    /** the source of each number: field → datasheet, manual or measurement */
    sources: z.record(z.string(), z.string()),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.flash.freeForModel > b.flash.total) ctx.addIssue({ code: 'custom', message: 'flash.freeForModel exceeds flash.total', path: ['flash'] });
    if (b.ram.freeForModel > b.ram.total) ctx.addIssue({ code: 'custom', message: 'ram.freeForModel exceeds ram.total', path: ['ram'] });
    if (b.virtual !== !!b.qemu) ctx.addIssue({ code: 'custom', message: 'virtual boards (and only they) have a qemu section', path: ['qemu'] });
    for (const f of ['clockHz', 'flash', 'ram']) if (!b.sources[f]) ctx.addIssue({ code: 'custom', message: `no source given for ${f}`, path: ['sources'] });
  });

export type Board = z.infer<typeof BoardSchema>;
