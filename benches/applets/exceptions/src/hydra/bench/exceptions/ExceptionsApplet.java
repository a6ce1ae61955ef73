package hydra.bench.exceptions;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.CardRuntimeException;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.Util;

/**
 * Exception-heavy code: for i = 0..63, P1 (unsigned) times, a call three
 * frames deep that, by i mod 4, returns i (0), throws our own exception
 * with reason 3i (1; when i mod 8 = 5 the middle frame catches it and
 * throws ISOException 6100|i instead, otherwise rethrows it), throws
 * ISOException 6200+i (2), or divides i by (i and 4), an
 * ArithmeticException when that is 0 (3). The outer frame adds 1 to a
 * normal result. The loop catches each kind (acc += value, acc += reason,
 * acc ^= reason, acc -= i) and counts caught ones and its finally blocks.
 *
 * INS 90: response acc (2), finally count (2), caught (2), all 16 bits.
 * INS 02: no work.
 */
public class ExceptionsApplet extends Applet {

    static final byte CLA = (byte) 0x80;

    private final BenchException ex;

    private ExceptionsApplet() {
        ex = new BenchException((short) 0);
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new ExceptionsApplet().register();
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
        case (byte) 0x90:
            break;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        short times = (short) (buf[ISO7816.OFFSET_P1] & 0xFF);
        short acc = 0, fin = 0, caught = 0;
        for (short t = 0; t < times; t++) {
            for (short i = 0; i < 64; i++) {
                try {
                    acc += level1(i);
                } catch (BenchException e) {
                    acc += e.getReason();
                    caught++;
                } catch (ISOException e) {
                    acc ^= e.getReason();
                    caught++;
                } catch (ArithmeticException e) {
                    acc -= i;
                    caught++;
                } finally {
                    fin++;
                }
            }
        }
        Util.setShort(buf, (short) 0, acc);
        Util.setShort(buf, (short) 2, fin);
        Util.setShort(buf, (short) 4, caught);
        apdu.setOutgoingAndSend((short) 0, (short) 6);
    }

    private short level1(short i) {
        short r = level2(i);
        return (short) (r + 1);
    }

    private short level2(short i) {
        try {
            return level3(i);
        } catch (BenchException e) {
            if ((i & 7) == 5) {
                ISOException.throwIt((short) (0x6100 | i));
            }
            throw e;
        }
    }

    private short level3(short i) {
        switch (i & 3) {
        case 0:
            return i;
        case 1:
            ex.setReason((short) (3 * i));
            throw ex;
        case 2:
            ISOException.throwIt((short) (0x6200 + i));
            return 0;
        default:
            return (short) (i / (short) (i & 4));
        }
    }
}

/** Our own exception, allocated once and thrown again and again, as
 *  Java Card code does. */
class BenchException extends CardRuntimeException {
    BenchException(short reason) {
        super(reason);
    }
}
