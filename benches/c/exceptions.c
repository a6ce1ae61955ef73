/* Exception-heavy code (ExceptionsApplet) as C writes it: each frame
 * returns a status, the caller tests it and passes it up. */
#include "bench.h"
#include "nvm.h"

enum { NONE, BENCH, ISO, ARITH };

struct result {
    int kind;
    int16_t value; /* the value, or the reason */
};

#ifdef BENCH_NVM
/* The reason of the applet's own exception object, which is persistent. */
static NVM int16_t bench_reason;
#endif

static struct result __attribute__((noinline)) level3(int16_t i)
{
    switch (i & 3) {
    case 0: return (struct result){ NONE, i };
#ifdef BENCH_NVM
    case 1: PSET(bench_reason, (int16_t)(3 * i)); return (struct result){ BENCH, bench_reason };
#else
    case 1: return (struct result){ BENCH, (int16_t)(3 * i) };
#endif
    case 2: return (struct result){ ISO, (int16_t)(0x6200 + i) };
    default:
        if ((i & 4) == 0) return (struct result){ ARITH, 0 };
        return (struct result){ NONE, (int16_t)(i / (i & 4)) };
    }
}

static struct result __attribute__((noinline)) level2(int16_t i)
{
    struct result r = level3(i);
    if (r.kind == BENCH && (i & 7) == 5) return (struct result){ ISO, (int16_t)(0x6100 | i) };
    return r;
}

static struct result __attribute__((noinline)) level1(int16_t i)
{
    struct result r = level2(i);
    if (r.kind == NONE) r.value = (int16_t)(r.value + 1);
    return r;
}

uint16_t bench_exceptions(uint8_t ins, uint8_t p1, uint8_t p2, uint8_t *d, uint16_t len,
                          uint8_t *out, uint16_t *outlen)
{
    (void)p2;
    (void)d;
    (void)len;
    if (ins == 0x02) return SW_OK;
    if (ins != 0x90) return SW_INS_NOT_SUPPORTED;
    int16_t acc = 0, fin = 0, caught = 0;
    for (unsigned t = 0; t < p1; t++)
        for (int16_t i = 0; i < 64; i++) {
            struct result r = level1(i);
            switch (r.kind) {
            case NONE: acc = (int16_t)(acc + r.value); break;
            case BENCH: acc = (int16_t)(acc + r.value); caught++; break;
            case ISO: acc ^= r.value; caught++; break;
            default: acc = (int16_t)(acc - i); caught++; break;
            }
            fin++;
        }
    put16(out, (uint16_t)acc);
    put16(out + 2, (uint16_t)fin);
    put16(out + 4, (uint16_t)caught);
    *outlen = 6;
    return SW_OK;
}
