/* The purse (PurseApplet): a PIN with a try counter, a balance and a cyclic
 * log, each update atomic through an undo journal (what a card's
 * transaction does: old bytes saved before each persistent write, dropped
 * at commit). */
#include <string.h>

#include "bench.h"
#include "nvm.h"

#define LIMIT 30000
#define RECORD 8
#define RECORDS 16

static const uint8_t pin_value[4] = { 0x31, 0x32, 0x33, 0x34 };
/* What the applet keeps in persistent memory (NVM in the NVM variant);
 * `validated` is transient, as OwnerPIN's. */
static NVM uint8_t tries = 3;
static uint8_t validated;
static NVM int16_t balance, seq, touches;
static NVM uint8_t log_[RECORD * RECORDS];

#ifdef BENCH_NVM
static void begin(void) { nvm_begin(); }
static void commit(void) { nvm_commit(); }
static void persist(void *dst, const void *src, uint8_t len) { nvm_txn_update(dst, src, len); }
#else
static struct {
    uint8_t *addr;
    uint8_t len;
    uint8_t old[8];
} journal[16];
static unsigned journal_len;

static void begin(void) { journal_len = 0; }
static void commit(void) { journal_len = 0; }

static void persist(void *dst, const void *src, uint8_t len)
{
    journal[journal_len].addr = dst;
    journal[journal_len].len = len;
    memcpy(journal[journal_len].old, dst, len);
    journal_len++;
    memcpy(dst, src, len);
}
#endif

static int apply(int16_t amount)
{
    int16_t next = (int16_t)(balance + amount);
    if (next < 0 || next > LIMIT) return 0;
    begin();
    persist(&balance, &next, 2);
    unsigned at = (unsigned)(seq & (RECORDS - 1)) * RECORD;
    uint8_t r[RECORD];
    put16(r, (uint16_t)seq);
    r[2] = amount < 0 ? 2 : 1;
    put16(r + 3, (uint16_t)amount);
    put16(r + 5, (uint16_t)next);
    uint8_t x = 0;
    for (int i = 0; i < 7; i++) x ^= r[i];
    r[7] = x;
    persist(log_ + at, r, RECORD);
    int16_t s = (int16_t)(seq + 1);
    persist(&seq, &s, 2);
    commit();
    return 1;
}

uint16_t bench_purse(uint8_t ins, uint8_t p1, uint8_t p2, uint8_t *d, uint16_t len, uint8_t *out,
                     uint16_t *outlen)
{
    (void)p2;
    switch (ins) {
    case 0x02: return SW_OK;
    case 0x03: PSET(touches, (int16_t)(touches + 1)); return SW_OK;
    case 0x20:
        if (tries == 0) return SW_FILE_INVALID;
        validated = 0;
        PSET(tries, tries - 1);
        if (len == sizeof pin_value && memcmp(d, pin_value, len) == 0) {
            PSET(tries, 3);
            validated = 1;
            return SW_OK;
        }
        return 0x63C0 | tries;
    case 0x70: {
        if (!validated) return SW_SECURITY;
        unsigned refused = 0;
        for (unsigned t = 0; t < p1; t++)
            for (unsigned o = 0; o + 1 < len; o += 2)
                if (!apply(get16(d + o))) refused++;
        uint16_t sum = 0;
        for (unsigned i = 0; i < sizeof log_; i++) sum += log_[i];
        put16(out, (uint16_t)balance);
        put16(out + 2, (uint16_t)seq);
        put16(out + 4, (uint16_t)refused);
        put16(out + 6, sum);
        *outlen = 8;
        return SW_OK;
    }
    case 0x72:
        put16(out, (uint16_t)balance);
        put16(out + 2, (uint16_t)seq);
        *outlen = 4;
        return SW_OK;
    default: return SW_INS_NOT_SUPPORTED;
    }
}
