/* The NVM driver and undo journal of the C benchmarks' NVM variants (see
 * nvm.h), with the card's atomicity and no more writes than it needs:
 *   state (one byte, so it flips atomically): 0 idle; 1 a transaction, whose
 *   first `count` records are valid; 2 one update, whose record is first.
 *   A record: address, length, old bytes. Recovery (at boot, which the
 *   benchmarks never need) would undo the valid records, newest first. */
#include <stddef.h>
#include <string.h>

#include "nvm.h"

#ifdef BENCH_NVM

/* Called at the start of every NVM write: the plugin's write marker. */
__asm__(".section .text.hydra_nvm_write,\"ax\",%progbits\n"
        ".global hydra_nvm_write\n.type hydra_nvm_write,%function\n.thumb_func\n"
        "hydra_nvm_write:\n bx lr\n.size hydra_nvm_write, . - hydra_nvm_write\n");
void hydra_nvm_write(void);

enum { IDLE = 0, TRANSACTION = 1, UPDATE = 2 };
#define JOURNAL_BYTES 512
#define MAX_OLD 8

struct record {
    uint8_t *addr;
    uint8_t len;
    uint8_t old[MAX_OLD];
};

static NVM struct {
    uint8_t state;
    uint8_t count;
    uint8_t bytes[JOURNAL_BYTES];
} journal;

/* Next free journal byte of the open transaction (RAM: rebuilt from count
 * by recovery). */
static unsigned used;

void nvm_write(void *dst, const void *src, unsigned len)
{
    hydra_nvm_write();
    memcpy(dst, src, len);
}

static void set_state(uint8_t s) { nvm_write(&journal.state, &s, 1); }

/* Writes the record of the old bytes of [dst, dst + len) at `at` (one
 * write); returns its size. */
static unsigned put_record(unsigned at, void *dst, unsigned len)
{
    struct record r;
    unsigned size = offsetof(struct record, old) + len;
    if (len > MAX_OLD || at + size > JOURNAL_BYTES) {
        /* Never reached: the benchmarks update at most 8 bytes at once and
         * a few fields per transaction. */
        for (;;) {}
    }
    r.addr = dst;
    r.len = (uint8_t)len;
    memcpy(r.old, dst, len);
    nvm_write(journal.bytes + at, &r, size);
    return size;
}

/* An update that changes nothing costs no write (and no wear), as on the
 * card. */
void nvm_update(void *dst, const void *src, unsigned len)
{
    if (memcmp(dst, src, len) == 0) return;
    if (len == 1) {
        nvm_write(dst, src, 1);
        return;
    }
    put_record(0, dst, len);
    set_state(UPDATE);
    nvm_write(dst, src, len);
    set_state(IDLE);
}

void nvm_begin(void)
{
    static const uint8_t none = 0;
    nvm_write(&journal.count, &none, 1);
    set_state(TRANSACTION);
    used = 0;
}

void nvm_txn_update(void *dst, const void *src, unsigned len)
{
    if (memcmp(dst, src, len) == 0) return;
    used += put_record(used, dst, len);
    uint8_t n = (uint8_t)(journal.count + 1);
    nvm_write(&journal.count, &n, 1);
    nvm_write(dst, src, len);
}

void nvm_commit(void) { set_state(IDLE); }

#endif
