package hydra.conformance.cryptosym;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.CryptoException;
import javacard.security.DESKey;
import javacard.security.Key;
import javacard.security.KeyBuilder;
import javacardx.crypto.Cipher;

/**
 * AES and DES keys from KeyBuilder, persistent and transient, and Cipher
 * in ECB and CBC modes with and without padding.
 * <p>
 * Conventions: CLA 80. Key slots (P1 of the key commands, P2 of CIPHER):
 * 0 AES-128, 1 AES-192, 2 AES-256 (TYPE_AES), 3 AES-128
 * TYPE_AES_TRANSIENT_DESELECT, 4 AES-128 TYPE_AES_TRANSIENT_RESET, 5 DES
 * (64), 6 2-key 3DES (128), 7 3-key 3DES (192), 8 2-key 3DES
 * TYPE_DES_TRANSIENT_DESELECT, 9 2-key 3DES TYPE_DES_TRANSIENT_RESET.
 * Cipher objects are made on first use with getInstance(P1, false), P1 the
 * Cipher.ALG_* constant, and kept. A CryptoException becomes the status word
 * 6F00 | reason (6F01 ILLEGAL_VALUE, 6F02 UNINITIALIZED_KEY,
 * 6F03 NO_SUCH_ALGORITHM, 6F04 INVALID_INIT, 6F05 ILLEGAL_USE).
 */
public class SymApplet extends Applet {

    static final byte CLA = (byte) 0x80;

    /** setKey(data). */
    static final byte INS_SET_KEY = (byte) 0x10;
    /** isInitialized, getType, getSize (2 bytes). */
    static final byte INS_KEY_INFO = (byte) 0x11;
    /** getKey: the key bytes; then the length getKey returned. */
    static final byte INS_GET_KEY = (byte) 0x12;
    /** clearKey(). */
    static final byte INS_CLEAR_KEY = (byte) 0x13;

    /**
     * init(key P2, mode) and doFinal. Data: mode (1 decrypt, 2 encrypt),
     * split, IV length (0: init without IV), IV, input. With split != 0,
     * update(input[0..split]) comes first; the answer is the output of
     * update followed by that of doFinal.
     */
    static final byte INS_CIPHER = (byte) 0x20;
    /** doFinal(data) on the kept Cipher P1, without a new init. */
    static final byte INS_AGAIN = (byte) 0x21;
    /** getAlgorithm of the kept Cipher P1. */
    static final byte INS_CIPHER_INFO = (byte) 0x22;

    private final Key[] keys;
    private final Cipher[] ciphers;
    private final byte[] scratch;

    private SymApplet() {
        keys = new Key[10];
        keys[0] = KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        keys[1] = KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_192, false);
        keys[2] = KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_256, false);
        keys[3] = KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_AES_128, false);
        keys[4] = KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_RESET, KeyBuilder.LENGTH_AES_128, false);
        keys[5] = KeyBuilder.buildKey(KeyBuilder.TYPE_DES, KeyBuilder.LENGTH_DES, false);
        keys[6] = KeyBuilder.buildKey(KeyBuilder.TYPE_DES, KeyBuilder.LENGTH_DES3_2KEY, false);
        keys[7] = KeyBuilder.buildKey(KeyBuilder.TYPE_DES, KeyBuilder.LENGTH_DES3_3KEY, false);
        keys[8] = KeyBuilder.buildKey(KeyBuilder.TYPE_DES_TRANSIENT_DESELECT, KeyBuilder.LENGTH_DES3_2KEY, false);
        keys[9] = KeyBuilder.buildKey(KeyBuilder.TYPE_DES_TRANSIENT_RESET, KeyBuilder.LENGTH_DES3_2KEY, false);
        ciphers = new Cipher[28];
        scratch = JCSystem.makeTransientByteArray((short) 256, JCSystem.CLEAR_ON_DESELECT);
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new SymApplet().register();
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
        try {
            short len = dispatch(buf, lc);
            apdu.setOutgoingAndSend((short) 0, len);
        } catch (CryptoException e) {
            ISOException.throwIt((short) (0x6F00 | e.getReason()));
        }
    }

    private short dispatch(byte[] buf, short lc) {
        byte p1 = buf[ISO7816.OFFSET_P1];
        byte p2 = buf[ISO7816.OFFSET_P2];
        short data = ISO7816.OFFSET_CDATA;
        switch (buf[ISO7816.OFFSET_INS]) {
        case INS_SET_KEY: {
            Key k = key(p1);
            if (k instanceof AESKey) {
                ((AESKey) k).setKey(buf, data);
            } else {
                ((DESKey) k).setKey(buf, data);
            }
            return 0;
        }
        case INS_KEY_INFO: {
            Key k = key(p1);
            buf[0] = k.isInitialized() ? (byte) 1 : (byte) 0;
            buf[1] = k.getType();
            Util.setShort(buf, (short) 2, k.getSize());
            return 4;
        }
        case INS_GET_KEY: {
            Key k = key(p1);
            byte n;
            if (k instanceof AESKey) {
                n = ((AESKey) k).getKey(buf, (short) 0);
            } else {
                n = ((DESKey) k).getKey(buf, (short) 0);
            }
            buf[n] = n;
            return (short) (n + 1);
        }
        case INS_CLEAR_KEY:
            key(p1).clearKey();
            return 0;
        case INS_CIPHER:
            return cipher(buf, p1, key(p2), lc);
        case INS_AGAIN:
            Util.arrayCopyNonAtomic(buf, data, scratch, (short) 0, lc);
            return cipher(p1).doFinal(scratch, (short) 0, lc, buf, (short) 0);
        case INS_CIPHER_INFO:
            buf[0] = cipher(p1).getAlgorithm();
            return 1;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        return 0;
    }

    private Key key(byte slot) {
        if (slot < 0 || slot >= keys.length) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        return keys[slot];
    }

    private Cipher cipher(byte alg) {
        if (alg < 0 || alg >= ciphers.length) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        if (ciphers[alg] == null) {
            ciphers[alg] = Cipher.getInstance(alg, false);
        }
        return ciphers[alg];
    }

    private short cipher(byte[] buf, byte alg, Key k, short lc) {
        // the whole command data goes to scratch, the output to the APDU buffer
        Util.arrayCopyNonAtomic(buf, ISO7816.OFFSET_CDATA, scratch, (short) 0, lc);
        byte mode = scratch[0];
        short split = (short) (scratch[1] & 0xFF);
        short ivLen = (short) (scratch[2] & 0xFF);
        short in = (short) (3 + ivLen);
        short inLen = (short) (lc - in);
        Cipher c = cipher(alg);
        if (ivLen == 0) {
            c.init(k, mode);
        } else {
            c.init(k, mode, scratch, (short) 3, ivLen);
        }
        short out = 0;
        if (split != 0) {
            out = c.update(scratch, in, split, buf, (short) 0);
            in += split;
            inLen -= split;
        }
        return (short) (out + c.doFinal(scratch, in, inLen, buf, out));
    }
}
