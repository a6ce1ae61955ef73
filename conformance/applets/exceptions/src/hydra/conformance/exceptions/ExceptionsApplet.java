package hydra.conformance.exceptions;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.CardRuntimeException;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.SystemException;
import javacard.framework.UserException;
import javacard.framework.Util;

/**
 * Exceptions: ISOException status words, exceptions of our own (checked and
 * unchecked), try/catch/finally, nested handlers, rethrow, propagation
 * across methods, and uncaught exceptions turned into status words.
 *
 * Handlers and finally blocks append step numbers to a trace, which is
 * returned, so that the order in which code ran can be checked.
 */
public class ExceptionsApplet extends Applet {

    static final byte CLA = (byte) 0x80;

    static final byte INS_THROW_ISO = (byte) 0x40;
    static final byte INS_UNCAUGHT = (byte) 0x41;
    static final byte INS_FLOW = (byte) 0x42;
    static final byte INS_REASONS = (byte) 0x43;

    // Exception objects are made once: allocating on every throw would use
    // persistent memory.
    private final HydraException hydra;
    private final CheckedException checked;
    private final byte[] trace;
    private short n;

    private ExceptionsApplet() {
        hydra = new HydraException((short) 0);
        checked = new CheckedException((short) 0);
        trace = JCSystem.makeTransientByteArray((short) 16, JCSystem.CLEAR_ON_DESELECT);
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
        byte p1 = buf[ISO7816.OFFSET_P1];
        switch (buf[ISO7816.OFFSET_INS]) {
        case INS_THROW_ISO:
            // The status word is P1 P2.
            ISOException.throwIt(Util.getShort(buf, ISO7816.OFFSET_P1));
            return;
        case INS_UNCAUGHT:
            uncaught(p1);
            return;
        case INS_FLOW:
            n = 0;
            try {
                level1(p1);
            } catch (NullPointerException e) {
                t((short) 0x30);
            }
            Util.arrayCopyNonAtomic(trace, (short) 0, buf, (short) 0, n);
            apdu.setOutgoingAndSend((short) 0, n);
            return;
        case INS_REASONS:
            apdu.setOutgoingAndSend((short) 0, reasons(buf));
            return;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }

    private void t(short step) {
        trace[n++] = (byte) step;
    }

    // Exceptions that leave process(). Only an ISOException gives its reason
    // as the status word; anything else gives 6F00.
    private void uncaught(byte p1) {
        switch (p1) {
        case 0:
            hydra.setReason((short) 0x6A88);
            throw hydra;
        case 1:
            CardRuntimeException.throwIt((short) 0x6A88);
            return;
        case 2:
            ISOException.throwIt((short) 0x6A88);
            return;
        case 3:
            SystemException.throwIt(SystemException.ILLEGAL_VALUE);
            return;
        default:
            // 9000 thrown as an ISOException is a normal completion.
            ISOException.throwIt(ISO7816.SW_NO_ERROR);
        }
    }

    private void level1(byte mode) {
        t((short) 1);
        try {
            t((short) 2);
            level2(mode);
            t((short) 3);
        } catch (HydraException e) {
            t((short) 0x10);
            t(e.getReason());
        } catch (CardRuntimeException e) {
            // ISOException is a CardRuntimeException but not a HydraException.
            t((short) 0x20);
            t(e.getReason());
        } finally {
            t((short) 4);
        }
        t((short) 5);
    }

    private void level2(byte mode) {
        t((short) 6);
        try {
            switch (mode) {
            case 1:
                hydra.setReason((short) 0x41);
                throw hydra;
            case 2:
                ISOException.throwIt((short) 0x6942);
                break;
            case 3:
                // A checked exception translated into an unchecked one.
                try {
                    throwChecked();
                } catch (CheckedException e) {
                    t(e.getReason());
                    hydra.setReason((short) 0x43);
                    throw hydra;
                }
                break;
            case 4:
                byte[] none = null;
                none[0] = 1;
                break;
            case 5:
                // Caught and thrown again unchanged.
                try {
                    hydra.setReason((short) 0x45);
                    throw hydra;
                } catch (HydraException e) {
                    t((short) 0x35);
                    throw e;
                }
            default:
                break;
            }
            t((short) 7);
        } finally {
            t((short) 8);
        }
    }

    private void throwChecked() throws CheckedException {
        checked.setReason((short) 0x33);
        throw checked;
    }

    // getReason of exceptions thrown by the API's static throwIt methods and
    // of our own, all caught.
    private short reasons(byte[] buf) {
        short o = 0;
        try {
            ISOException.throwIt((short) 0x6A80);
        } catch (ISOException e) {
            o = Util.setShort(buf, o, e.getReason());
        }
        try {
            UserException.throwIt((short) 0x1234);
        } catch (UserException e) {
            o = Util.setShort(buf, o, e.getReason());
        }
        try {
            SystemException.throwIt(SystemException.ILLEGAL_VALUE);
        } catch (SystemException e) {
            o = Util.setShort(buf, o, e.getReason());
        }
        try {
            throwChecked();
        } catch (CheckedException e) {
            o = Util.setShort(buf, o, e.getReason());
        }
        try {
            hydra.setReason((short) -2);
            throw hydra;
        } catch (CardRuntimeException e) {
            o = Util.setShort(buf, o, e.getReason());
        }
        return o;
    }
}
