/* The NVM driver and undo journal of the C benchmarks' NVM variants (see
 * nvm.h), with the card's atomicity and its number of writes (the journal
 * of runtime/core/src/txn.rs, written as C):
 *   header: state (one byte, so it flips atomically: 0 idle, 1 transaction)
 *   and epoch; then records [marker][address][length][bytes][crc-32],
 *   each followed by a 0 byte written with it. A record counts while its
 *   marker is the epoch it is read under and its CRC matches, so one write
 *   appends and validates it. Inside a transaction records hold the old
 *   bytes (undo); one update outside a transaction writes a redo record
 *   of the new bytes marked with the next epoch, then the data: two writes.
 *   Recovery (at boot, which the benchmarks never need) undoes an open
 *   transaction or applies the redo record. The variants write persistent
 *   data only through these functions, so no other write can touch what a
 *   redo record covers (the card's `Guarded` checks that).
 * Compiled with -DBENCH_NVM (without, it is empty). */
#include <stddef.h>
#include <string.h>

#include "nvm.h"

#ifdef BENCH_NVM

/* Called at the start of every NVM write: the plugin's write marker. */
__asm__(".section .text.hydra_nvm_write,\"ax\",%progbits\n"
        ".global hydra_nvm_write\n.type hydra_nvm_write,%function\n.thumb_func\n"
        "hydra_nvm_write:\n bx lr\n.size hydra_nvm_write, . - hydra_nvm_write\n");
void hydra_nvm_write(void);

enum { IDLE = 0, TRANSACTION = 1 };
#define JOURNAL_BYTES 512
#define MAX_OLD 8
#define HEADER 7 /* marker, address, length */

static NVM struct {
    uint8_t state, epoch;
    uint8_t bytes[JOURNAL_BYTES];
} journal;

/* Next free journal byte of the open transaction (RAM, as on the card). */
static unsigned used;

void nvm_write(void *dst, const void *src, unsigned len)
{
    hydra_nvm_write();
    memcpy(dst, src, len);
}

/* CRC-32 (ISO-HDLC, the card's), four bits at a time. */
static uint32_t crc32(const uint8_t *p, unsigned n)
{
    static const uint32_t t[16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
        0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
        0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
    };
    uint32_t c = 0xffffffff;
    while (n--) {
        c ^= *p++;
        c = (c >> 4) ^ t[c & 15];
        c = (c >> 4) ^ t[c & 15];
    }
    return ~c;
}

static uint8_t next_epoch(void) { return journal.epoch >= 250 ? 1 : journal.epoch + 1; }

/* Writes the record for [dst, dst + len) holding `content` at `at`, marked
 * `marker`, with its 0 terminator (one write); returns its size. */
static unsigned put_record(unsigned at, uint8_t marker, void *dst, const void *content,
                           unsigned len)
{
    uint8_t r[HEADER + MAX_OLD + 4 + 1];
    unsigned size = HEADER + len + 4;
    if (len > MAX_OLD || at + size + 1 > JOURNAL_BYTES) {
        /* The benchmarks update at most 8 bytes at once and a few fields
         * per transaction; anything more is a bug of the variant: fault, so
         * that the harness reports it and the bench stops with an error
         * instead of waiting for a hung QEMU. */
        __builtin_trap();
    }
    uint32_t a = (uint32_t)(uintptr_t)dst;
    r[0] = marker;
    r[1] = a >> 24; r[2] = a >> 16; r[3] = a >> 8; r[4] = (uint8_t)a;
    r[5] = 0; r[6] = (uint8_t)len;
    memcpy(r + HEADER, content, len);
    uint32_t c = crc32(r, HEADER + len);
    r[HEADER + len] = c >> 24; r[HEADER + len + 1] = c >> 16;
    r[HEADER + len + 2] = c >> 8; r[HEADER + len + 3] = (uint8_t)c;
    r[size] = 0;
    nvm_write(journal.bytes + at, r, size + 1);
    return size;
}

/* An update that changes nothing costs no write (and no wear), as on the
 * card. */
/* How many bytes an update changes (fields of up to 4 bytes compared byte by
 * byte, longer ones only for equality, as the runtime does); *at is the
 * first changed one. */
static unsigned changes(const uint8_t *old, const uint8_t *new, unsigned len, unsigned *at)
{
    unsigned n = 0;
    *at = 0;
    if (len > 4) return memcmp(old, new, len) == 0 ? 0 : 2;
    for (unsigned i = 0; i < len; i++) {
        if (old[i] != new[i] && n++ == 0) *at = i;
    }
    return n;
}

void nvm_update(void *dst, const void *src, unsigned len)
{
    unsigned at, n = changes(dst, src, len, &at);
    if (n == 0) return;
    if (n == 1) {
        /* One byte changes: its write is atomic by itself. */
        nvm_write((uint8_t *)dst + at, (const uint8_t *)src + at, 1);
        return;
    }
    put_record(0, next_epoch(), dst, src, len);
    nvm_write(dst, src, len);
}

void nvm_begin(void)
{
    static const uint8_t none = 0, open = TRANSACTION;
    uint8_t e = next_epoch();
    nvm_write(journal.bytes, &none, 1);
    nvm_write(&journal.epoch, &e, 1);
    nvm_write(&journal.state, &open, 1);
    used = 0;
}

void nvm_txn_update(void *dst, const void *src, unsigned len)
{
    unsigned at, n = changes(dst, src, len, &at);
    if (n == 0) return;
    if (n == 1) {
        /* The undo record keeps the one byte that changes. */
        dst = (uint8_t *)dst + at;
        src = (const uint8_t *)src + at;
        len = 1;
    }
    used += put_record(used, journal.epoch, dst, dst, len);
    nvm_write(dst, src, len);
}

void nvm_commit(void)
{
    static const uint8_t idle = IDLE;
    nvm_write(&journal.state, &idle, 1);
}

#endif
