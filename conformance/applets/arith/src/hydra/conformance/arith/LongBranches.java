package hydra.conformance.arith;

import javacard.framework.Util;

/**
 * Branches over more than 127 bytes of code, so that the converter must use
 * the wide (_w) form of every conditional branch and of goto.
 *
 * Each guarded block sets one bit of m and calls step() 26 times (26 x 5
 * bytes of bytecode), so n counts 26 per block entered.
 */
final class LongBranches {

    private LongBranches() {
    }

    static short step(short v) {
        return (short) (v + 1);
    }

    // if_scmp*_w and if*_w (compare with zero). Writes m then n.
    static void shortCompares(byte[] buf, short a, short b) {
        short m = 0;
        short n = 0;
        if (a == b) {
            m |= 0x0001;
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        if (a != b) {
            m |= 0x0002;
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        if (a < b) {
            m |= 0x0004;
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        if (a >= b) {
            m |= 0x0008;
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        if (a > b) {
            m |= 0x0010;
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        if (a <= b) {
            m |= 0x0020;
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        if (a == 0) {
            m |= 0x0040;
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        if (a != 0) {
            m |= 0x0080;
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        if (a < 0) {
            m |= 0x0100;
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        if (a >= 0) {
            m |= 0x0200;
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        if (a > 0) {
            m |= 0x0400;
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        if (a <= 0) {
            m |= 0x0800;
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        Util.setShort(buf, (short) 0, m);
        Util.setShort(buf, (short) 2, n);
    }

    // ifnull_w, ifnonnull_w, if_acmp*_w, goto_w over a long else part, and a
    // loop whose body is long (wide forward exit and wide back edge).
    static void refCompares(byte[] buf, Object o, Object p) {
        short m = 0;
        short n = 0;
        if (o == null) {
            m |= 0x0001;
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        if (o != null) {
            m |= 0x0002;
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        if (o == p) {
            m |= 0x0004;
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        if (o != p) {
            m |= 0x0008;
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        if (o == p) {
            m |= 0x0010;
        } else {
            m |= 0x0020;
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        for (short k = 0; k < 2; k++) {
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n); n = step(n); n = step(n);
            n = step(n); n = step(n);
        }
        Util.setShort(buf, (short) 0, m);
        Util.setShort(buf, (short) 2, n);
    }
}
