package hydra.conformance.cryptorsa;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.CryptoException;
import javacard.security.Key;
import javacard.security.KeyBuilder;
import javacard.security.KeyPair;
import javacard.security.RSAPrivateCrtKey;
import javacard.security.RSAPrivateKey;
import javacard.security.RSAPublicKey;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/**
 * RSA-1024 and RSA-2048: keys set from their components (plain and CRT
 * private keys), PKCS #1 v1.5 signatures with SHA-1 and SHA-256, the
 * PKCS #1 v1.5 and raw RSA ciphers, and a generated KeyPair.
 * <p>
 * Conventions: CLA 80. Values longer than a command are staged: STAGE
 * writes the command data at offset P1P2 of a 512-byte input area; SET_KEY,
 * VERIFY and CIPHER take their long operand from the start of that area.
 * Results go to a 512-byte output area, read back with READ. Key slots:
 * 0 public, 1 private, 2 CRT private, all RSA-1024; 3, 4, 5 the same for
 * RSA-2048. P1 of SIGN and VERIFY is the Signature.ALG_* constant, P1 of
 * CIPHER and ROUND_TRIP the Cipher.ALG_* constant. A CryptoException becomes
 * the status word 6F00 | reason (6F01 ILLEGAL_VALUE, 6F02 UNINITIALIZED_KEY,
 * 6F03 NO_SUCH_ALGORITHM, 6F04 INVALID_INIT, 6F05 ILLEGAL_USE).
 */
public class RsaApplet extends Applet {

    static final byte CLA = (byte) 0x80;

    /** Copy the data to the input area at offset P1P2. */
    static final byte INS_STAGE = (byte) 0x01;
    /** Up to 64 bytes of the output area from offset P1P2. */
    static final byte INS_READ = (byte) 0x02;

    /**
     * Set component P2 of key slot P1 from the input area; data: its length
     * (2 bytes). P2: 1 modulus, 2 exponent (public or private), 3 P, 4 Q,
     * 5 DP1, 6 DQ1, 7 PQ.
     */
    static final byte INS_SET_KEY = (byte) 0x10;
    /** isInitialized, getSize (2 bytes), getType of slot P1. */
    static final byte INS_KEY_INFO = (byte) 0x11;
    /** Modulus (P2 = 1) or exponent (P2 = 2) of a public key slot P1 into the output area: answers its length. */
    static final byte INS_GET_KEY = (byte) 0x12;

    /** Sign data with key slot P2 into the output area: answers the signature length (2 bytes). */
    static final byte INS_SIGN = (byte) 0x20;
    /** Verify with key slot P2; data: signature length (2 bytes), message; the signature is in the input area. Answers 01 or 00. */
    static final byte INS_VERIFY = (byte) 0x21;

    /**
     * init(key P2, mode) and doFinal of the input area into the output area;
     * data: mode (1 decrypt, 2 encrypt), input length (2 bytes). Answers the
     * output length (2 bytes).
     */
    static final byte INS_CIPHER = (byte) 0x30;
    /**
     * Encrypt data with public key slot P2, decrypt the result with private
     * key slot data[0]: answers the ciphertext length (2 bytes), then 01 if
     * the decryption gives back data[1..].
     */
    static final byte INS_ROUND_TRIP = (byte) 0x31;

    /**
     * genKeyPair of KeyPair(P1, LENGTH_RSA_1024), P1 = KeyPair.ALG_RSA or
     * ALG_RSA_CRT; then sign data with ALG_RSA_SHA_256_PKCS1 and verify it.
     * Answers verify, the modulus length (2 bytes), the public exponent
     * length and the exponent.
     */
    static final byte INS_GEN = (byte) 0x40;

    private final Key[] keys;
    private final Signature[] sigs;
    private final Cipher[] ciphers;
    private final KeyPair[] pairs;
    private final byte[] in;
    private final byte[] out;
    private short outLen;

