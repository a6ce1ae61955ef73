/* Heapsort, insertion sort and binary search on 16-bit values (SortApplet). */
#include "bench.h"

#define MAX 256

static int16_t a[MAX];

static void insertion(int16_t *v, int n)
{
    for (int i = 1; i < n; i++) {
        int16_t x = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

static void sift(int16_t *v, int root, int n)
{
    int16_t x = v[root];
    for (;;) {
        int child = 2 * root + 1;
        if (child >= n) break;
        if (child + 1 < n && v[child + 1] > v[child]) child++;
        if (v[child] <= x) break;
        v[root] = v[child];
        root = child;
    }
    v[root] = x;
}

static void heapsort(int16_t *v, int n)
{
    for (int i = n / 2 - 1; i >= 0; i--) sift(v, i, n);
    for (int end = n - 1; end > 0; end--) {
        int16_t t = v[0];
        v[0] = v[end];
        v[end] = t;
        sift(v, 0, end);
    }
}

uint16_t bench_sort(uint8_t ins, uint8_t p1, uint8_t p2, uint8_t *d, uint16_t len, uint8_t *out,
                    uint16_t *outlen)
{
    (void)p2;
    (void)len;
    if (ins == 0x02) return SW_OK;
    if (ins < 0x50 || ins > 0x52) return SW_INS_NOT_SUPPORTED;
    if (ins == 0x52) {
        int n = get16(d);
        if (n < 1 || n > MAX) return SW_WRONG_DATA;
        for (int i = 0; i < n; i++) a[i] = (int16_t)(3 * i);
        uint16_t hits = 0, sum = 0, probes = 0;
        for (unsigned t = 0; t < p1; t++)
            for (int key = 0; key < 3 * n; key++) {
                int lo = 0, hi = n - 1;
                while (lo <= hi) {
                    int mid = (lo + hi) >> 1;
                    probes++;
                    int v = a[mid];
                    if (v == key) {
                        hits++;
                        sum += mid;
                        break;
                    } else if (v < key) {
                        lo = mid + 1;
                    } else {
                        hi = mid - 1;
                    }
                }
            }
        put16(out, hits);
        put16(out + 2, sum);
        put16(out + 4, probes);
        *outlen = 6;
        return SW_OK;
    }
    int16_t seed = get16(d);
    int n = get16(d + 2);
    if (n < 1 || n > MAX) return SW_WRONG_DATA;
    uint16_t check = 0;
    for (unsigned t = 0; t < p1; t++) {
        uint16_t x = (uint16_t)(seed + t);
        for (int i = 0; i < n; i++) {
            x = (uint16_t)(x * 25173u + 13849u);
            a[i] = (int16_t)x;
        }
        if (ins == 0x50)
            heapsort(a, n);
        else
            insertion(a, n);
        for (int i = 0; i < n; i++) check += (uint16_t)(a[i] ^ i);
    }
    put16(out, (uint16_t)a[0]);
    put16(out + 2, (uint16_t)a[n >> 1]);
    put16(out + 4, (uint16_t)a[n - 1]);
    put16(out + 6, check);
    *outlen = 8;
    return SW_OK;
}
