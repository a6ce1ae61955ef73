/* SHA-256 of the data repeated P1 times (Sha256Applet). */
#include "bench.h"
#include "nvm.h"

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* w and h are persistent int arrays in the applet; block is transient. */
static NVM uint32_t w[64], h[8];
static uint8_t block[64];

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void compress(void)
{
    for (int i = 0; i < 16; i++) PSET(w[i], get32(block + 4 * i));
    for (int i = 16; i < 64; i++) {
        uint32_t x = w[i - 15], y = w[i - 2];
        uint32_t s0 = ROR(x, 7) ^ ROR(x, 18) ^ (x >> 3);
        uint32_t s1 = ROR(y, 17) ^ ROR(y, 19) ^ (y >> 10);
        PSET(w[i], w[i - 16] + s0 + w[i - 7] + s1);
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t S1 = ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = hh + S1 + ch + K[i] + w[i];
        uint32_t S0 = ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = S0 + maj;
        hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    PSET(h[0], h[0] + a);
    PSET(h[1], h[1] + b);
    PSET(h[2], h[2] + c);
    PSET(h[3], h[3] + d);
    PSET(h[4], h[4] + e);
    PSET(h[5], h[5] + f);
    PSET(h[6], h[6] + g);
    PSET(h[7], h[7] + hh);
}

uint16_t bench_sha256(uint8_t ins, uint8_t p1, uint8_t p2, uint8_t *data, uint16_t len,
                      uint8_t *out, uint16_t *outlen)
{
    (void)p2;
    if (ins == 0x02) return SW_OK;
    if (ins != 0x30) return SW_INS_NOT_SUPPORTED;
    static const uint32_t init[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    for (int i = 0; i < 8; i++) PSET(h[i], init[i]);
    unsigned fill = 0;
    for (unsigned t = 0; t < p1; t++)
        for (uint16_t i = 0; i < len; i++) {
            block[fill++] = data[i];
            if (fill == 64) {
                compress();
                fill = 0;
            }
        }
    uint32_t bits = (uint32_t)len * p1 * 8;
    block[fill++] = 0x80;
    if (fill > 56) {
        while (fill < 64) block[fill++] = 0;
        compress();
        fill = 0;
    }
    while (fill < 60) block[fill++] = 0;
    put32(block + 60, bits);
    compress();
    for (int i = 0; i < 8; i++) put32(out + 4 * i, h[i]);
    *outlen = 32;
    return SW_OK;
}