    private RsaApplet() {
        keys = new Key[6];
        short[] lengths = { KeyBuilder.LENGTH_RSA_1024, KeyBuilder.LENGTH_RSA_2048 };
        for (short i = 0; i < 2; i++) {
            short at = (short) (i * 3);
            keys[at] = KeyBuilder.buildKey(KeyBuilder.TYPE_RSA_PUBLIC, lengths[i], false);
            keys[(short) (at + 1)] = KeyBuilder.buildKey(KeyBuilder.TYPE_RSA_PRIVATE, lengths[i], false);
            keys[(short) (at + 2)] = KeyBuilder.buildKey(KeyBuilder.TYPE_RSA_CRT_PRIVATE, lengths[i], false);
        }
        sigs = new Signature[48];
        ciphers = new Cipher[16];
        pairs = new KeyPair[3];
        in = JCSystem.makeTransientByteArray((short) 512, JCSystem.CLEAR_ON_DESELECT);
        out = JCSystem.makeTransientByteArray((short) 512, JCSystem.CLEAR_ON_DESELECT);
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new RsaApplet().register();
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
        short p1p2 = Util.getShort(buf, ISO7816.OFFSET_P1);
        short data = ISO7816.OFFSET_CDATA;
        switch (buf[ISO7816.OFFSET_INS]) {
        case INS_STAGE:
            if (p1p2 < 0 || (short) (p1p2 + lc) > (short) in.length) {
                ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
            }
            Util.arrayCopyNonAtomic(buf, data, in, p1p2, lc);
            return 0;
        case INS_READ: {
            if (p1p2 < 0 || p1p2 > outLen) {
                ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
            }
            short n = (short) (outLen - p1p2);
            if (n > 64) {
                n = 64;
            }
            Util.arrayCopyNonAtomic(out, p1p2, buf, (short) 0, n);
            return n;
        }
        case INS_SET_KEY:
            setKey(key(p1), p2, Util.getShort(buf, data));
            return 0;
        case INS_KEY_INFO: {
            Key k = key(p1);
            buf[0] = k.isInitialized() ? (byte) 1 : (byte) 0;
            Util.setShort(buf, (short) 1, k.getSize());
            buf[3] = k.getType();
            return 4;
        }
        case INS_GET_KEY: {
            RSAPublicKey k = (RSAPublicKey) key(p1);
            outLen = p2 == 1 ? k.getModulus(out, (short) 0) : k.getExponent(out, (short) 0);
            Util.setShort(buf, (short) 0, outLen);
            return 2;
        }
        case INS_SIGN: {
            Signature s = sig(p1);
            s.init(key(p2), Signature.MODE_SIGN);
            outLen = s.sign(buf, data, lc, out, (short) 0);
            Util.setShort(buf, (short) 0, outLen);
            return 2;
        }
        case INS_VERIFY: {
            Signature s = sig(p1);
            s.init(key(p2), Signature.MODE_VERIFY);
            short sigLen = Util.getShort(buf, data);
            buf[0] = s.verify(buf, (short) (data + 2), (short) (lc - 2), in, (short) 0, sigLen)
                    ? (byte) 1 : (byte) 0;
            return 1;
        }
        case INS_CIPHER: {
            Cipher c = cipher(p1);
            c.init(key(p2), buf[data]);
            outLen = c.doFinal(in, (short) 0, Util.getShort(buf, (short) (data + 1)), out, (short) 0);
            Util.setShort(buf, (short) 0, outLen);
            return 2;
        }
        case INS_ROUND_TRIP: {
            Cipher c = cipher(p1);
            short msgLen = (short) (lc - 1);
            c.init(key(p2), Cipher.MODE_ENCRYPT);
            short ctLen = c.doFinal(buf, (short) (data + 1), msgLen, in, (short) 0);
            c.init(key(buf[data]), Cipher.MODE_DECRYPT);
            outLen = c.doFinal(in, (short) 0, ctLen, out, (short) 0);
            boolean same = outLen == msgLen
                    && Util.arrayCompare(out, (short) 0, buf, (short) (data + 1), msgLen) == 0;
            Util.setShort(buf, (short) 0, ctLen);
            buf[2] = same ? (byte) 1 : (byte) 0;
            return 3;
        }
        case INS_GEN:
            return gen(buf, p1, lc);
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
        if (alg < 0 || alg >= sigs.length) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        if (sigs[alg] == null) {
            sigs[alg] = Signature.getInstance(alg, false);
        }
        return sigs[alg];
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

    private void setKey(Key k, byte what, short len) {
        if (k instanceof RSAPublicKey) {
            RSAPublicKey pub = (RSAPublicKey) k;
            if (what == 1) {
                pub.setModulus(in, (short) 0, len);
            } else {
                pub.setExponent(in, (short) 0, len);
            }
        } else if (k instanceof RSAPrivateCrtKey) {
            RSAPrivateCrtKey crt = (RSAPrivateCrtKey) k;
            switch (what) {
            case 3:
                crt.setP(in, (short) 0, len);
                break;
            case 4:
                crt.setQ(in, (short) 0, len);
                break;
            case 5:
                crt.setDP1(in, (short) 0, len);
                break;
            case 6:
                crt.setDQ1(in, (short) 0, len);
                break;
            case 7:
                crt.setPQ(in, (short) 0, len);
                break;
            default:
                ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
            }
        } else {
            RSAPrivateKey priv = (RSAPrivateKey) k;
            if (what == 1) {
                priv.setModulus(in, (short) 0, len);
            } else {
                priv.setExponent(in, (short) 0, len);
            }
        }
    }

    private short gen(byte[] buf, byte alg, short lc) {
        if (alg != KeyPair.ALG_RSA && alg != KeyPair.ALG_RSA_CRT) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        if (pairs[alg] == null) {
            pairs[alg] = new KeyPair(alg, KeyBuilder.LENGTH_RSA_1024);
        }
        KeyPair kp = pairs[alg];
        kp.genKeyPair();
        Signature s = sig(Signature.ALG_RSA_SHA_256_PKCS1);
        s.init(kp.getPrivate(), Signature.MODE_SIGN);
        short sigLen = s.sign(buf, ISO7816.OFFSET_CDATA, lc, out, (short) 0);
        s.init(kp.getPublic(), Signature.MODE_VERIFY);
        boolean ok = s.verify(buf, ISO7816.OFFSET_CDATA, lc, out, (short) 0, sigLen);
        RSAPublicKey pub = (RSAPublicKey) kp.getPublic();
        short modLen = pub.getModulus(out, (short) 0);
        short expLen = pub.getExponent(buf, (short) 4);
        buf[0] = ok ? (byte) 1 : (byte) 0;
        Util.setShort(buf, (short) 1, modLen);
        buf[3] = (byte) expLen;
        return (short) (4 + expLen);
    }
}
