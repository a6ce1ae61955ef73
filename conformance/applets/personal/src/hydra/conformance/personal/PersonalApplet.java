package hydra.conformance.personal;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.Util;
import org.globalplatform.Application;
import org.globalplatform.GPSystem;

/**
 * Personalized by its security domain: STORE DATA blocks, which the ISD
 * forwards after INSTALL [for personalization] through
 * Application.processData, are appended to a record; the last block (P1
 * bit 8) moves the applet to the application-specific life cycle state
 * 0x0F. Commands: 80 10 reads the record, 80 11 the card's life cycle
 * and this applet's (GPSystem), 80 12 P1 sets this applet's state to P1.
 */
public class PersonalApplet extends Applet implements Application {

    static final byte CLA = (byte) 0x80;
    static final byte INS_READ = (byte) 0x10;
    static final byte INS_STATES = (byte) 0x11;
    static final byte INS_SET_STATE = (byte) 0x12;
    static final byte PERSONALIZED = (byte) 0x0F;

    private final byte[] record = new byte[96];
    private short length;
    private byte nextBlock;

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new PersonalApplet().register();
    }

    /** baBuffer holds the STORE DATA command: CLA INS P1 P2 Lc data. */
    public void processData(byte[] baBuffer, short sOffset, short sLength) {
        if (sLength < 5) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        short lc = (short) (baBuffer[(short) (sOffset + ISO7816.OFFSET_LC)] & 0xFF);
        if ((short) (lc + 5) != sLength) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        if (baBuffer[(short) (sOffset + ISO7816.OFFSET_INS)] != (byte) 0xE2) {
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        if (baBuffer[(short) (sOffset + ISO7816.OFFSET_P2)] != nextBlock) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        if ((short) (length + lc) > (short) record.length) {
            ISOException.throwIt(ISO7816.SW_FILE_FULL);
        }
        Util.arrayCopy(baBuffer, (short) (sOffset + 5), record, length, lc);
        length += lc;
        nextBlock++;
        if ((baBuffer[(short) (sOffset + ISO7816.OFFSET_P1)] & 0x80) != 0) {
            GPSystem.setCardContentState(PERSONALIZED);
        }
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
        case INS_READ:
            Util.arrayCopyNonAtomic(record, (short) 0, buf, (short) 0, length);
            apdu.setOutgoingAndSend((short) 0, length);
            return;
        case INS_STATES:
            buf[0] = GPSystem.getCardState();
            buf[1] = GPSystem.getCardContentState();
            apdu.setOutgoingAndSend((short) 0, (short) 2);
            return;
        case INS_SET_STATE:
            buf[0] = GPSystem.setCardContentState(buf[ISO7816.OFFSET_P1]) ? (byte) 1 : (byte) 0;
            buf[1] = GPSystem.getCardContentState();
            apdu.setOutgoingAndSend((short) 0, (short) 2);
            return;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }
}
