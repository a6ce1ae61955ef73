package hydra.conformance.shareclient;

import hydra.conformance.shareserver.Counter;
import javacard.framework.AID;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Shareable;
import javacard.framework.Util;

/**
 * Client side of the firewall test, in another package: gets the server's
 * Counter through JCSystem.getAppletShareableInterfaceObject and calls it.
 */
public class ClientApplet extends Applet {

    static final byte CLA = (byte) 0x80;

    static final byte INS_ADD = (byte) 0xA0;
    static final byte INS_REFUSED = (byte) 0xA1;
    static final byte INS_NO_SERVER = (byte) 0xA2;
    static final byte INS_SECRET = (byte) 0xA3;

    static final byte[] SERVER_AID = {
        (byte) 0xF0, 0x48, 0x59, 0x44, 0x52, 0x41, 0x09, 0x01 };
    static final byte[] MISSING_AID = {
        (byte) 0xF0, 0x48, 0x59, 0x44, 0x52, 0x41, 0x09, 0x7F };

    private ClientApplet() {
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new ClientApplet().register();
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
        short len;
        switch (buf[ISO7816.OFFSET_INS]) {
        case INS_ADD: {
            Counter c = counter((byte) 1);
            short total = c.add(p1);
            Util.setShort(buf, (short) 0, total);
            buf[2] = c.callerIsClient();
            len = 3;
            break;
        }
        case INS_REFUSED:
            // The server answers null to parameter 2.
            buf[0] = counter((byte) 2) == null ? (byte) 1 : (byte) 0;
            len = 1;
            break;
        case INS_NO_SERVER:
            buf[0] = JCSystem.lookupAID(MISSING_AID, (short) 0, (byte) MISSING_AID.length) == null
                    ? (byte) 1 : (byte) 0;
            len = 1;
            break;
        case INS_SECRET:
            len = secret(buf, p1);
            break;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
            return;
        }
        apdu.setOutgoingAndSend((short) 0, len);
    }

    private static Counter counter(byte parameter) {
        AID server = JCSystem.lookupAID(SERVER_AID, (short) 0, (byte) SERVER_AID.length);
        Shareable s = JCSystem.getAppletShareableInterfaceObject(server, parameter);
        return (Counter) s;
    }

    // Touching an array of the server's context is a firewall violation:
    // SecurityException. P1=0 reads an element, P1=1 its length, both
    // caught (respond 5e); P1=2 reads an element without a handler (6f00).
    private static short secret(byte[] buf, byte p1) {
        byte[] s = counter((byte) 1).secret();
        if (p1 == 2) {
            buf[0] = s[0];
            return 1;
        }
        buf[0] = 0;
        try {
            if (p1 == 0) {
                buf[0] = s[0];
            } else {
                buf[0] = (byte) s.length;
            }
        } catch (SecurityException e) {
            buf[0] = 0x5E;
        }
        return 1;
    }
}
