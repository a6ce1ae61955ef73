package hydra.bench.sha256;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;

/**
 * SHA-256 (FIPS 180-4) written in Java Card on ints. The message is the
 * command data repeated P1 (unsigned) times; the response is its 32-byte
 * digest. The message schedule and the state are int arrays (Java Card has
 * no transient int arrays, so they are persistent, as such code is on a
 * card); the block being filled is a transient byte array.
 *
 * INS 30: digest. INS 02: no work.
 */
public class Sha256Applet extends Applet {

    static final byte CLA = (byte) 0x80;

    static final int[] K = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
    };

    private final int[] w;
    private final int[] h;
    private final byte[] block;

    private Sha256Applet() {
        w = new int[64];
        h = new int[8];
        block = JCSystem.makeTransientByteArray((short) 64, JCSystem.CLEAR_ON_DESELECT);
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new Sha256Applet().register();
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
        case 0x30:
            break;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        short len = apdu.setIncomingAndReceive();
        short times = (short) (buf[ISO7816.OFFSET_P1] & 0xFF);
        h[0] = 0x6a09e667;
        h[1] = 0xbb67ae85;
        h[2] = 0x3c6ef372;
        h[3] = 0xa54ff53a;
        h[4] = 0x510e527f;
        h[5] = 0x9b05688c;
        h[6] = 0x1f83d9ab;
        h[7] = 0x5be0cd19;
        byte[] blk = block;
        short fill = 0;
        for (short t = 0; t < times; t++) {
            for (short i = 0; i < len; i++) {
                blk[fill++] = buf[(short) (ISO7816.OFFSET_CDATA + i)];
                if (fill == 64) {
                    compress();
                    fill = 0;
                }
            }
        }
        // Padding: 0x80, zeros, then the length in bits as 64 bits.
        int bits = (int) len * (int) times * 8;
        blk[fill++] = (byte) 0x80;
        if (fill > 56) {
            while (fill < 64) {
                blk[fill++] = 0;
            }
            compress();
            fill = 0;
        }
        while (fill < 60) {
            blk[fill++] = 0;
        }
        putInt(blk, (short) 60, bits);
        compress();
        for (short i = 0; i < 8; i++) {
            putInt(buf, (short) (4 * i), h[i]);
        }
        apdu.setOutgoingAndSend((short) 0, (short) 32);
    }

    private void compress() {
        int[] w = this.w;
        int[] h = this.h;
        byte[] blk = block;
        for (short i = 0; i < 16; i++) {
            short o = (short) (4 * i);
            w[i] = ((blk[o] & 0xFF) << 24) | ((blk[(short) (o + 1)] & 0xFF) << 16)
                    | ((blk[(short) (o + 2)] & 0xFF) << 8) | (blk[(short) (o + 3)] & 0xFF);
        }
        for (short i = 16; i < 64; i++) {
            int x = w[(short) (i - 15)];
            int y = w[(short) (i - 2)];
            int s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
            int s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
            w[i] = w[(short) (i - 16)] + s0 + w[(short) (i - 7)] + s1;
        }
        int a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
        for (short i = 0; i < 64; i++) {
            int S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
            int ch = (e & f) ^ (~e & g);
            int t1 = hh + S1 + ch + K[i] + w[i];
            int S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
            int maj = (a & b) ^ (a & c) ^ (b & c);
            int t2 = S0 + maj;
            hh = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
        h[5] += f;
        h[6] += g;
        h[7] += hh;
    }

    static void putInt(byte[] b, short off, int v) {
        b[off] = (byte) (v >>> 24);
        b[(short) (off + 1)] = (byte) (v >>> 16);
        b[(short) (off + 2)] = (byte) (v >>> 8);
        b[(short) (off + 3)] = (byte) v;
    }
}
