package hydra.bench.xtea;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;

/**
 * XTEA (64-bit blocks, 128-bit key, 32 cycles) in ECB mode on ints.
 * Command data: key (16 bytes, four big-endian words) then the blocks
 * (a multiple of 8 bytes, each two big-endian words). P1 (unsigned) is the
 * number of times the blocks are enciphered (or deciphered) in place.
 * The response is the blocks.
 *
 * INS 20: encipher. INS 21: decipher. INS 02: no work.
 */
public class XteaApplet extends Applet {

    static final byte CLA = (byte) 0x80;
    static final int DELTA = 0x9E3779B9;

    private final int[] key;

    private XteaApplet() {
        key = new int[4];
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new XteaApplet().register();
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_CLA] != CLA) {
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        byte ins = buf[ISO7816.OFFSET_INS];
        if (ins == 0x02) {
            return;
        }
        if (ins != 0x20 && ins != 0x21) {
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        short len = apdu.setIncomingAndReceive();
        short n = (short) (len - 16);
        if (n < 0 || (n & 7) != 0) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        short off = ISO7816.OFFSET_CDATA;
        for (short i = 0; i < 4; i++) {
            key[i] = getInt(buf, (short) (off + 4 * i));
        }
        off += 16;
        short times = (short) (buf[ISO7816.OFFSET_P1] & 0xFF);
        for (short t = 0; t < times; t++) {
            for (short b = 0; b < n; b += 8) {
                if (ins == 0x20) {
                    encipher(buf, (short) (off + b));
                } else {
                    decipher(buf, (short) (off + b));
                }
            }
        }
        apdu.setOutgoingAndSend(off, n);
    }

    private void encipher(byte[] buf, short at) {
        int v0 = getInt(buf, at);
        int v1 = getInt(buf, (short) (at + 4));
        int sum = 0;
        int[] k = key;
        for (short i = 0; i < 32; i++) {
            v0 += (((v1 << 4) ^ (v1 >>> 5)) + v1) ^ (sum + k[(short) (sum & 3)]);
            sum += DELTA;
            v1 += (((v0 << 4) ^ (v0 >>> 5)) + v0) ^ (sum + k[(short) ((sum >>> 11) & 3)]);
        }
        putInt(buf, at, v0);
        putInt(buf, (short) (at + 4), v1);
    }

    private void decipher(byte[] buf, short at) {
        int v0 = getInt(buf, at);
        int v1 = getInt(buf, (short) (at + 4));
        int sum = DELTA * 32;
        int[] k = key;
        for (short i = 0; i < 32; i++) {
            v1 -= (((v0 << 4) ^ (v0 >>> 5)) + v0) ^ (sum + k[(short) ((sum >>> 11) & 3)]);
            sum -= DELTA;
            v0 -= (((v1 << 4) ^ (v1 >>> 5)) + v1) ^ (sum + k[(short) (sum & 3)]);
        }
        putInt(buf, at, v0);
        putInt(buf, (short) (at + 4), v1);
    }

    static int getInt(byte[] b, short off) {
        return ((b[off] & 0xFF) << 24) | ((b[(short) (off + 1)] & 0xFF) << 16)
                | ((b[(short) (off + 2)] & 0xFF) << 8) | (b[(short) (off + 3)] & 0xFF);
    }

    static void putInt(byte[] b, short off, int v) {
        b[off] = (byte) (v >>> 24);
        b[(short) (off + 1)] = (byte) (v >>> 16);
        b[(short) (off + 2)] = (byte) (v >>> 8);
        b[(short) (off + 3)] = (byte) v;
    }
}
