/* Unsigned big numbers as big-endian byte arrays (BignumApplet): the same
 * byte-at-a-time algorithms, with C's natural integer types. */
#include "bench.h"

#define MAX 64

static uint8_t prod[2 * MAX], rem[MAX + 1], acc[MAX];

static unsigned add(uint8_t *a, const uint8_t *b, int n)
{
    unsigned carry = 0;
    for (int i = n - 1; i >= 0; i--) {
        unsigned s = a[i] + b[i] + carry;
        a[i] = (uint8_t)s;
        carry = s >> 8;
    }
    return carry;
}

static void mul(const uint8_t *a, const uint8_t *b, int n, uint8_t *r)
{
    for (int i = 0; i < 2 * n; i++) r[i] = 0;
    for (int i = n - 1; i >= 0; i--) {
        unsigned ai = a[i], carry = 0;
        for (int j = n - 1; j >= 0; j--) {
            int k = i + j + 1;
            unsigned p = ai * b[j];
            unsigned t = (p & 0xFF) + r[k] + carry;
            r[k] = (uint8_t)t;
            carry = (p >> 8) + (t >> 8);
        }
        r[i] = (uint8_t)carry;
    }
}

static int geq(const uint8_t *r, const uint8_t *m, int n)
{
    if (r[0]) return 1;
    for (int k = 0; k < n; k++)
        if (r[k + 1] != m[k]) return r[k + 1] > m[k];
    return 1;
}

static void mod(const uint8_t *x, int xlen, const uint8_t *m, int n)
{
    uint8_t *r = rem;
    for (int i = 0; i <= n; i++) r[i] = 0;
    for (int i = 0; i < xlen; i++) {
        unsigned xb = x[i];
        for (int bit = 7; bit >= 0; bit--) {
            unsigned c = (xb >> bit) & 1;
            for (int k = n; k >= 0; k--) {
                unsigned v = (unsigned)r[k] << 1 | c;
                r[k] = (uint8_t)v;
                c = v >> 8;
            }
            if (geq(r, m, n)) {
                unsigned borrow = 0;
                for (int k = n - 1; k >= 0; k--) {
                    int s = r[k + 1] - m[k] - (int)borrow;
                    r[k + 1] = (uint8_t)s;
                    borrow = s < 0;
                }
                r[0] -= borrow;
            }
        }
    }
}

static void modexp(const uint8_t *base, const uint8_t *m, unsigned e, int n)
{
    for (int i = 0; i < n; i++) acc[i] = 0;
    acc[n - 1] = 1;
    int started = 0;
    for (int bit = 15; bit >= 0; bit--) {
        if (started) {
            mul(acc, acc, n, prod);
            mod(prod, 2 * n, m, n);
            for (int i = 0; i < n; i++) acc[i] = rem[i + 1];
        }
        if ((e >> bit) & 1) {
            mul(acc, base, n, prod);
            mod(prod, 2 * n, m, n);
            for (int i = 0; i < n; i++) acc[i] = rem[i + 1];
            started = 1;
        }
    }
}

static int zero(const uint8_t *m, int n)
{
    for (int i = 0; i < n; i++)
        if (m[i]) return 0;
    return 1;
}

uint16_t bench_bignum(uint8_t ins, uint8_t p1, uint8_t p2, uint8_t *d, uint16_t len, uint8_t *out,
                      uint16_t *outlen)
{
    (void)p2;
    int n;
    switch (ins) {
    case 0x02: return SW_OK;
    case 0x40: {
        n = len / 2;
        if (n == 0 || n > MAX || 2 * n != len) return SW_WRONG_LENGTH;
        unsigned carries = 0;
        for (unsigned t = 0; t < p1; t++) carries += add(d, d + n, n);
        for (int i = 0; i < n; i++) out[i] = d[i];
        put16(out + n, (uint16_t)carries);
        *outlen = n + 2;
        return SW_OK;
    }
    case 0x41:
        n = len / 2;
        if (n == 0 || n > MAX || 2 * n != len) return SW_WRONG_LENGTH;
        for (unsigned t = 0; t < p1; t++) mul(d, d + n, n, prod);
        for (int i = 0; i < 2 * n; i++) out[i] = prod[i];
        *outlen = 2 * n;
        return SW_OK;
    case 0x42:
        n = len / 3;
        if (n == 0 || n > MAX || 3 * n != len) return SW_WRONG_LENGTH;
        if (zero(d + 2 * n, n)) return SW_WRONG_DATA;
        for (unsigned t = 0; t < p1; t++) mod(d, 2 * n, d + 2 * n, n);
        for (int i = 0; i < n; i++) out[i] = rem[i + 1];
        *outlen = n;
        return SW_OK;
    case 0x43:
        n = (len - 2) / 2;
        if (n <= 0 || n > MAX || 2 * n + 2 != len) return SW_WRONG_LENGTH;
        if (zero(d + n, n)) return SW_WRONG_DATA;
        modexp(d, d + n, (unsigned)(d[2 * n] << 8 | d[2 * n + 1]), n);
        for (int i = 0; i < n; i++) out[i] = acc[i];
        *outlen = n;
        return SW_OK;
    default: return SW_INS_NOT_SUPPORTED;
    }
}
