package hydra.conformance.arrays;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;

/**
 * Arrays of every component type (byte, boolean, short, int, Object, Item),
 * their loads, stores and length, the exceptions they throw, and the array
 * methods of javacard.framework.Util.
 */
public class ArraysApplet extends Applet {

    static final byte CLA = (byte) 0x80;
    static final short D = ISO7816.OFFSET_CDATA;

    static final byte INS_BYTES = (byte) 0x20;
    static final byte INS_BOOLEANS = (byte) 0x21;
    static final byte INS_SHORTS = (byte) 0x22;
    static final byte INS_INTS = (byte) 0x23;
    static final byte INS_REFS = (byte) 0x24;
    static final byte INS_NULL = (byte) 0x25;
    static final byte INS_INDEX = (byte) 0x26;
    static final byte INS_ARRAY_STORE = (byte) 0x27;
    static final byte INS_UTIL = (byte) 0x28;
    static final byte INS_UTIL_ERRORS = (byte) 0x29;

    static final short CAUGHT = (short) 0xEEEE;

    // Fixed persistent arrays of length 4 for the index tests.
    private final byte[] bytes;
    private final boolean[] flags;
    private final short[] shorts;
    private final int[] ints;
    private final Item[] items;
    private final byte[] work;
    // A transient array of length 4, for Util.setShort into RAM.
    private final byte[] scratch;

