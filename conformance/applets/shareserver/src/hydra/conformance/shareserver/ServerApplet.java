package hydra.conformance.shareserver;

import javacard.framework.AID;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Shareable;
import javacard.framework.Util;

/**
 * Server side of the firewall test: hands out its Counter interface to
 * clients that ask with parameter 1, and checks who is calling with
 * JCSystem.getPreviousContextAID.
 */
public class ServerApplet extends Applet implements Counter {

    static final byte CLA = (byte) 0x80;
    static final byte INS_TOTAL = (byte) 0x90;

    static final byte[] CLIENT_AID = {
        (byte) 0xF0, 0x48, 0x59, 0x44, 0x52, 0x41, 0x0A, 0x01 };

    private short total;
    private final byte[] secretData;

    private ServerApplet() {
        secretData = new byte[] { 0x5E, 0x5E };
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new ServerApplet().register();
    }

    public Shareable getShareableInterfaceObject(AID clientAID, byte parameter) {
        if (parameter != 1) {
            return null;
        }
        return this;
    }

    public short add(short v) {
        total += v;
        return total;
    }

    public byte callerIsClient() {
        AID caller = JCSystem.getPreviousContextAID();
        if (caller != null && caller.equals(CLIENT_AID, (short) 0, (byte) CLIENT_AID.length)) {
            return 1;
        }
        return 0;
    }

    public byte[] secret() {
        return secretData;
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_CLA] != CLA) {
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        if (buf[ISO7816.OFFSET_INS] != INS_TOTAL) {
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        // total, and whether the applet calling now is the client (it is not:
        // this is a call from the runtime, not through the interface).
        Util.setShort(buf, (short) 0, total);
        buf[2] = callerIsClient();
        apdu.setOutgoingAndSend((short) 0, (short) 3);
    }
}
