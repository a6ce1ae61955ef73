package hydra.conformance.apdu;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.Util;
import javacardx.apdu.ExtendedLength;

/**
 * The APDU class: the four cases, short and extended lengths, receiving data
 * in pieces, the outgoing methods, the protocol, a wrong Lc, and data sent
 * before an ISOException (it goes out with the exception's status word).
 */
public class ApduApplet extends Applet implements ExtendedLength {

    static final byte CLA = (byte) 0x80;

    static final byte INS_CASE1 = (byte) 0xB0;
    static final byte INS_CASE2 = (byte) 0xB1;
    static final byte INS_CASE3 = (byte) 0xB2;
    static final byte INS_CASE4 = (byte) 0xB3;
    static final byte INS_RECEIVE = (byte) 0xB4;
    static final byte INS_SEND_LONG = (byte) 0xB5;
    static final byte INS_PROTOCOL = (byte) 0xB6;
    static final byte INS_EXACT = (byte) 0xB7;
    static final byte INS_LAST = (byte) 0xB8;
    static final byte INS_SEND_THEN_THROW = (byte) 0xB9;

    // 64 bytes 00..3f, sent repeatedly by sendBytesLong.
    private final byte[] pattern;
    // Kept from the last case 3 command, which sends no data back.
    private short lastLength;
    private short lastSum;

    private ApduApplet() {
        pattern = new byte[64];
        for (short i = 0; i < 64; i++) {
            pattern[i] = (byte) i;
        }
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new ApduApplet().register();
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
        case INS_CASE1:
            return;
        case INS_CASE2:
            case2(apdu, buf);
            return;
        case INS_CASE3:
            case3(apdu, buf);
            return;
        case INS_CASE4:
            case4(apdu, buf);
            return;
        case INS_RECEIVE:
            receive(apdu, buf);
            return;
        case INS_SEND_LONG:
            sendLong(apdu, Util.getShort(buf, ISO7816.OFFSET_P1));
            return;
        case INS_PROTOCOL:
            buf[0] = (byte) (APDU.getProtocol() & APDU.PROTOCOL_TYPE_MASK);
            apdu.setOutgoingAndSend((short) 0, (short) 1);
            return;
        case INS_EXACT:
            exact(apdu, buf);
            return;
        case INS_LAST:
            Util.setShort(buf, (short) 0, lastLength);
            Util.setShort(buf, (short) 2, lastSum);
            apdu.setOutgoingAndSend((short) 0, (short) 4);
            return;
        case INS_SEND_THEN_THROW:
            // The first P1 pattern bytes, then the status word P2 P2 as an
            // ISOException: how applets signal 61xx (more data) after a chunk.
            apdu.setOutgoing();
            apdu.setOutgoingLength((short) (buf[ISO7816.OFFSET_P1] & 0xFF));
            apdu.sendBytesLong(pattern, (short) 0, (short) (buf[ISO7816.OFFSET_P1] & 0xFF));
            ISOException.throwIt((short) (0x6100 | (buf[ISO7816.OFFSET_P2] & 0xFF)));
            return;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }

    // No command data; P1 response bytes: Ne (2 bytes, as setOutgoing
    // returned it) then bytes 02, 03, ... (their offsets), with sendBytes.
    private void case2(APDU apdu, byte[] buf) {
        short n = (short) (buf[ISO7816.OFFSET_P1] & 0xFF);
        short ne = apdu.setOutgoing();
        apdu.setOutgoingLength(n);
        for (short i = 2; i < n; i++) {
            buf[i] = (byte) i;
        }
        Util.setShort(buf, (short) 0, ne);
        apdu.sendBytes((short) 0, n);
    }

    // Command data, no response data: remembers its length and byte sum.
    private void case3(APDU apdu, byte[] buf) {
        short n = apdu.setIncomingAndReceive();
        short off = apdu.getOffsetCdata();
        short sum = 0;
        for (short i = 0; i < n; i++) {
            sum += (short) (buf[(short) (off + i)] & 0xFF);
        }
        lastLength = n;
        lastSum = sum;
    }

    // Command data and response data: getIncomingLength, getOffsetCdata,
    // then the data reversed, with setOutgoingAndSend.
    private void case4(APDU apdu, byte[] buf) {
        short n = apdu.setIncomingAndReceive();
        short lc = apdu.getIncomingLength();
        short off = apdu.getOffsetCdata();
        // Copy out first: the response overlaps the command data.
        for (short i = 0; i < n; i++) {
            buf[(short) (off + 2 * n - 1 - i)] = buf[(short) (off + i)];
        }
        Util.arrayCopyNonAtomic(buf, (short) (off + n), buf, (short) 4, n);
        Util.setShort(buf, (short) 0, lc);
        Util.setShort(buf, (short) 2, off);
        apdu.setOutgoingAndSend((short) 0, (short) (4 + n));
    }

    // Data of any length (extended Lc): received piece by piece with
    // receiveBytes. Responds getIncomingLength, getOffsetCdata, bytes
    // received, sum of the bytes (unsigned, wraps).
    private void receive(APDU apdu, byte[] buf) {
        short got = apdu.setIncomingAndReceive();
        short off = apdu.getOffsetCdata();
        short total = 0;
        short sum = 0;
        while (got > 0) {
            for (short i = 0; i < got; i++) {
                sum += (short) (buf[(short) (off + i)] & 0xFF);
            }
            total += got;
            got = apdu.receiveBytes(off);
        }
        Util.setShort(buf, (short) 0, apdu.getIncomingLength());
        Util.setShort(buf, (short) 2, off);
        Util.setShort(buf, (short) 4, total);
        Util.setShort(buf, (short) 6, sum);
        apdu.setOutgoingAndSend((short) 0, (short) 8);
    }

    // n = P1P2 response bytes 00..3f repeated, with sendBytesLong in pieces
    // of at most 64.
    private void sendLong(APDU apdu, short n) {
        apdu.setOutgoing();
        apdu.setOutgoingLength(n);
        short left = n;
        while (left > 0) {
            short piece = left > 64 ? (short) 64 : left;
            apdu.sendBytesLong(pattern, (short) 0, piece);
            left -= piece;
        }
    }

    // Exactly 4 bytes of data are expected; anything else is a wrong length.
    private void exact(APDU apdu, byte[] buf) {
        short n = apdu.setIncomingAndReceive();
        if (n != 4 || apdu.getIncomingLength() != 4) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        apdu.setOutgoingAndSend(apdu.getOffsetCdata(), (short) 4);
    }
}