    private ArraysApplet() {
        bytes = new byte[4];
        flags = new boolean[4];
        shorts = new short[4];
        ints = new int[4];
        items = new Item[4];
        for (short i = 0; i < 4; i++) {
            bytes[i] = (byte) (0x80 + i);      // 80 81 82 83 (negative bytes)
            flags[i] = (i & 1) != 0;           // false true false true
            shorts[i] = (short) (0x0100 + i);  // 0100 0101 0102 0103
            ints[i] = 0x00010000 + i;          // 00010000 .. 00010003
            items[i] = new Item((short) (0x0200 + i));
        }
        work = new byte[8];
        scratch = JCSystem.makeTransientByteArray((short) 4, JCSystem.CLEAR_ON_RESET);
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new ArraysApplet().register();
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_CLA] != CLA) {
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        short lc = apdu.setIncomingAndReceive();
        short len;
        switch (buf[ISO7816.OFFSET_INS]) {
        case INS_BYTES: len = byteArray(buf, lc); break;
        case INS_BOOLEANS: len = booleanArray(buf, lc); break;
        case INS_SHORTS: len = shortArray(buf, lc); break;
        case INS_INTS: len = intArray(buf, lc); break;
        case INS_REFS: len = refArrays(buf); break;
        case INS_NULL: len = nullArray(buf, buf[ISO7816.OFFSET_P1]); break;
        case INS_INDEX: len = index(buf, buf[ISO7816.OFFSET_P1], buf[ISO7816.OFFSET_P2]); break;
        case INS_ARRAY_STORE: len = arrayStore(buf, buf[ISO7816.OFFSET_P1]); break;
        case INS_UTIL: len = util(buf); break;
        case INS_UTIL_ERRORS: len = utilErrors(buf, buf[ISO7816.OFFSET_P1]); break;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
            return;
        }
        apdu.setOutgoingAndSend((short) 0, len);
    }

    static short putInt(byte[] b, short off, int v) {
        Util.setShort(b, off, (short) (v >> 16));
        return Util.setShort(b, (short) (off + 2), (short) v);
    }

    static int getInt(byte[] b, short off) {
        return ((int) Util.getShort(b, off) << 16) | (Util.getShort(b, (short) (off + 2)) & 0xFFFF);
    }

    // New byte[lc] filled from the data, each element += 0x11 (wraps).
    // Returns length, elements.
    static short byteArray(byte[] buf, short lc) {
        byte[] a = new byte[lc];
        for (short i = 0; i < lc; i++) {
            a[i] = buf[(short) (D + i)];
        }
        for (short i = 0; i < a.length; i++) {
            a[i] += 0x11;
        }
        Util.setShort(buf, (short) 0, (short) a.length);
        for (short i = 0; i < a.length; i++) {
            buf[(short) (2 + i)] = a[i];
        }
        return (short) (2 + a.length);
    }

    // boolean[i] = data[i] != 0. Returns each element as 0/1, then the count of true.
    static short booleanArray(byte[] buf, short lc) {
        boolean[] f = new boolean[lc];
        for (short i = 0; i < lc; i++) {
            f[i] = buf[(short) (D + i)] != 0;
        }
        short n = 0;
        for (short i = 0; i < f.length; i++) {
            buf[i] = f[i] ? (byte) 1 : (byte) 0;
            if (f[i]) {
                n++;
            }
        }
        buf[f.length] = (byte) n;
        return (short) (f.length + 1);
    }

    // short[lc/2] from the data. Returns length, elements in reverse order, sum (wraps).
    static short shortArray(byte[] buf, short lc) {
        short[] a = new short[(short) (lc / 2)];
        for (short i = 0; i < a.length; i++) {
            a[i] = Util.getShort(buf, (short) (D + 2 * i));
        }
        short sum = 0;
        short o = Util.setShort(buf, (short) 0, (short) a.length);
        for (short i = (short) (a.length - 1); i >= 0; i--) {
            o = Util.setShort(buf, o, a[i]);
            sum += a[i];
        }
        return Util.setShort(buf, o, sum);
    }

    // int[lc/4] from the data. Returns length, each element * 3, sum (wraps).
    static short intArray(byte[] buf, short lc) {
        int[] a = new int[(short) (lc / 4)];
        for (short i = 0; i < a.length; i++) {
            a[i] = getInt(buf, (short) (D + 4 * i));
        }
        int sum = 0;
        short o = Util.setShort(buf, (short) 0, (short) a.length);
        for (short i = 0; i < a.length; i++) {
            o = putInt(buf, o, a[i] * 3);
            sum += a[i];
        }
        return putInt(buf, o, sum);
    }

    // Object[] and Item[]: anewarray, aastore, aaload, checkcast to Item and to Item[].
    static short refArrays(byte[] buf) {
        Object[] objs = new Object[3];
        Item[] its = new Item[2];
        its[0] = new Item((short) 5);
        its[1] = new Item((short) 7);
        objs[0] = its[0];
        objs[1] = its;
        short o = Util.setShort(buf, (short) 0, (short) objs.length);
        o = Util.setShort(buf, o, (short) its.length);
        o = Util.setShort(buf, o, ((Item) objs[0]).value);
        buf[o++] = objs[1] == its ? (byte) 1 : (byte) 0;
        buf[o++] = objs[2] == null ? (byte) 1 : (byte) 0;
        o = Util.setShort(buf, o, ((Item[]) objs[1])[1].value);
        buf[o++] = objs[0] instanceof Item ? (byte) 1 : (byte) 0;
        buf[o++] = objs[1] instanceof Item[] ? (byte) 1 : (byte) 0;
        buf[o++] = objs[1] instanceof Item ? (byte) 1 : (byte) 0;
        return o;
    }

    // Operations on a null array. P1: 0 baload, 1 arraylength, 2 sastore,
    // 3 iaload, 4 aastore, all caught (returns 4e and the operation);
    // 5 baload without a handler (status 6f00).
    static short nullArray(byte[] buf, byte op) {
        byte[] b = null;
        short[] s = null;
        int[] i = null;
        Object[] a = null;
        if (op == 5) {
            buf[0] = b[0];
            return 1;
        }
        buf[0] = 0;
        try {
            switch (op) {
            case 0: buf[1] = b[0]; break;
            case 1: buf[1] = (byte) b.length; break;
            case 2: s[0] = 1; break;
            case 3: buf[1] = (byte) i[0]; break;
            case 4: a[0] = buf; break;
            default: ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
            }
        } catch (NullPointerException e) {
            buf[0] = 0x4E;
        }
        buf[1] = op;
        return 2;
    }

    // Index P1 (signed) into the fixed arrays; P2 chooses the array and the
    // operation: 0 byte, 1 boolean, 2 short, 3 int, 4 Item loads; 5..9 the
    // same kinds stored (element := index, read back); 0x0a byte load
    // without a handler. Returns the element as an int, or eeeeeeee when
    // ArrayIndexOutOfBoundsException was caught.
    short index(byte[] buf, byte i, byte kind) {
        if (kind == 0x0A) {
            buf[0] = bytes[i];
            return 1;
        }
        int v;
        try {
            v = element(i, kind);
        } catch (ArrayIndexOutOfBoundsException e) {
            v = 0xEEEEEEEE;
        }
        return putInt(buf, (short) 0, v);
    }

    private int element(byte i, byte kind) {
        switch (kind) {
        case 0: return bytes[i];
        case 1: return flags[i] ? 1 : 0;
        case 2: return shorts[i];
        case 3: return ints[i];
        case 4: return items[i].value;
        case 5: bytes[i] = i; return bytes[i];
        case 6: flags[i] = true; return flags[i] ? 1 : 0;
        case 7: shorts[i] = i; return shorts[i];
        case 8: ints[i] = i; return ints[i];
        case 9: items[i] = new Item(i); return items[i].value;
        default: ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2); return 0;
        }
    }

    // aastore type check. The array is an Item[] seen as Object[].
    // P1=0: store an Item (fine), null (fine), the applet (ArrayStoreException,
    // caught). Returns a mask: 1 Item stored, 2 null stored, 4 exception caught.
    // P1=1: store the applet without a handler (status 6f00).
    short arrayStore(byte[] buf, byte p1) {
        Object[] objs = new Item[2];
        if (p1 == 1) {
            objs[0] = this;
            return 0;
        }
        byte m = 0;
        objs[0] = new Item((short) 1);
        m |= 1;
        objs[1] = null;
        m |= 2;
        try {
            objs[1] = this;
            m |= 8; // not reached
        } catch (ArrayStoreException e) {
            m |= 4;
        }
        buf[0] = m;
        buf[1] = objs[1] == null ? (byte) 1 : (byte) 0; // the failed store left null
        return 2;
    }

    // Util array methods on the data (8 bytes); see the script for the values.
    short util(byte[] buf) {
        byte[] w = work;
        Util.arrayFillNonAtomic(w, (short) 0, (short) 8, (byte) 0x55);
        Util.arrayCopy(buf, D, w, (short) 2, (short) 4);
        Util.arrayCopyNonAtomic(w, (short) 2, w, (short) 3, (short) 4); // overlapping
        byte c1 = Util.arrayCompare(w, (short) 3, buf, D, (short) 4);
        byte c2 = Util.arrayCompare(w, (short) 0, buf, D, (short) 1);
        byte c3 = Util.arrayCompare(buf, D, w, (short) 0, (short) 1);
        short g = Util.getShort(w, (short) 2);
        short mk = Util.makeShort(buf[(short) (D + 6)], buf[(short) (D + 7)]);
        short end = Util.setShort(w, (short) 6, (short) 0x1234);
        Util.arrayCopyNonAtomic(w, (short) 0, buf, (short) 0, (short) 8);
        buf[8] = c1;
        buf[9] = c2;
        buf[10] = c3;
        Util.setShort(buf, (short) 11, g);
        Util.setShort(buf, (short) 13, mk);
        return Util.setShort(buf, (short) 15, end);
    }

    // Util errors. P1: 0 copy past the end (ArrayIndexOutOfBoundsException),
    // 1 copy from null (NullPointerException), 2 fill past the end
    // (ArrayIndexOutOfBoundsException), 3 getShort of the last byte, 4
    // getShort at offset P2 - 128 of the APDU buffer, 5 setShort into null,
    // 6 setShort of the last byte, 7 getShort from null, 8 setShort at
    // offset P2 - 128 of the transient array. Answers 1 for AIOOBE, 2 for
    // NPE, 0 when nothing was thrown, then the transient array.
    short utilErrors(byte[] buf, byte p1) {
        byte r = 0;
        byte[] none = null;
        short at = (short) ((buf[ISO7816.OFFSET_P2] & 0xFF) - 128);
        try {
            if (p1 == 0) {
                Util.arrayCopy(buf, (short) 0, work, (short) 4, (short) 5);
            } else if (p1 == 1) {
                Util.arrayCopy(none, (short) 0, work, (short) 0, (short) 1);
            } else if (p1 == 3) {
                Util.getShort(work, (short) 7);
            } else if (p1 == 4) {
                Util.getShort(buf, at);
            } else if (p1 == 5) {
                Util.setShort(none, (short) 0, (short) 1);
            } else if (p1 == 6) {
                Util.setShort(work, (short) 7, (short) 1);
            } else if (p1 == 7) {
                Util.getShort(none, (short) 0);
            } else if (p1 == 8) {
                Util.setShort(scratch, at, (short) 0x5AA5);
            } else {
                Util.arrayFillNonAtomic(work, (short) 7, (short) 2, (byte) 0);
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            r = 1;
        } catch (NullPointerException e) {
            r = 2;
        }
        buf[0] = r;
        Util.arrayCopyNonAtomic(scratch, (short) 0, buf, (short) 1, (short) 4);
        return 5;
    }
}
