package hydra.bench.purse;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.OwnerPIN;
import javacard.framework.Util;

/**
 * A prepaid purse: a PIN (OwnerPIN, 3 tries, initial PIN 31 32 33 34), a
 * balance and a cyclic log of 16 records of 8 bytes, every update inside a
 * transaction.
 *
 * INS 20 VERIFY: data = PIN; 9000, or 63Cx with x tries left, or 6983
 *   when blocked.
 * INS 70 BATCH (PIN verified, else 6982): data = k signed amounts (2 bytes
 *   each, credit if positive, debit if negative). P1 (unsigned) times, for
 *   each amount, one transaction: when 0 <= balance + amount <= 30000 the
 *   balance changes and a log record is written (sequence number (2),
 *   kind (1: 01 credit, 02 debit), amount (2), new balance (2), XOR of
 *   those 7 bytes (1)) at record seq mod 16, and seq increases; otherwise
 *   the amount is refused and counted. Response: balance (2), seq (2),
 *   refused in this command (2), 16-bit sum of all log bytes (2).
 * INS 72 BALANCE: response balance (2), seq (2).
 * INS 03: one update of a persistent field outside a transaction
 *   (touches++; the cost of the store barrier).
 * INS 02: no work.
 */
public class PurseApplet extends Applet {

    static final byte CLA = (byte) 0x80;
    static final short LIMIT = 30000;
    static final short RECORD = 8;
    static final short RECORDS = 16;

    private final OwnerPIN pin;
    private short balance;
    private short seq;
    private short touches;
    private final byte[] log;

    private PurseApplet() {
        pin = new OwnerPIN((byte) 3, (byte) 8);
        pin.update(new byte[] { 0x31, 0x32, 0x33, 0x34 }, (short) 0, (byte) 4);
        log = new byte[(short) (RECORD * RECORDS)];
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new PurseApplet().register();
    }

    public boolean select() {
        return pin.getTriesRemaining() > 0;
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
        case 0x03:
            touches++;
            return;
        case 0x20:
            verify(apdu, buf);
            return;
        case 0x70:
            batch(apdu, buf);
            return;
        case 0x72:
            Util.setShort(buf, (short) 0, balance);
            Util.setShort(buf, (short) 2, seq);
            apdu.setOutgoingAndSend((short) 0, (short) 4);
            return;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }

    private void verify(APDU apdu, byte[] buf) {
        if (pin.getTriesRemaining() == 0) {
            ISOException.throwIt(ISO7816.SW_FILE_INVALID);
        }
        short len = apdu.setIncomingAndReceive();
        if (!pin.check(buf, ISO7816.OFFSET_CDATA, (byte) len)) {
            ISOException.throwIt((short) (0x63C0 | pin.getTriesRemaining()));
        }
    }

    private void batch(APDU apdu, byte[] buf) {
        if (!pin.isValidated()) {
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        short len = apdu.setIncomingAndReceive();
        short times = (short) (buf[ISO7816.OFFSET_P1] & 0xFF);
        short end = (short) (ISO7816.OFFSET_CDATA + (len & ~1));
        short refused = 0;
        for (short t = 0; t < times; t++) {
            for (short o = ISO7816.OFFSET_CDATA; o < end; o += 2) {
                if (!apply(Util.getShort(buf, o))) {
                    refused++;
                }
            }
        }
        short sum = 0;
        for (short i = 0; i < (short) (RECORD * RECORDS); i++) {
            sum += (short) (log[i] & 0xFF);
        }
        Util.setShort(buf, (short) 0, balance);
        Util.setShort(buf, (short) 2, seq);
        Util.setShort(buf, (short) 4, refused);
        Util.setShort(buf, (short) 6, sum);
        apdu.setOutgoingAndSend((short) 0, (short) 8);
    }

    private boolean apply(short amount) {
        short next = (short) (balance + amount);
        if (next < 0 || next > LIMIT) { // a 16-bit sum past 32767 wraps below 0
            return false;
        }
        JCSystem.beginTransaction();
        balance = next;
        short at = (short) ((seq & (RECORDS - 1)) * RECORD);
        byte[] r = log;
        Util.setShort(r, at, seq);
        r[(short) (at + 2)] = amount < 0 ? (byte) 2 : (byte) 1;
        Util.setShort(r, (short) (at + 3), amount);
        Util.setShort(r, (short) (at + 5), next);
        byte x = 0;
        for (short i = 0; i < 7; i++) {
            x ^= r[(short) (at + i)];
        }
        r[(short) (at + 7)] = x;
        seq++;
        JCSystem.commitTransaction();
        return true;
    }
}
