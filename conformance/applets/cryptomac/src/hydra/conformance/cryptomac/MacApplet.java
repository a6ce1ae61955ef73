package hydra.conformance.cryptomac;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.CryptoException;
import javacard.security.DESKey;
import javacard.security.HMACKey;
import javacard.security.Key;
import javacard.security.KeyBuilder;
import javacard.security.MessageDigest;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/**
 * MACs through Signature: HMAC (SHA-1, SHA-256), AES CMAC, AES CBC-MAC
 * without padding and with ISO 9797-1 method 2, DES MAC8 with ISO 9797-1
 * methods 1 and 2, and the ISO 9797-1 MAC algorithm 3 (retail MAC).
 * <p>
 * Conventions: CLA 80. Key slots (P1 of the key commands, P2 of SIGN and
 * VERIFY): 0 HMAC key built with LENGTH_HMAC_SHA_1_BLOCK_64, 1 HMAC key built
 * with LENGTH_HMAC_SHA_256_BLOCK_64, 2 AES-128, 3 DES (64), 4 2-key 3DES.
 * P1 of SIGN, VERIFY and SIG_INFO is the Signature.ALG_* constant; 0x80 is
 * getInstance(MessageDigest.ALG_NULL, SIG_CIPHER_AES_MAC128, PAD_ISO9797_M2,
 * false), as there is no ALG_ constant for that MAC. Signature objects are
 * made on first use and kept. A CryptoException becomes the status word
 * 6F00 | reason (6F01 ILLEGAL_VALUE, 6F02 UNINITIALIZED_KEY,
 * 6F03 NO_SUCH_ALGORITHM, 6F04 INVALID_INIT, 6F05 ILLEGAL_USE).
 */
public class MacApplet extends Applet {

    static final byte CLA = (byte) 0x80;

    /** setKey(data): HMAC keys take the length of the data. */
    static final byte INS_SET_KEY = (byte) 0x10;
    /** isInitialized, getType. */
    static final byte INS_KEY_STATE = (byte) 0x11;
    /** clearKey(). */
    static final byte INS_CLEAR_KEY = (byte) 0x13;

    /**
     * init(key P2, MODE_SIGN), sign. Data: split, message; with split != 0,
     * update(message[0..split]) comes first. Answers the MAC.
     */
    static final byte INS_SIGN = (byte) 0x30;
    /**
     * init(key P2, MODE_VERIFY), verify. Data: split, MAC length, MAC,
     * message. Answers 01 (true) or 00 (false).
     */
    static final byte INS_VERIFY = (byte) 0x31;
    /** sign(data) on the kept Signature P1, without a new init. */
    static final byte INS_AGAIN = (byte) 0x32;
    /** getAlgorithm, getLength (2 bytes) of the kept Signature P1. */
    static final byte INS_SIG_INFO = (byte) 0x33;

    static final byte AES_MAC_M2 = (byte) 0x80;

    private final Key[] keys;
    private final Signature[] sigs;
    private Signature aesMacM2;
    private final byte[] scratch;

    private MacApplet() {
        keys = new Key[5];
        keys[0] = KeyBuilder.buildKey(KeyBuilder.TYPE_HMAC, KeyBuilder.LENGTH_HMAC_SHA_1_BLOCK_64, false);
        keys[1] = KeyBuilder.buildKey(KeyBuilder.TYPE_HMAC, KeyBuilder.LENGTH_HMAC_SHA_256_BLOCK_64, false);
        keys[2] = KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        keys[3] = KeyBuilder.buildKey(KeyBuilder.TYPE_DES, KeyBuilder.LENGTH_DES, false);
        keys[4] = KeyBuilder.buildKey(KeyBuilder.TYPE_DES, KeyBuilder.LENGTH_DES3_2KEY, false);
        sigs = new Signature[50];
        scratch = JCSystem.makeTransientByteArray((short) 256, JCSystem.CLEAR_ON_DESELECT);
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new MacApplet().register();
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
            if (k instanceof HMACKey) {
                ((HMACKey) k).setKey(buf, data, lc);
            } else if (k instanceof AESKey) {
                ((AESKey) k).setKey(buf, data);
            } else {
                ((DESKey) k).setKey(buf, data);
            }
            return 0;
        }
        case INS_KEY_STATE: {
            Key k = key(p1);
            buf[0] = k.isInitialized() ? (byte) 1 : (byte) 0;
            buf[1] = k.getType();
            return 2;
        }
        case INS_CLEAR_KEY:
            key(p1).clearKey();
            return 0;
        case INS_SIGN:
        case INS_VERIFY:
            return mac(buf, p1, key(p2), lc);
        case INS_AGAIN:
            Util.arrayCopyNonAtomic(buf, data, scratch, (short) 0, lc);
            return sig(p1).sign(scratch, (short) 0, lc, buf, (short) 0);
        case INS_SIG_INFO: {
            Signature s = sig(p1);
            buf[0] = s.getAlgorithm();
            Util.setShort(buf, (short) 1, s.getLength());
            return 3;
        }
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

    private Signature sig(byte alg) {
        if (alg == AES_MAC_M2) {
            if (aesMacM2 == null) {
                aesMacM2 = Signature.getInstance(MessageDigest.ALG_NULL,
                        Signature.SIG_CIPHER_AES_MAC128, Cipher.PAD_ISO9797_M2, false);
            }
            return aesMacM2;
        }
        if (alg < 0 || alg >= sigs.length) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        if (sigs[alg] == null) {
            sigs[alg] = Signature.getInstance(alg, false);
        }
        return sigs[alg];
    }

    private short mac(byte[] buf, byte alg, Key k, short lc) {
        boolean verify = buf[ISO7816.OFFSET_INS] == INS_VERIFY;
        Util.arrayCopyNonAtomic(buf, ISO7816.OFFSET_CDATA, scratch, (short) 0, lc);
        short split = (short) (scratch[0] & 0xFF);
        short macOff = 2;
        short macLen = verify ? (short) (scratch[1] & 0xFF) : (short) 0;
        short in = verify ? (short) (2 + macLen) : (short) 1;
        short inLen = (short) (lc - in);
        Signature s = sig(alg);
        s.init(k, verify ? Signature.MODE_VERIFY : Signature.MODE_SIGN);
        if (split != 0) {
            s.update(scratch, in, split);
            in += split;
            inLen -= split;
        }
        if (verify) {
            buf[0] = s.verify(scratch, in, inLen, scratch, macOff, macLen) ? (byte) 1 : (byte) 0;
            return 1;
        }
        return s.sign(scratch, in, inLen, buf, (short) 0);
    }
}
