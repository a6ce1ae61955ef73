package hydra.conformance.statics;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.Util;

/**
 * Static fields of every type (getstatic/putstatic of byte, short, int and
 * reference), compile-time constants, and static arrays with initialisers,
 * which the converter turns into array_init entries of the StaticField
 * component.
 */
public class StaticsApplet extends Applet {

    static final byte CLA = (byte) 0x80;
    static final short D = ISO7816.OFFSET_CDATA;

    static final byte INS_INITIAL = (byte) 0x50;
    static final byte INS_WRITE = (byte) 0x51;
    static final byte INS_READ = (byte) 0x52;

    // A compile-time constant: inlined, not a static field.
    static final short K = 0x1234;

    static byte sb;
    static short ss;
    static int si;
    static boolean sz;
    static Object sa;
    static short counter = 5; // non-default initial value in the static image

    static final byte[] BYTES = { 1, 2, 3, (byte) 0xFF };
    static final short[] SHORTS = { 0x1234, -1, 0x7FFF };
    static final int[] INTS = { 0x12345678, -2 };
    static final boolean[] BOOLS = { true, false, true };

    private StaticsApplet() {
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new StaticsApplet().register();
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
        case INS_INITIAL: len = initial(buf); break;
        case INS_WRITE: write(buf); len = read(buf); break;
        case INS_READ: len = read(buf); break;
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

    // The initialised arrays (contents and lengths) and K.
    static short initial(byte[] buf) {
        short o = 0;
        buf[o++] = (byte) BYTES.length;
        for (short i = 0; i < BYTES.length; i++) {
            buf[o++] = BYTES[i];
        }
        buf[o++] = (byte) SHORTS.length;
        for (short i = 0; i < SHORTS.length; i++) {
            o = Util.setShort(buf, o, SHORTS[i]);
        }
        buf[o++] = (byte) INTS.length;
        for (short i = 0; i < INTS.length; i++) {
            o = putInt(buf, o, INTS[i]);
        }
        buf[o++] = (byte) BOOLS.length;
        for (short i = 0; i < BOOLS.length; i++) {
            buf[o++] = BOOLS[i] ? (byte) 1 : (byte) 0;
        }
        return Util.setShort(buf, o, K);
    }

    // Data b (1) s (2) i (4): putstatic of each type; counter += 1 and
    // BYTES[0] += 1 (a static array's contents are persistent too).
    static void write(byte[] buf) {
        sb = buf[D];
        ss = Util.getShort(buf, (short) (D + 1));
        si = ((int) Util.getShort(buf, (short) (D + 3)) << 16) | (Util.getShort(buf, (short) (D + 5)) & 0xFFFF);
        sz = sb != 0;
        sa = SHORTS;
        counter++;
        BYTES[0]++;
    }

    // getstatic of each type: sb ss si sz (sa == SHORTS) counter BYTES[0].
    static short read(byte[] buf) {
        short o = 0;
        buf[o++] = sb;
        o = Util.setShort(buf, o, ss);
        o = putInt(buf, o, si);
        buf[o++] = sz ? (byte) 1 : (byte) 0;
        buf[o++] = sa == SHORTS ? (byte) 1 : (byte) 0;
        o = Util.setShort(buf, o, counter);
        buf[o++] = BYTES[0];
        return o;
    }
}
