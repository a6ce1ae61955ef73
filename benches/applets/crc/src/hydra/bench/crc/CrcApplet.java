package hydra.bench.crc;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;

/**
 * Checksums over the command data, bit by bit as a meter computes them
 * without tables. P1 (unsigned) is the number of passes over the data: the
 * checksum runs over the data repeated P1 times.
 *
 * INS 10: CRC-16/CCITT-FALSE (poly 1021, init FFFF), 2 bytes.
 * INS 11: CRC-32 (ISO-HDLC, reflected poly EDB88320, init and xorout FFFFFFFF), 4 bytes.
 * INS 12: Adler-32, 4 bytes.
 * INS 02: no work (the cost of an APDU).
 */
public class CrcApplet extends Applet {

    static final byte CLA = (byte) 0x80;

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new CrcApplet().register();
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_CLA] != CLA) {
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        short passes = (short) (buf[ISO7816.OFFSET_P1] & 0xFF);
        short len;
        switch (buf[ISO7816.OFFSET_INS]) {
        case 0x02:
            return;
        case 0x10:
            len = apdu.setIncomingAndReceive();
            short c = crc16(buf, ISO7816.OFFSET_CDATA, len, passes);
            buf[0] = (byte) (c >> 8);
            buf[1] = (byte) c;
            apdu.setOutgoingAndSend((short) 0, (short) 2);
            return;
        case 0x11:
            len = apdu.setIncomingAndReceive();
            putInt(buf, (short) 0, crc32(buf, ISO7816.OFFSET_CDATA, len, passes));
            apdu.setOutgoingAndSend((short) 0, (short) 4);
            return;
        case 0x12:
            len = apdu.setIncomingAndReceive();
            putInt(buf, (short) 0, adler32(buf, ISO7816.OFFSET_CDATA, len, passes));
            apdu.setOutgoingAndSend((short) 0, (short) 4);
            return;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }

    static short crc16(byte[] b, short off, short len, short passes) {
        short crc = (short) 0xFFFF;
        for (short p = 0; p < passes; p++) {
            for (short i = 0; i < len; i++) {
                crc ^= (short) (b[(short) (off + i)] << 8);
                for (short k = 0; k < 8; k++) {
                    if ((crc & (short) 0x8000) != 0) {
                        crc = (short) ((crc << 1) ^ 0x1021);
                    } else {
                        crc = (short) (crc << 1);
                    }
                }
            }
        }
        return crc;
    }

    static int crc32(byte[] b, short off, short len, short passes) {
        int crc = 0xFFFFFFFF;
        for (short p = 0; p < passes; p++) {
            for (short i = 0; i < len; i++) {
                crc ^= b[(short) (off + i)] & 0xFF;
                for (short k = 0; k < 8; k++) {
                    crc = (crc >>> 1) ^ (0xEDB88320 & -(crc & 1));
                }
            }
        }
        return ~crc;
    }

    static int adler32(byte[] b, short off, short len, short passes) {
        int a = 1;
        int s = 0;
        for (short p = 0; p < passes; p++) {
            for (short i = 0; i < len; i++) {
                a = (a + (b[(short) (off + i)] & 0xFF)) % 65521;
                s = (s + a) % 65521;
            }
        }
        return (s << 16) | a;
    }

    static void putInt(byte[] b, short off, int v) {
        b[off] = (byte) (v >>> 24);
        b[(short) (off + 1)] = (byte) (v >>> 16);
        b[(short) (off + 2)] = (byte) (v >>> 8);
        b[(short) (off + 3)] = (byte) v;
    }
}
