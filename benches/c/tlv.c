/* The BER-TLV parser (TlvApplet); malformed data unwinds by return codes. */
#include "bench.h"
#include "nvm.h"

struct stats {
    uint16_t count, depth, tags, values;
    int16_t found;
};

/* 0: parsed; -1: malformed. */
static int parse(const uint8_t *b, int off, int end, uint16_t depth, struct stats *s)
{
    if (depth > s->depth) PSET(s->depth, depth);
    while (off < end) {
        unsigned first = b[off++];
        uint16_t tag = (uint16_t)first;
        if ((first & 0x1F) == 0x1F) {
            unsigned nb;
            do {
                if (off >= end) return -1;
                nb = b[off++];
                tag = (uint16_t)(tag << 8 | nb);
            } while (nb & 0x80);
        }
        if (off >= end) return -1;
        int l = b[off++];
        if (l == 0x81) {
            if (off >= end) return -1;
            l = b[off++];
        } else if (l == 0x82) {
            if (off + 1 >= end) return -1;
            l = get16(b + off);
            off += 2;
        } else if (l > 0x7F) {
            return -1;
        }
        if (l < 0 || l > end - off) return -1;
        PSET(s->count, s->count + 1);
        PSET(s->tags, s->tags + tag);
        if (first & 0x20) {
            if (parse(b, off, off + l, depth + 1, s)) return -1;
        } else {
            if (tag == 0x5A && s->found < 0) PSET(s->found, (int16_t)off);
            uint16_t v = s->values;
            for (int i = 0; i < l; i++) v += b[off + i];
            PSET(s->values, v);
        }
        off += l;
    }
    return 0;
}

uint16_t bench_tlv(uint8_t ins, uint8_t p1, uint8_t p2, uint8_t *d, uint16_t len, uint8_t *out,
                   uint16_t *outlen)
{
    (void)p2;
    if (ins == 0x02) return SW_OK;
    if (ins != 0x60) return SW_INS_NOT_SUPPORTED;
#ifdef BENCH_NVM
    /* The applet's Stats object is persistent: each field reset is one
     * atomic update. */
    static NVM struct stats st;
    for (unsigned t = 0; t < p1; t++) {
        PSET(st.count, 0);
        PSET(st.depth, 0);
        PSET(st.tags, 0);
        PSET(st.values, 0);
        PSET(st.found, -1);
        if (parse(d, 0, len, 1, &st)) return SW_WRONG_DATA;
    }
    struct stats s = st;
#else
    struct stats s = { 0, 0, 0, 0, -1 };
    for (unsigned t = 0; t < p1; t++) {
        s = (struct stats){ 0, 0, 0, 0, -1 };
        if (parse(d, 0, len, 1, &s)) return SW_WRONG_DATA;
    }
#endif
    put16(out, s.count);
    put16(out + 2, s.depth);
    put16(out + 4, s.tags);
    put16(out + 6, s.values);
    put16(out + 8, (uint16_t)s.found);
    *outlen = 10;
    return SW_OK;
}
