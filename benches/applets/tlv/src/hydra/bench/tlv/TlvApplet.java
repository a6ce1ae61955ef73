package hydra.bench.tlv;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.Util;

/**
 * A BER-TLV parser (ISO/IEC 8825-1 as used by ISO 7816-4 and EMV) working
 * in place on the APDU buffer: tags of one or more bytes, short and long
 * form lengths (81 xx, 82 xx xx), constructed objects parsed recursively.
 *
 * INS 60: data = a sequence of TLV objects; parsed P1 (unsigned) times.
 *   Response (of one parse): number of objects (2), deepest nesting (2, top
 *   level = 1), sum of the tag values (2, 16 bits, tags of up to two bytes
 *   read as big-endian numbers, longer tags by their last two bytes), sum
 *   of the value bytes of primitive objects (2, 16 bits), and the offset in
 *   the data of the value of the first tag 5A, or -1 (2).
 *   Malformed data (an object running past its parent) gives 6A80.
 * INS 02: no work.
 */
public class TlvApplet extends Applet {

    static final byte CLA = (byte) 0x80;

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new TlvApplet().register();
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_CLA] != CLA) {
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        switch (buf[ISO7816.OFFSET_INS]) {
        case 0x02:
            return;
        case 0x60:
            break;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        short times = (short) (buf[ISO7816.OFFSET_P1] & 0xFF);
        short len = apdu.setIncomingAndReceive();
        short d = ISO7816.OFFSET_CDATA;
        Stats s = stats;
        for (short t = 0; t < times; t++) {
            s.count = 0;
            s.depthMax = 0;
            s.tagSum = 0;
            s.valueSum = 0;
            s.found = -1;
            parse(buf, d, (short) (d + len), (short) 1, d, s);
        }
        Util.setShort(buf, (short) 0, s.count);
        Util.setShort(buf, (short) 2, s.depthMax);
        Util.setShort(buf, (short) 4, s.tagSum);
        Util.setShort(buf, (short) 6, s.valueSum);
        Util.setShort(buf, (short) 8, s.found);
        apdu.setOutgoingAndSend((short) 0, (short) 10);
    }

    /** What one parse found (fields of a small object). */
    private final Stats stats = new Stats();

    static void parse(byte[] b, short off, short end, short depth, short base, Stats s) {
        if (depth > s.depthMax) {
            s.depthMax = depth;
        }
        while (off < end) {
            short first = (short) (b[off++] & 0xFF);
            short tag = first;
            if ((first & 0x1F) == 0x1F) {
                short nb;
                do {
                    if (off >= end) {
                        ISOException.throwIt(ISO7816.SW_WRONG_DATA);
                    }
                    nb = (short) (b[off++] & 0xFF);
                    tag = (short) ((tag << 8) | nb);
                } while ((nb & 0x80) != 0);
            }
            if (off >= end) {
                ISOException.throwIt(ISO7816.SW_WRONG_DATA);
            }
            short l = (short) (b[off++] & 0xFF);
            if (l == 0x81) {
                if (off >= end) {
                    ISOException.throwIt(ISO7816.SW_WRONG_DATA);
                }
                l = (short) (b[off++] & 0xFF);
            } else if (l == 0x82) {
                if ((short) (off + 1) >= end) {
                    ISOException.throwIt(ISO7816.SW_WRONG_DATA);
                }
                l = Util.getShort(b, off);
                off += 2;
            } else if (l > 0x7F) {
                ISOException.throwIt(ISO7816.SW_WRONG_DATA);
            }
            if (l < 0 || l > (short) (end - off)) {
                ISOException.throwIt(ISO7816.SW_WRONG_DATA);
            }
            s.count++;
            s.tagSum += tag;
            if ((first & 0x20) != 0) {
                parse(b, off, (short) (off + l), (short) (depth + 1), base, s);
            } else {
                if (tag == 0x5A && s.found < 0) {
                    s.found = (short) (off - base);
                }
                short v = s.valueSum;
                for (short i = 0; i < l; i++) {
                    v += (short) (b[(short) (off + i)] & 0xFF);
                }
                s.valueSum = v;
            }
            off += l;
        }
    }
}

/** The counters of one parse. */
class Stats {
    short count;
    short depthMax;
    short tagSum;
    short valueSum;
    short found;
}
