/* The C versions of the benchmark applets: one function per benchmark that
 * answers a command (INS, P1, P2, data) as the applet does, writing the
 * response data to out and returning the status word. */
#ifndef HYDRA_BENCH_H
#define HYDRA_BENCH_H
#include <stdint.h>

typedef uint16_t bench_fn(uint8_t ins, uint8_t p1, uint8_t p2, uint8_t *data, uint16_t len,
                          uint8_t *out, uint16_t *outlen);

bench_fn bench_crc, bench_xtea, bench_sha256, bench_bignum, bench_sort, bench_tlv, bench_purse,
    bench_objects, bench_exceptions;
/* The NVM variants (nvm.h) of the benchmarks that keep persistent state. */
bench_fn bench_xtea_nvm, bench_sha256_nvm, bench_tlv_nvm, bench_purse_nvm, bench_objects_nvm,
    bench_exceptions_nvm;

#define SW_OK 0x9000
#define SW_WRONG_LENGTH 0x6700
#define SW_WRONG_DATA 0x6A80
#define SW_INS_NOT_SUPPORTED 0x6D00
#define SW_SECURITY 0x6982
#define SW_FILE_INVALID 0x6983

static inline void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = (uint8_t)v;
}
static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline int16_t get16(const uint8_t *p) { return (int16_t)(p[0] << 8 | p[1]); }

#endif
