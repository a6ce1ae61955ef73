/* Bare-metal harness for the C versions of the benchmarks: start-up,
 * semihosting, the instruction-count markers and the command loop.
 *
 * QEMU's loader places a command image at __input:
 *   "HYDRACB1", benchmark name (16 bytes, NUL-padded), u32 count, then per
 *   command: INS, P1, P2, u16 data length (little-endian), data.
 * Each command runs between hydra_icount_begin and hydra_icount_end (the
 * markers the firmware uses, so the same plugin counts exactly the
 * kernel), and its response is written to the semihosting console as
 *   R <hex data> <SW as 4 hex digits>
 * Then the program exits through semihosting (status 0, or 1 for an
 * unknown benchmark or a bad image). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bench.h"

extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end, __stack_top;
extern const uint8_t __input[];

int main(void);

void reset_handler(void)
{
    uint32_t *s = &__data_load, *d = &__data_start;
    while (d < &__data_end) *d++ = *s++;
    for (d = &__bss_start; d < &__bss_end; d++) *d = 0;
    main();
    for (;;) {}
}

static void fault_handler(void);

__attribute__((section(".vectors"), used))
static void (*const vectors[16])(void) = {
    (void (*)(void))&__stack_top, reset_handler, fault_handler, fault_handler,
    fault_handler, fault_handler, fault_handler, 0, 0, 0, 0,
    fault_handler, fault_handler, 0, fault_handler, fault_handler,
};

static int semihost(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt #0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static void write0(const char *s) { semihost(0x04, s); }

static void __attribute__((noreturn)) sys_exit(int ok)
{
    /* On 32-bit Arm the parameter of SYS_EXIT is the reason itself. */
    semihost(0x18, (const void *)(ok ? 0x20026u : 0x20023u));
    for (;;) {}
}

static void fault_handler(void)
{
    write0("hydra-bench-c: fault\n");
    sys_exit(0);
}

/* The markers: as in the firmware, assembly so that nothing merges, inlines
 * or drops them. */
__asm__(".section .text.hydra_icount_begin,\"ax\",%progbits\n"
        ".global hydra_icount_begin\n.type hydra_icount_begin,%function\n.thumb_func\n"
        "hydra_icount_begin:\n nop\n bx lr\n.size hydra_icount_begin, . - hydra_icount_begin\n"
        ".section .text.hydra_icount_end,\"ax\",%progbits\n"
        ".global hydra_icount_end\n.type hydra_icount_end,%function\n.thumb_func\n"
        "hydra_icount_end:\n nop\n nop\n bx lr\n.size hydra_icount_end, . - hydra_icount_end\n");
void hydra_icount_begin(void);
void hydra_icount_end(void);

struct bench {
    const char *name;
    bench_fn *run;
};

static const struct bench benches[] = {
    { "crc", bench_crc },       { "xtea", bench_xtea },     { "sha256", bench_sha256 },
    { "bignum", bench_bignum }, { "sort", bench_sort },     { "tlv", bench_tlv },
    { "purse", bench_purse },   { "objects", bench_objects }, { "exceptions", bench_exceptions },
    { "xtea+nvm", bench_xtea_nvm },     { "sha256+nvm", bench_sha256_nvm },
    { "tlv+nvm", bench_tlv_nvm },       { "purse+nvm", bench_purse_nvm },
    { "objects+nvm", bench_objects_nvm }, { "exceptions+nvm", bench_exceptions_nvm },
};

static uint8_t data[256];
static uint8_t out[256];
static char line[2 + 3 * 256 + 8];

static char *hex(char *p, unsigned v, int digits)
{
    static const char h[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; i--) *p++ = h[(v >> (4 * i)) & 15];
    return p;
}

int main(void)
{
    const uint8_t *in = __input;
    if (memcmp(in, "HYDRACB1", 8) != 0) {
        write0("hydra-bench-c: no command image\n");
        sys_exit(0);
    }
    bench_fn *run = 0;
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
        if (strncmp((const char *)in + 8, benches[i].name, 16) == 0) run = benches[i].run;
    if (!run) {
        write0("hydra-bench-c: unknown benchmark\n");
        sys_exit(0);
    }
    uint32_t count = in[24] | in[25] << 8 | in[26] << 16 | (uint32_t)in[27] << 24;
    in += 28;
    /* One call outside the windows, the counterpart of the applet's
     * install: objects.c builds its objects on the first call. */
    uint16_t unused;
    run(0x00, 0, 0, data, 0, out, &unused);
    for (uint32_t c = 0; c < count; c++) {
        uint8_t ins = in[0], p1 = in[1], p2 = in[2];
        uint16_t len = in[3] | in[4] << 8;
        memcpy(data, in + 5, len);
        in += 5 + len;
        uint16_t outlen = 0;
        hydra_icount_begin();
        uint16_t sw = run(ins, p1, p2, data, len, out, &outlen);
        hydra_icount_end();
        char *p = line;
        *p++ = 'R';
        for (uint16_t i = 0; i < outlen; i++) {
            *p++ = ' ';
            p = hex(p, out[i], 2);
        }
        *p++ = ' ';
        p = hex(p, sw, 4);
        *p++ = '\n';
        *p = 0;
        write0(line);
    }
    sys_exit(1);
}
