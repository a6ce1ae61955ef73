package hydra.conformance.transients;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.SystemException;
import javacard.framework.Util;

/**
 * Transient arrays of every kind, CLEAR_ON_RESET and CLEAR_ON_DESELECT,
 * against a persistent array: which values survive a deselect and a reset.
 */
public class TransientsApplet extends Applet {

    static final byte CLA = (byte) 0x80;

    static final byte INS_KINDS = (byte) 0x60;
    static final byte INS_SET = (byte) 0x61;
    static final byte INS_GET = (byte) 0x62;
    static final byte INS_BAD_EVENT = (byte) 0x63;

    private final byte[] bytesR;
    private final byte[] bytesD;
    private final short[] shortsR;
    private final short[] shortsD;
    private final boolean[] boolsR;
    private final boolean[] boolsD;
    private final Object[] objsR;
    private final Object[] objsD;
    private final byte[] persistent;

    private TransientsApplet() {
        bytesR = JCSystem.makeTransientByteArray((short) 4, JCSystem.CLEAR_ON_RESET);
        bytesD = JCSystem.makeTransientByteArray((short) 4, JCSystem.CLEAR_ON_DESELECT);
        shortsR = JCSystem.makeTransientShortArray((short) 2, JCSystem.CLEAR_ON_RESET);
        shortsD = JCSystem.makeTransientShortArray((short) 2, JCSystem.CLEAR_ON_DESELECT);
        boolsR = JCSystem.makeTransientBooleanArray((short) 2, JCSystem.CLEAR_ON_RESET);
        boolsD = JCSystem.makeTransientBooleanArray((short) 2, JCSystem.CLEAR_ON_DESELECT);
        objsR = JCSystem.makeTransientObjectArray((short) 2, JCSystem.CLEAR_ON_RESET);
        objsD = JCSystem.makeTransientObjectArray((short) 2, JCSystem.CLEAR_ON_DESELECT);
        persistent = new byte[4];
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new TransientsApplet().register();
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_CLA] != CLA) {
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        short len;
        switch (buf[ISO7816.OFFSET_INS]) {
        case INS_KINDS: len = kinds(buf); break;
        case INS_SET: set(buf[ISO7816.OFFSET_P1]); len = 0; break;
        case INS_GET: len = get(buf); break;
        case INS_BAD_EVENT: len = badEvent(buf); break;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
            return;
        }
        apdu.setOutgoingAndSend((short) 0, len);
    }

    // JCSystem.isTransient of each array: 1 CLEAR_ON_RESET, 2 CLEAR_ON_DESELECT, 0 persistent.
    private short kinds(byte[] buf) {
        buf[0] = JCSystem.isTransient(bytesR);
        buf[1] = JCSystem.isTransient(bytesD);
        buf[2] = JCSystem.isTransient(shortsR);
        buf[3] = JCSystem.isTransient(shortsD);
        buf[4] = JCSystem.isTransient(boolsR);
        buf[5] = JCSystem.isTransient(boolsD);
        buf[6] = JCSystem.isTransient(objsR);
        buf[7] = JCSystem.isTransient(objsD);
        buf[8] = JCSystem.isTransient(persistent);
        return 9;
    }

    // Element 0 of every array := P1 (true, this for boolean and Object).
    private void set(byte v) {
        bytesR[0] = v;
        bytesD[0] = v;
        shortsR[0] = v;
        shortsD[0] = v;
        boolsR[0] = true;
        boolsD[0] = true;
        objsR[0] = this;
        objsD[0] = this;
        persistent[0] = v;
    }

    // Element 0 of every array: bytes, shorts (2 bytes), booleans and
    // non-null objects as 0/1, then the persistent byte.
    private short get(byte[] buf) {
        short o = 0;
        buf[o++] = bytesR[0];
        buf[o++] = bytesD[0];
        o = Util.setShort(buf, o, shortsR[0]);
        o = Util.setShort(buf, o, shortsD[0]);
        buf[o++] = boolsR[0] ? (byte) 1 : (byte) 0;
        buf[o++] = boolsD[0] ? (byte) 1 : (byte) 0;
        buf[o++] = objsR[0] != null ? (byte) 1 : (byte) 0;
        buf[o++] = objsD[0] != null ? (byte) 1 : (byte) 0;
        buf[o++] = persistent[0];
        return o;
    }

    // An unknown event code is refused with SystemException.ILLEGAL_VALUE.
    private short badEvent(byte[] buf) {
        short r = 0;
        try {
            JCSystem.makeTransientByteArray((short) 1, (byte) 9);
        } catch (SystemException e) {
            r = e.getReason();
        }
        return Util.setShort(buf, (short) 0, r);
    }
}
