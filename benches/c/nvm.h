/* Persistent memory for the C benchmarks' NVM variants (built with
 * -DBENCH_NVM): the state the applet keeps in persistent objects lives in
 * the .nvm section, and every write to it goes through nvm_write, the C
 * counterpart of the firmware's NVM driver (the same marker, so the same
 * plugin counts the writes, bytes and blocks). Atomicity is the card's:
 *   - PSET(lvalue, value): one update, atomic on its own (a field or array
 *     element outside a transaction): nothing when it changes nothing, one
 *     write when it changes one byte, else two (redo record, data);
 *   - nvm_begin / TSET / nvm_commit: a transaction, every update's old
 *     bytes (only the changed one when one changes) appended to the undo
 *     journal before the update.
 * Without BENCH_NVM, PSET and TSET are plain assignments and NVM is empty,
 * so the RAM variant compiles to the code it always had. */
#ifndef HYDRA_BENCH_NVM_H
#define HYDRA_BENCH_NVM_H
#include <stdint.h>

#ifdef BENCH_NVM
#define NVM __attribute__((section(".nvm")))
void nvm_write(void *dst, const void *src, unsigned len);
void nvm_update(void *dst, const void *src, unsigned len);
void nvm_begin(void);
void nvm_txn_update(void *dst, const void *src, unsigned len);
void nvm_commit(void);
#define PSET(lv, v)                                                                                \
    do {                                                                                           \
        __typeof__(lv) pset_v_ = (v);                                                              \
        nvm_update(&(lv), &pset_v_, sizeof pset_v_);                                               \
    } while (0)
#define TSET(lv, v)                                                                                \
    do {                                                                                           \
        __typeof__(lv) pset_v_ = (v);                                                              \
        nvm_txn_update(&(lv), &pset_v_, sizeof pset_v_);                                           \
    } while (0)
#else
#define NVM
#define PSET(lv, v) ((lv) = (v))
#define TSET(lv, v) ((lv) = (v))
#define nvm_begin() ((void)0)
#define nvm_commit() ((void)0)
#endif

#endif
