/* CRC-16/CCITT-FALSE, CRC-32 and Adler-32, bit by bit (CrcApplet). */
#include "bench.h"

static uint16_t crc16(const uint8_t *b, uint16_t len, unsigned passes)
{
    uint16_t crc = 0xFFFF;
    for (unsigned p = 0; p < passes; p++)
        for (uint16_t i = 0; i < len; i++) {
            crc ^= (uint16_t)(b[i] << 8);
            for (int k = 0; k < 8; k++)
                crc = crc & 0x8000 ? (uint16_t)(crc << 1) ^ 0x1021 : (uint16_t)(crc << 1);
        }
    return crc;
}

static uint32_t crc32(const uint8_t *b, uint16_t len, unsigned passes)
{
    uint32_t crc = 0xFFFFFFFF;
    for (unsigned p = 0; p < passes; p++)
        for (uint16_t i = 0; i < len; i++) {
            crc ^= b[i];
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320 & -(crc & 1));
        }
    return ~crc;
}

static uint32_t adler32(const uint8_t *b, uint16_t len, unsigned passes)
{
    uint32_t a = 1, s = 0;
    for (unsigned p = 0; p < passes; p++)
        for (uint16_t i = 0; i < len; i++) {
            a = (a + b[i]) % 65521;
            s = (s + a) % 65521;
        }
    return s << 16 | a;
}

uint16_t bench_crc(uint8_t ins, uint8_t p1, uint8_t p2, uint8_t *data, uint16_t len, uint8_t *out,
                   uint16_t *outlen)
{
    (void)p2;
    switch (ins) {
    case 0x02: return SW_OK;
    case 0x10: put16(out, crc16(data, len, p1)); *outlen = 2; return SW_OK;
    case 0x11: put32(out, crc32(data, len, p1)); *outlen = 4; return SW_OK;
    case 0x12: put32(out, adler32(data, len, p1)); *outlen = 4; return SW_OK;
    default: return SW_INS_NOT_SUPPORTED;
    }
}
