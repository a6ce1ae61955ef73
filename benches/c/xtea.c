/* XTEA in ECB mode (XteaApplet). */
#include "bench.h"
#include "nvm.h"

#define DELTA 0x9E3779B9u

static void encipher(uint8_t *b, const uint32_t *k)
{
    uint32_t v0 = get32(b), v1 = get32(b + 4), sum = 0;
    for (int i = 0; i < 32; i++) {
        v0 += (((v1 << 4) ^ (v1 >> 5)) + v1) ^ (sum + k[sum & 3]);
        sum += DELTA;
        v1 += (((v0 << 4) ^ (v0 >> 5)) + v0) ^ (sum + k[(sum >> 11) & 3]);
    }
    put32(b, v0);
    put32(b + 4, v1);
}

static void decipher(uint8_t *b, const uint32_t *k)
{
    uint32_t v0 = get32(b), v1 = get32(b + 4), sum = DELTA * 32;
    for (int i = 0; i < 32; i++) {
        v1 -= (((v0 << 4) ^ (v0 >> 5)) + v0) ^ (sum + k[(sum >> 11) & 3]);
        sum -= DELTA;
        v0 -= (((v1 << 4) ^ (v1 >> 5)) + v1) ^ (sum + k[sum & 3]);
    }
    put32(b, v0);
    put32(b + 4, v1);
}

/* The applet's key is a persistent int array, set by every command. */
static NVM uint32_t key[4];

uint16_t bench_xtea(uint8_t ins, uint8_t p1, uint8_t p2, uint8_t *data, uint16_t len, uint8_t *out,
                    uint16_t *outlen)
{
    (void)p2;
    if (ins == 0x02) return SW_OK;
    if (ins != 0x20 && ins != 0x21) return SW_INS_NOT_SUPPORTED;
    int n = len - 16;
    if (n < 0 || (n & 7)) return SW_WRONG_LENGTH;
    for (int i = 0; i < 4; i++) PSET(key[i], get32(data + 4 * i));
    uint8_t *blocks = data + 16;
    for (unsigned t = 0; t < p1; t++)
        for (int b = 0; b < n; b += 8) {
            if (ins == 0x20)
                encipher(blocks + b, key);
            else
                decipher(blocks + b, key);
        }
    for (int i = 0; i < n; i++) out[i] = blocks[i];
    *outlen = n;
    return SW_OK;
}
