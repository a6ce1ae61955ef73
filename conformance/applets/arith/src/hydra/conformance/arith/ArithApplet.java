package hydra.conformance.arith;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.Util;

/**
 * Arithmetic, logic, conversions, comparisons, switches, increments,
 * constants and long branches, on short and int.
 *
 * Every command reads its operands from the command data and writes its
 * results big-endian from offset 0 of the APDU buffer, so that the script
 * can check each value.
 */
public class ArithApplet extends Applet {

    static final byte CLA = (byte) 0x80;

    static final byte INS_SHORT_OPS = (byte) 0x10;
    static final byte INS_SHORT_SHIFTS = (byte) 0x11;
    static final byte INS_INT_OPS = (byte) 0x12;
    static final byte INS_INT_SHIFTS = (byte) 0x13;
    static final byte INS_CONVERSIONS = (byte) 0x14;
    static final byte INS_COMPARE = (byte) 0x15;
    static final byte INS_SWITCH = (byte) 0x16;
    static final byte INS_INCREMENTS = (byte) 0x17;
    static final byte INS_CONSTANTS = (byte) 0x18;
    static final byte INS_LONG_SHORT = (byte) 0x19;
    static final byte INS_LONG_REF = (byte) 0x1A;
    static final byte INS_DIV_ZERO = (byte) 0x1B;
    static final byte INS_STACK = (byte) 0x1C;
    static final byte INS_LOCALS = (byte) 0x1D;

    static final short D = ISO7816.OFFSET_CDATA;

    // Instance state for the stack-shape command (dup_x forms need fields).
    private short sField;
    private int iField;
    private short[] sArr;
    private int[] iArr;

