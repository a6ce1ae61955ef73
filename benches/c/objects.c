/* Object-heavy code (ObjectsApplet) as C writes it: structs with a pointer
 * to a table of function pointers for the virtual methods, a second table
 * for the interface, a type tag for instanceof. */
#include "bench.h"
#include "nvm.h"

#define NODES 32

struct node;
struct meter_vt {
    int16_t (*read)(struct node *, int16_t);
};
struct node_vt {
    int16_t (*step)(struct node *, int16_t);
    void (*reset)(struct node *, int16_t);
    const struct meter_vt *meter;
    int kind; /* 2: Scaler */
};
struct node {
    const struct node_vt *vt;
    struct node *next;
    int16_t state, k; /* k: Adder's k, Scaler's f */
};

static int16_t node_read(struct node *n, int16_t t) { return (int16_t)(n->state + t); }
static int16_t scaler_read(struct node *n, int16_t t) { return (int16_t)(t * 3 - n->state); }
static const struct meter_vt node_meter = { node_read }, scaler_meter = { scaler_read };

static int16_t adder_step(struct node *n, int16_t x)
{
    PSET(n->state, (int16_t)(n->state + n->k));
    return (int16_t)(x + n->state);
}
static int16_t mixer_step(struct node *n, int16_t x)
{
    PSET(n->state, (int16_t)(n->state ^ x));
    return (int16_t)((int16_t)(x << 1) ^ n->state);
}
static int16_t scaler_step(struct node *n, int16_t x) { return (int16_t)(x * n->k + n->state); }
static int16_t counter_step(struct node *n, int16_t x)
{
    PSET(n->state, (int16_t)(n->state + 1));
    return adder_step(n, (int16_t)(x ^ 0x55));
}
static void adder_reset(struct node *n, int16_t i) { PSET(n->state, i); }
static void mixer_reset(struct node *n, int16_t i) { PSET(n->state, (int16_t)(7 * i)); }
static void counter_reset(struct node *n, int16_t i) { PSET(n->state, (int16_t)-i); }

static const struct node_vt adder_vt = { adder_step, adder_reset, &node_meter, 0 };
static const struct node_vt mixer_vt = { mixer_step, mixer_reset, &node_meter, 1 };
static const struct node_vt scaler_vt = { scaler_step, adder_reset, &scaler_meter, 2 };
static const struct node_vt counter_vt = { counter_step, counter_reset, &node_meter, 3 };

/* The applet's objects are persistent. */
static NVM struct node nodes[NODES];
static struct node *meters[NODES];
static struct node *head;

static void install(void)
{
    static const struct node_vt *const vts[4] = { &adder_vt, &mixer_vt, &scaler_vt, &counter_vt };
    for (int i = 0; i < NODES; i++) {
        struct node *n = &nodes[i];
        n->vt = vts[i & 3];
        n->k = (i & 3) == 0 ? i + 1 : (i & 3) == 2 ? (i | 1) : 3;
        n->vt->reset(n, (int16_t)i);
        n->next = i + 1 < NODES ? &nodes[i + 1] : 0;
        meters[i] = n;
    }
    head = &nodes[0];
}

uint16_t bench_objects(uint8_t ins, uint8_t p1, uint8_t p2, uint8_t *d, uint16_t len, uint8_t *out,
                       uint16_t *outlen)
{
    (void)p2;
    (void)len;
    if (!head) install();
    switch (ins) {
    case 0x02: return SW_OK;
    case 0x80: break;
    case 0x81:
        for (int i = 0; i < NODES; i++) meters[i]->vt->reset(meters[i], (int16_t)i);
        return SW_OK;
    default: return SW_INS_NOT_SUPPORTED;
    }
    int16_t x = get16(d), acc = 0;
    for (unsigned t = 0; t < p1; t++) {
        for (struct node *n = head; n; n = n->next) x = n->vt->step(n, x);
        for (int i = 0; i < NODES; i++) {
            struct node *m = meters[i];
            acc = (int16_t)(acc + m->vt->meter->read(m, x));
            if (m->vt->kind == 2) acc ^= m->k;
        }
    }
    put16(out, (uint16_t)x);
    put16(out + 2, (uint16_t)acc);
    *outlen = 4;
    return SW_OK;
}
