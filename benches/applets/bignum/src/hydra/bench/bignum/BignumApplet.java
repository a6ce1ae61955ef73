package hydra.bench.bignum;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;

/**
 * Unsigned big numbers as big-endian byte arrays, with short arithmetic
 * only (no int): addition, schoolbook multiplication, reduction by binary
 * long division and modular exponentiation built from the two.
 *
 * INS 40: data a || b (n bytes each); P1 (unsigned) times a := a + b mod
 *         2^(8n); response a, then the number of carries out (2 bytes).
 * INS 41: data a || b (n bytes each); P1 times r := a * b; response r (2n).
 * INS 42: data x (2n bytes) || m (n bytes, not 0); P1 times r := x mod m;
 *         response r (n bytes).
 * INS 43: data base (n) || m (n, not 0) || e (2 bytes, not 0);
 *         response base^e mod m (n bytes).
 * INS 02: no work.
 */
public class BignumApplet extends Applet {

    static final byte CLA = (byte) 0x80;
    static final short MAX = 64;

    private final byte[] prod;
    private final byte[] rem;
    private final byte[] acc;

    private BignumApplet() {
        prod = JCSystem.makeTransientByteArray((short) (2 * MAX), JCSystem.CLEAR_ON_DESELECT);
        rem = JCSystem.makeTransientByteArray((short) (MAX + 1), JCSystem.CLEAR_ON_DESELECT);
        acc = JCSystem.makeTransientByteArray(MAX, JCSystem.CLEAR_ON_DESELECT);
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new BignumApplet().register();
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_CLA] != CLA) {
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        byte ins = buf[ISO7816.OFFSET_INS];
        if (ins == 0x02) {
            return;
        }
        short times = (short) (buf[ISO7816.OFFSET_P1] & 0xFF);
        short len = apdu.setIncomingAndReceive();
        short d = ISO7816.OFFSET_CDATA;
        short n;
        switch (ins) {
        case 0x40: {
            n = half(len);
            short carries = 0;
            for (short t = 0; t < times; t++) {
                carries += add(buf, d, buf, (short) (d + n), n);
            }
            Util.arrayCopyNonAtomic(buf, d, buf, (short) 0, n);
            Util.setShort(buf, n, carries);
            apdu.setOutgoingAndSend((short) 0, (short) (n + 2));
            return;
        }
        case 0x41:
            n = half(len);
            for (short t = 0; t < times; t++) {
                mul(buf, d, buf, (short) (d + n), n, prod);
            }
            Util.arrayCopyNonAtomic(prod, (short) 0, buf, (short) 0, (short) (2 * n));
            apdu.setOutgoingAndSend((short) 0, (short) (2 * n));
            return;
        case 0x42:
            n = (short) (len / 3);
            if (n == 0 || n > MAX || (short) (3 * n) != len) {
                ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
            }
            checkModulus(buf, (short) (d + 2 * n), n);
            for (short t = 0; t < times; t++) {
                mod(buf, d, (short) (2 * n), buf, (short) (d + 2 * n), n);
            }
            Util.arrayCopyNonAtomic(rem, (short) 1, buf, (short) 0, n);
            apdu.setOutgoingAndSend((short) 0, n);
            return;
        case 0x43:
            n = half((short) (len - 2));
            checkModulus(buf, (short) (d + n), n);
            modexp(buf, d, buf, (short) (d + n), Util.getShort(buf, (short) (d + 2 * n)), n);
            Util.arrayCopyNonAtomic(acc, (short) 0, buf, (short) 0, n);
            apdu.setOutgoingAndSend((short) 0, n);
            return;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }

    static short half(short len) {
        short n = (short) (len >> 1);
        if (n == 0 || n > MAX || (short) (2 * n) != len) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        return n;
    }

    static void checkModulus(byte[] m, short off, short n) {
        for (short i = 0; i < n; i++) {
            if (m[(short) (off + i)] != 0) {
                return;
            }
        }
        ISOException.throwIt(ISO7816.SW_WRONG_DATA);
    }

    /** a := a + b (n bytes); returns the carry out. */
    static short add(byte[] a, short ao, byte[] b, short bo, short n) {
        short carry = 0;
        for (short i = (short) (n - 1); i >= 0; i--) {
            short s = (short) ((a[(short) (ao + i)] & 0xFF) + (b[(short) (bo + i)] & 0xFF) + carry);
            a[(short) (ao + i)] = (byte) s;
            carry = (short) (s >> 8);
        }
        return carry;
    }

    /** r[0..2n) := a * b (n bytes each). */
    static void mul(byte[] a, short ao, byte[] b, short bo, short n, byte[] r) {
        Util.arrayFillNonAtomic(r, (short) 0, (short) (2 * n), (byte) 0);
        for (short i = (short) (n - 1); i >= 0; i--) {
            short ai = (short) (a[(short) (ao + i)] & 0xFF);
            short carry = 0;
            for (short j = (short) (n - 1); j >= 0; j--) {
                short k = (short) (i + j + 1);
                short p = (short) (ai * (b[(short) (bo + j)] & 0xFF));
                short t = (short) ((p & 0xFF) + (r[k] & 0xFF) + carry);
                r[k] = (byte) t;
                carry = (short) (((p >> 8) & 0xFF) + ((t >> 8) & 0xFF));
            }
            r[i] = (byte) carry;
        }
    }

    /** rem[1..n] := x (xLen bytes) mod m (n bytes), by shift and subtract. */
    void mod(byte[] x, short xo, short xLen, byte[] m, short mo, short n) {
        byte[] r = rem;
        Util.arrayFillNonAtomic(r, (short) 0, (short) (n + 1), (byte) 0);
        for (short i = 0; i < xLen; i++) {
            short xb = (short) (x[(short) (xo + i)] & 0xFF);
            for (short bit = 7; bit >= 0; bit--) {
                short c = (short) ((xb >> bit) & 1);
                for (short k = n; k >= 0; k--) {
                    short v = (short) (((r[k] & 0xFF) << 1) | c);
                    r[k] = (byte) v;
                    c = (short) (v >> 8);
                }
                if (geq(r, m, mo, n)) {
                    short borrow = 0;
                    for (short k = (short) (n - 1); k >= 0; k--) {
                        short s = (short) ((r[(short) (k + 1)] & 0xFF) - (m[(short) (mo + k)] & 0xFF) - borrow);
                        r[(short) (k + 1)] = (byte) s;
                        borrow = (short) ((s >> 8) & 1);
                    }
                    r[0] = (byte) (r[0] - borrow);
                }
            }
        }
    }

    /** r (n+1 bytes) >= m (n bytes)? */
    static boolean geq(byte[] r, byte[] m, short mo, short n) {
        if (r[0] != 0) {
            return true;
        }
        for (short k = 0; k < n; k++) {
            short a = (short) (r[(short) (k + 1)] & 0xFF);
            short b = (short) (m[(short) (mo + k)] & 0xFF);
            if (a != b) {
                return a > b;
            }
        }
        return true;
    }

    /** acc[0..n) := base^e mod m, left to right square and multiply. */
    void modexp(byte[] base, short bo, byte[] m, short mo, short e, short n) {
        byte[] a = acc;
        Util.arrayFillNonAtomic(a, (short) 0, n, (byte) 0);
        a[(short) (n - 1)] = 1;
        boolean started = false;
        for (short bit = 15; bit >= 0; bit--) {
            if (started) {
                mul(a, (short) 0, a, (short) 0, n, prod);
                mod(prod, (short) 0, (short) (2 * n), m, mo, n);
                Util.arrayCopyNonAtomic(rem, (short) 1, a, (short) 0, n);
            }
            if (((e >> bit) & 1) != 0) {
                mul(a, (short) 0, base, bo, n, prod);
                mod(prod, (short) 0, (short) (2 * n), m, mo, n);
                Util.arrayCopyNonAtomic(rem, (short) 1, a, (short) 0, n);
                started = true;
            }
        }
    }
}