    private ArithApplet() {
        sArr = new short[2];
        iArr = new int[2];
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new ArithApplet().register();
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_CLA] != CLA) {
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        apdu.setIncomingAndReceive();
        short len;
        switch (buf[ISO7816.OFFSET_INS]) {
        case INS_SHORT_OPS:
            len = shortOps(buf, Util.getShort(buf, D), Util.getShort(buf, (short) (D + 2)));
            break;
        case INS_SHORT_SHIFTS:
            len = shortShifts(buf, Util.getShort(buf, D), buf[(short) (D + 2)]);
            break;
        case INS_INT_OPS:
            len = intOps(buf, getInt(buf, D), getInt(buf, (short) (D + 4)));
            break;
        case INS_INT_SHIFTS:
            len = intShifts(buf, getInt(buf, D), buf[(short) (D + 4)]);
            break;
        case INS_CONVERSIONS:
            len = conversions(buf, Util.getShort(buf, D), getInt(buf, (short) (D + 2)));
            break;
        case INS_COMPARE:
            len = compare(buf);
            break;
        case INS_SWITCH:
            len = switches(buf, Util.getShort(buf, D), getInt(buf, (short) (D + 2)));
            break;
        case INS_INCREMENTS:
            len = increments(buf, Util.getShort(buf, D), getInt(buf, (short) (D + 2)));
            break;
        case INS_CONSTANTS:
            len = constants(buf);
            break;
        case INS_LONG_SHORT:
            LongBranches.shortCompares(buf, Util.getShort(buf, D), Util.getShort(buf, (short) (D + 2)));
            len = 4;
            break;
        case INS_LONG_REF:
            longRef(buf);
            len = 4;
            break;
        case INS_DIV_ZERO:
            len = divZero(buf, Util.getShort(buf, D), getInt(buf, (short) (D + 2)));
            break;
        case INS_STACK:
            len = stackShapes(buf, Util.getShort(buf, D), getInt(buf, (short) (D + 2)));
            break;
        case INS_LOCALS:
            len = locals(buf, Util.getShort(buf, D), getInt(buf, (short) (D + 2)));
            break;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
            return;
        }
        apdu.setOutgoingAndSend((short) 0, len);
    }

    static int getInt(byte[] b, short off) {
        return ((int) Util.getShort(b, off) << 16) | (Util.getShort(b, (short) (off + 2)) & 0xFFFF);
    }

    static short putInt(byte[] b, short off, int v) {
        b[off] = (byte) (v >> 24);
        b[(short) (off + 1)] = (byte) (v >> 16);
        b[(short) (off + 2)] = (byte) (v >> 8);
        b[(short) (off + 3)] = (byte) v;
        return (short) (off + 4);
    }

    // sadd ssub smul sdiv srem sneg sand sor sxor; results wrap to 16 bits.
    static short shortOps(byte[] buf, short a, short b) {
        short o = Util.setShort(buf, (short) 0, (short) (a + b));
        o = Util.setShort(buf, o, (short) (a - b));
        o = Util.setShort(buf, o, (short) (a * b));
        o = Util.setShort(buf, o, (short) (a / b));
        o = Util.setShort(buf, o, (short) (a % b));
        o = Util.setShort(buf, o, (short) -a);
        o = Util.setShort(buf, o, (short) (a & b));
        o = Util.setShort(buf, o, (short) (a | b));
        o = Util.setShort(buf, o, (short) (a ^ b));
        return Util.setShort(buf, o, (short) ~a);
    }

    // Java semantics: the short is widened to int, shifted by n & 31, truncated.
    static short shortShifts(byte[] buf, short a, byte n) {
        short o = Util.setShort(buf, (short) 0, (short) (a << n));
        o = Util.setShort(buf, o, (short) (a >> n));
        return Util.setShort(buf, o, (short) (a >>> n));
    }

    static short intOps(byte[] buf, int a, int b) {
        short o = putInt(buf, (short) 0, a + b);
        o = putInt(buf, o, a - b);
        o = putInt(buf, o, a * b);
        o = putInt(buf, o, a / b);
        o = putInt(buf, o, a % b);
        o = putInt(buf, o, -a);
        o = putInt(buf, o, a & b);
        o = putInt(buf, o, a | b);
        o = putInt(buf, o, a ^ b);
        return putInt(buf, o, ~a);
    }

    static short intShifts(byte[] buf, int a, byte n) {
        short o = putInt(buf, (short) 0, a << n);
        o = putInt(buf, o, a >> n);
        return putInt(buf, o, a >>> n);
    }

    // s2b, s2i, i2s, i2b.
    static short conversions(byte[] buf, short s, int i) {
        byte sb = (byte) s;
        int si = s;
        short is = (short) i;
        byte ib = (byte) i;
        short o = Util.setShort(buf, (short) 0, sb);
        o = putInt(buf, o, si);
        o = Util.setShort(buf, o, is);
        return Util.setShort(buf, o, ib);
    }

    // Two 12-bit masks: one bit per relation that holds. Both senses of each
    // relation are tested so that javac emits every conditional branch.
    static short compare(byte[] buf) {
        short a = Util.getShort(buf, D);
        short b = Util.getShort(buf, (short) (D + 2));
        int x = getInt(buf, (short) (D + 4));
        int y = getInt(buf, (short) (D + 8));
        short o = Util.setShort(buf, (short) 0, shortRelations(a, b));
        return Util.setShort(buf, o, intRelations(x, y));
    }

    static short shortRelations(short a, short b) {
        short m = 0;
        if (a == b) m |= 0x0001;
        if (a != b) m |= 0x0002;
        if (a < b) m |= 0x0004;
        if (a <= b) m |= 0x0008;
        if (a > b) m |= 0x0010;
        if (a >= b) m |= 0x0020;
        if (a == 0) m |= 0x0040;
        if (a != 0) m |= 0x0080;
        if (a < 0) m |= 0x0100;
        if (a <= 0) m |= 0x0200;
        if (a > 0) m |= 0x0400;
        if (a >= 0) m |= 0x0800;
        return m;
    }

    static short intRelations(int x, int y) {
        short m = 0;
        if (x == y) m |= 0x0001;
        if (x != y) m |= 0x0002;
        if (x < y) m |= 0x0004;
        if (x <= y) m |= 0x0008;
        if (x > y) m |= 0x0010;
        if (x >= y) m |= 0x0020;
        if (x == 0) m |= 0x0040;
        if (x != 0) m |= 0x0080;
        if (x < 0) m |= 0x0100;
        if (x <= 0) m |= 0x0200;
        if (x > 0) m |= 0x0400;
        if (x >= 0) m |= 0x0800;
        return m;
    }

    static short switches(byte[] buf, short s, int i) {
        short o = Util.setShort(buf, (short) 0, denseShort(s));
        o = Util.setShort(buf, o, sparseShort(s));
        o = Util.setShort(buf, o, denseInt(i));
        return Util.setShort(buf, o, sparseInt(i));
    }

    // Consecutive keys: stableswitch.
    static short denseShort(short k) {
        switch (k) {
        case 0: return 10;
        case 1: return 11;
        case 2: return 12;
        case 3: return 13;
        case 4: return 14;
        case 5: return 15;
        default: return -1;
        }
    }

    // Scattered keys: slookupswitch.
    static short sparseShort(short k) {
        switch (k) {
        case -1000: return 1;
        case 7: return 2;
        case 300: return 3;
        case 32000: return 4;
        default: return 0;
        }
    }

    // itableswitch.
    static short denseInt(int k) {
        switch (k) {
        case 10: return 20;
        case 11: return 21;
        case 12: return 22;
        case 13: return 23;
        case 14: return 24;
        default: return -2;
        }
    }

    // ilookupswitch.
    static short sparseInt(int k) {
        switch (k) {
        case -100000: return 5;
        case 0: return 6;
        case 70000: return 7;
        case 0x7FFFFFFF: return 8;
        default: return 9;
        }
    }

    // sinc / iinc with byte constants, sinc_w / iinc_w with constants that
    // do not fit in a byte; the last int step does not fit in 16 bits either.
    static short increments(byte[] buf, short s, int i) {
        s += 1;
        s += 100;
        s -= 128;
        s += 1000;
        s -= 30000;
        i += 1;
        i += 100;
        i -= 128;
        i += 1000;
        i -= 30000;
        i += 100000;
        short sum = 0;
        for (short k = 0; k < 10; k++) {
            sum += k;
        }
        short o = Util.setShort(buf, (short) 0, s);
        o = putInt(buf, o, i);
        return Util.setShort(buf, o, sum);
    }

    // Every constant encoding: sconst_*, bspush, sspush, iconst_*, bipush,
    // sipush, iipush.
    static short constants(byte[] buf) {
        short o = Util.setShort(buf, (short) 0, (short) -1);
        o = Util.setShort(buf, o, (short) 0);
        o = Util.setShort(buf, o, (short) 1);
        o = Util.setShort(buf, o, (short) 2);
        o = Util.setShort(buf, o, (short) 3);
        o = Util.setShort(buf, o, (short) 4);
        o = Util.setShort(buf, o, (short) 5);
        o = Util.setShort(buf, o, (short) 6);
        o = Util.setShort(buf, o, (short) -128);
        o = Util.setShort(buf, o, (short) 127);
        o = Util.setShort(buf, o, (short) 128);
        o = Util.setShort(buf, o, (short) -129);
        o = Util.setShort(buf, o, (short) 32767);
        o = Util.setShort(buf, o, (short) -32768);
        o = putInt(buf, o, -1);
        o = putInt(buf, o, 0);
        o = putInt(buf, o, 1);
        o = putInt(buf, o, 2);
        o = putInt(buf, o, 3);
        o = putInt(buf, o, 4);
        o = putInt(buf, o, 5);
        o = putInt(buf, o, 6);
        o = putInt(buf, o, -128);
        o = putInt(buf, o, 200);
        o = putInt(buf, o, -32768);
        o = putInt(buf, o, 32768);
        o = putInt(buf, o, 0x12345678);
        return putInt(buf, o, 0x80000000);
    }

    // P1 chooses the pair of references compared.
    private void longRef(byte[] buf) {
        Object o = null;
        Object p = null;
        byte p1 = buf[ISO7816.OFFSET_P1];
        if (p1 == 1) {
            o = this;
            p = this;
        } else if (p1 == 2) {
            o = this;
        }
        LongBranches.refCompares(buf, o, p);
    }

    // Division by zero caught by a handler; q and iq keep their initial
    // values because the exception skips the assignment.
    static short divZero(byte[] buf, short s, int i) {
        short caught = 0;
        short q = 0x1111;
        int iq = 0x22222222;
        try {
            q = (short) (s / 0);
        } catch (ArithmeticException e) {
            caught |= 1;
        }
        try {
            iq = i % 0;
        } catch (ArithmeticException e) {
            caught |= 2;
        }
        short o = Util.setShort(buf, (short) 0, caught);
        o = Util.setShort(buf, o, q);
        return putInt(buf, o, iq);
    }

    // Expressions whose value is used twice: dup, dup2, dup_x, pop, pop2.
    private short stackShapes(byte[] buf, short a, int x) {
        sField = a;
        iField = x;
        short old = sField++;           // dup_x over the object reference
        int iold = iField++;            // int value: two words
        sArr[0] = a;
        sArr[0] += a;                   // dup2 of array reference and index
        iArr[1] = x;
        iArr[1] += x;
        short chained = sArr[1] = (short) (a + 1); // value kept below the store operands
        int ichained = iArr[0] = x - 1;
        Util.setShort(buf, (short) 0, a); // result discarded: pop
        getInt(buf, (short) 0);           // int result discarded: pop2
        short o = Util.setShort(buf, (short) 0, old);
        o = Util.setShort(buf, o, sField);
        o = putInt(buf, o, iold);
        o = putInt(buf, o, iField);
        o = Util.setShort(buf, o, sArr[0]);
        o = putInt(buf, o, iArr[1]);
        o = Util.setShort(buf, o, chained);
        return putInt(buf, o, ichained);
    }

    // Stores into local variables 0 and 1 (parameters reassigned):
    // sstore_0, istore_0, istore_1, astore_0; and a short-range if_acmpeq.
    private short locals(byte[] buf, short a, int x) {
        short o = Util.setShort(buf, (short) 0, timesThree(a));
        o = putInt(buf, o, intTimesThree(x));
        o = putInt(buf, o, widen(a, x));
        return Util.setShort(buf, o, refs(this, null));
    }

    static short timesThree(short a) {
        a = (short) (a * 3);
        return a;
    }

    static int intTimesThree(int x) {
        x = x * 3;
        return x;
    }

    static int widen(short a, int x) {
        x = x + a;
        return x;
    }

    static short refs(Object o, Object p) {
        short m = 0;
        if (o != p) m |= 1;
        o = p;
        if (o == p) m |= 2;
        return m;
    }
}
