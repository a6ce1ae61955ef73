package hydra.conformance.pin;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.OwnerPIN;
import javacard.framework.PINException;

/**
 * OwnerPIN: check, getTriesRemaining, isValidated, reset,
 * resetAndUnblock, update, and a blocked PIN.
 * The PIN has a try limit of 3, a maximum size of 8, and starts as 31 32 33 34.
 */
public class PinApplet extends Applet {

    static final byte CLA = (byte) 0x80;

    static final byte INS_VERIFY = (byte) 0x80;
    static final byte INS_STATUS = (byte) 0x81;
    static final byte INS_RESET = (byte) 0x82;
    static final byte INS_UNBLOCK = (byte) 0x83;
    static final byte INS_UPDATE = (byte) 0x84;

    private final OwnerPIN pin;

    private PinApplet() {
        pin = new OwnerPIN((byte) 3, (byte) 8);
        byte[] initial = { 0x31, 0x32, 0x33, 0x34 };
        pin.update(initial, (short) 0, (byte) 4);
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new PinApplet().register();
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
        byte result = 0;
        switch (buf[ISO7816.OFFSET_INS]) {
        case INS_VERIFY:
            result = pin.check(buf, ISO7816.OFFSET_CDATA, (byte) lc) ? (byte) 1 : (byte) 0;
            break;
        case INS_STATUS:
            break;
        case INS_RESET:
            pin.reset();
            break;
        case INS_UNBLOCK:
            pin.resetAndUnblock();
            break;
        case INS_UPDATE:
            try {
                pin.update(buf, ISO7816.OFFSET_CDATA, (byte) lc);
            } catch (PINException e) {
                ISOException.throwIt((short) (0x6A00 | e.getReason()));
            }
            break;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        // result of check (0 for the other commands), tries remaining, validated.
        buf[0] = result;
        buf[1] = pin.getTriesRemaining();
        buf[2] = pin.isValidated() ? (byte) 1 : (byte) 0;
        apdu.setOutgoingAndSend((short) 0, (short) 3);
    }
}
