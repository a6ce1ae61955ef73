package hydra.conformance.cryptoaead;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.SystemException;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.CryptoException;
import javacard.security.HMACKey;
import javacard.security.InitializedMessageDigest;
import javacard.security.KeyBuilder;
import javacard.security.MessageDigest;
import javacard.security.RSAPrivateCrtKey;
import javacard.security.RSAPublicKey;
import javacard.security.RandomData;
import javacard.security.Signature;
import javacardx.crypto.AEADCipher;
import javacardx.crypto.Cipher;

/**
 * The crypto API of JC 3.0.5 beyond the classic engines:
 * InitializedMessageDigest, the OneShot classes, AEADCipher (AES-GCM and
 * AES-CCM) and RSA signatures with PSS and the longer SHA-2 digests.
 * <p>
 * Conventions: CLA 80. A CryptoException becomes 6F00 | reason, a
 * SystemException 6900 | reason, a SecurityException 6982. STAGE writes
 * the command data at offset P1P2 of a 512-byte input area; READ answers
 * 64 bytes of the 512-byte output area from offset P1P2.
 */
public class AeadApplet extends Applet {

    static final byte CLA = (byte) 0x80;

    static final byte INS_STAGE = (byte) 0x01;
    static final byte INS_READ = (byte) 0x02;

    /**
     * InitializedMessageDigest of algorithm P1, kept: setInitialDigest(the
     * first P2 data bytes, the next 8 bytes as the count), then doFinal of
     * the rest. Answers the digest.
     */
    static final byte INS_RESUME = (byte) 0x10;
    /** doFinal(data) on the kept InitializedMessageDigest of P1 (no setInitialDigest). */
    static final byte INS_PLAIN = (byte) 0x11;
    /** As RESUME, with update(first P2 bytes of the rest) before doFinal; data: stateLen, state, count(8), split, message. */
    static final byte INS_RESUME_SPLIT = (byte) 0x12;
    /** getInitializedMessageDigestInstance(P1): getAlgorithm, getLength. */
    static final byte INS_IMD_INFO = (byte) 0x13;

    /** MessageDigest.OneShot.open(P1), doFinal(data), close. */
    static final byte INS_OS_DIGEST = (byte) 0x20;
    /**
     * MessageDigest.OneShot misuse, P1: 1 doFinal after close; 2 update;
     * 3 open twice; 4 open and keep it open (the JCRE closes it); 5 store
     * it in a field; 6 store it in an array; 7 close twice, then open again.
     */
    static final byte INS_OS_MISUSE = (byte) 0x21;
    /** InitializedMessageDigest.OneShot.open(P1), then as RESUME. */
    static final byte INS_OS_RESUME = (byte) 0x22;
    /** RandomData.OneShot.open(P1): getAlgorithm, 01 if two 16-byte outputs differ. */
    static final byte INS_OS_RANDOM = (byte) 0x23;
    /**
     * Signature.OneShot.open(P1 digest, P2 cipher, PAD_NULL) with the HMAC
     * key (P2 = SIG_CIPHER_HMAC) or the AES key (SIG_CIPHER_AES_CMAC128):
     * sign(data), then verify it; answers the MAC and 01.
     */
    static final byte INS_OS_SIGN = (byte) 0x24;
    /** Cipher.OneShot.open(P1 cipher, P2 padding), init(AES key, encrypt, IV = first 16 data bytes), doFinal(rest). */
    static final byte INS_OS_CIPHER = (byte) 0x25;

    /** AES key of the data's length (16, 24, 32). */
    static final byte INS_AES_KEY = (byte) 0x30;
    /** HMAC key: the data. */
    static final byte INS_HMAC_KEY = (byte) 0x31;

    /**
     * AEAD encryption, P1 1 GCM, 2 CCM, P2 the tag length; data: nonce
     * length, nonce, AAD length, AAD, message. 8-argument init, updateAAD
     * in two pieces, update of the first half of the message, doFinal of
     * the rest, retrieveTag. Answers ciphertext and tag.
     */
    static final byte INS_SEAL = (byte) 0x40;
    /**
     * AEAD decryption, as SEAL; data: nonce length, nonce, AAD length,
     * AAD, tag length, tag, ciphertext. Answers the plaintext and
     * verifyTag(tag, P2).
     */
    static final byte INS_OPEN = (byte) 0x41;
    /** AEAD misuse, P1 (see aeadMisuse). */
    static final byte INS_AEAD_MISUSE = (byte) 0x42;
    /** GCM with the 5-argument init: data nonce(12), message; answers ciphertext and the 16-byte tag. */
    static final byte INS_GCM5 = (byte) 0x43;

    /** RSA-1024 component P1 from the input area (1 modulus, 2 public exponent, 3 P, 4 Q, 5 DP1, 6 DQ1, 7 PQ); data: its length. */
    static final byte INS_RSA_SET = (byte) 0x50;
    /** Signature.getInstance(P1) signs data with the CRT key into the output area: the length. */
    static final byte INS_RSA_SIGN = (byte) 0x51;
    /** Verify with the public key; data: signature length (2), message; the signature is in the input area. */
    static final byte INS_RSA_VERIFY = (byte) 0x52;
    /** Sign data, then verify it on the card: 01 and the length. */
    static final byte INS_RSA_ROUND = (byte) 0x53;
    /** verifyPreComputedHash with the public key; data: signature length (2), hash; the signature is in the input area. */
    static final byte INS_RSA_VERIFY_HASH = (byte) 0x54;
    /** signPreComputedHash(data), then verifyPreComputedHash of it on the card: 01 and the length. */
    static final byte INS_RSA_ROUND_HASH = (byte) 0x55;
    /**
     * Signature.getInstance(P1) with the CRT key, setInitialDigest(state,
     * count), sign(rest) into the output area: the length. Data: state
     * length, state, count (8), rest.
     */
    static final byte INS_RSA_SIGN_RESUMED = (byte) 0x56;

    private final byte[] in;
    private final byte[] out;
    private final byte[] scratch;
    private final InitializedMessageDigest[] imds;
    private final AESKey[] aes;
    private final HMACKey hmac;
    private final RSAPublicKey rsaPub;
    private final RSAPrivateCrtKey rsaCrt;
    private final Cipher gcm;
    private final Cipher ccm;
    private final AESKey unset;
    /** Where a OneShot must not be stored. */
    private Object holder;
    private final Object[] holders;

    private AeadApplet() {
        in = new byte[512];
        out = new byte[512];
        scratch = JCSystem.makeTransientByteArray((short) 256, JCSystem.CLEAR_ON_DESELECT);
        imds = new InitializedMessageDigest[8];
        aes = new AESKey[3];
        aes[0] = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        aes[1] = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_192, false);
        aes[2] = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_256, false);
        unset = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        hmac = (HMACKey) KeyBuilder.buildKey(KeyBuilder.TYPE_HMAC, KeyBuilder.LENGTH_HMAC_SHA_256_BLOCK_64, false);
        rsaPub = (RSAPublicKey) KeyBuilder.buildKey(KeyBuilder.TYPE_RSA_PUBLIC, KeyBuilder.LENGTH_RSA_1024, false);
        rsaCrt = (RSAPrivateCrtKey) KeyBuilder.buildKey(KeyBuilder.TYPE_RSA_CRT_PRIVATE, KeyBuilder.LENGTH_RSA_1024, false);
        gcm = Cipher.getInstance(AEADCipher.ALG_AES_GCM, false);
        ccm = Cipher.getInstance(AEADCipher.ALG_AES_CCM, false);
        holders = new Object[1];
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new AeadApplet().register();
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
        short len = 0;
        try {
            // the command data, out of the buffer the answer goes to
            Util.arrayCopyNonAtomic(buf, ISO7816.OFFSET_CDATA, scratch, (short) 0, lc);
            len = dispatch(buf, lc);
        } catch (CryptoException e) {
            ISOException.throwIt((short) (0x6F00 | e.getReason()));
        } catch (SystemException e) {
            ISOException.throwIt((short) (0x6900 | e.getReason()));
        } catch (SecurityException e) {
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        apdu.setOutgoingAndSend((short) 0, len);
    }

    private short dispatch(byte[] buf, short lc) {
        byte p1 = buf[ISO7816.OFFSET_P1];
        byte p2 = buf[ISO7816.OFFSET_P2];
        short at = Util.getShort(buf, ISO7816.OFFSET_P1);
        byte[] d = scratch;
        switch (buf[ISO7816.OFFSET_INS]) {
        case INS_STAGE:
            Util.arrayCopyNonAtomic(d, (short) 0, in, at, lc);
            return 0;
        case INS_READ:
            Util.arrayCopyNonAtomic(out, at, buf, (short) 0, (short) 64);
            return 64;
        case INS_RESUME: {
            InitializedMessageDigest md = imd(p1);
            md.setInitialDigest(d, (short) 0, p2, d, p2, (short) 8);
            short m = (short) (p2 + 8);
            return md.doFinal(d, m, (short) (lc - m), buf, (short) 0);
        }
        case INS_PLAIN:
            return imd(p1).doFinal(d, (short) 0, lc, buf, (short) 0);
        case INS_RESUME_SPLIT: {
            InitializedMessageDigest md = imd(p1);
            short sl = d[0];
            md.setInitialDigest(d, (short) 1, sl, d, (short) (1 + sl), (short) 8);
            short m = (short) (1 + sl + 8);
            short split = d[m];
            m++;
            md.update(d, m, split);
            m += split;
            return md.doFinal(d, m, (short) (lc - m), buf, (short) 0);
        }
        case INS_IMD_INFO: {
            InitializedMessageDigest md = MessageDigest.getInitializedMessageDigestInstance(p1, false);
            buf[0] = md.getAlgorithm();
            buf[1] = md.getLength();
            return 2;
        }
        case INS_OS_DIGEST: {
            MessageDigest.OneShot md = MessageDigest.OneShot.open(p1);
            try {
                buf[0] = md.getAlgorithm();
                buf[1] = md.getLength();
                return (short) (2 + md.doFinal(d, (short) 0, lc, buf, (short) 2));
            } finally {
                md.close();
            }
        }
        case INS_OS_MISUSE:
            return oneShotMisuse(buf, p1, d, lc);
        case INS_OS_RESUME: {
            InitializedMessageDigest.OneShot md = InitializedMessageDigest.OneShot.open(p1);
            try {
                md.setInitialDigest(d, (short) 0, p2, d, p2, (short) 8);
                short m = (short) (p2 + 8);
                return md.doFinal(d, m, (short) (lc - m), buf, (short) 0);
            } finally {
                md.close();
            }
        }
        case INS_OS_RANDOM: {
            RandomData.OneShot rng = RandomData.OneShot.open(p1);
            try {
                rng.nextBytes(out, (short) 0, (short) 16);
                rng.nextBytes(out, (short) 16, (short) 16);
                buf[0] = rng.getAlgorithm();
                buf[1] = Util.arrayCompare(out, (short) 0, out, (short) 16, (short) 16) != 0
                        ? (byte) 1 : (byte) 0;
                return 2;
            } finally {
                rng.close();
            }
        }
        case INS_OS_SIGN: {
            Signature.OneShot sig = Signature.OneShot.open(p1, p2, Cipher.PAD_NULL);
            try {
                if (p2 == Signature.SIG_CIPHER_HMAC) {
                    sig.init(hmac, Signature.MODE_SIGN);
                } else {
                    sig.init(aes[0], Signature.MODE_SIGN);
                }
                short n = sig.sign(d, (short) 0, lc, buf, (short) 0);
                if (p2 == Signature.SIG_CIPHER_HMAC) {
                    sig.init(hmac, Signature.MODE_VERIFY);
                } else {
                    sig.init(aes[0], Signature.MODE_VERIFY);
                }
                buf[n] = sig.verify(d, (short) 0, lc, buf, (short) 0, n) ? (byte) 1 : (byte) 0;
                return (short) (n + 1);
            } finally {
                sig.close();
            }
        }
        case INS_OS_CIPHER: {
            Cipher.OneShot c = Cipher.OneShot.open(p1, p2);
            try {
                c.init(aes[0], Cipher.MODE_ENCRYPT, d, (short) 0, (short) 16);
                return c.doFinal(d, (short) 16, (short) (lc - 16), buf, (short) 0);
            } finally {
                c.close();
            }
        }
        case INS_AES_KEY:
            keySlot = (short) (lc / 8 - 2);
            aes[keySlot].setKey(d, (short) 0);
            return 0;
        case INS_HMAC_KEY:
            hmac.setKey(d, (short) 0, lc);
            return 0;
        case INS_SEAL:
            return seal(buf, p1 == 1 ? gcm : ccm, p2, d, lc);
        case INS_OPEN:
            return open(buf, p1 == 1 ? gcm : ccm, p2, d, lc);
        case INS_AEAD_MISUSE:
            return aeadMisuse(buf, p1, d);
        case INS_GCM5: {
            AEADCipher c = (AEADCipher) gcm;
            c.init(aes[0], Cipher.MODE_ENCRYPT, d, (short) 0, (short) 12);
            short n = c.doFinal(d, (short) 12, (short) (lc - 12), buf, (short) 0);
            return (short) (n + c.retrieveTag(buf, n, (short) 16));
        }
        case INS_RSA_SET:
            return rsaSet(p1, Util.getShort(d, (short) 0));
        case INS_RSA_SIGN: {
            Signature s = Signature.getInstance(p1, false);
            s.init(rsaCrt, Signature.MODE_SIGN);
            Util.setShort(buf, (short) 0, s.sign(d, (short) 0, lc, out, (short) 0));
            return 2;
        }
        case INS_RSA_VERIFY: {
            Signature s = Signature.getInstance(p1, false);
            s.init(rsaPub, Signature.MODE_VERIFY);
            short sl = Util.getShort(d, (short) 0);
            buf[0] = s.verify(d, (short) 2, (short) (lc - 2), in, (short) 0, sl) ? (byte) 1 : (byte) 0;
            return 1;
        }
        case INS_RSA_ROUND: {
            Signature s = Signature.getInstance(p1, false);
            s.init(rsaCrt, Signature.MODE_SIGN);
            short sl = s.sign(d, (short) 0, lc, out, (short) 0);
            s.init(rsaPub, Signature.MODE_VERIFY);
            buf[0] = s.verify(d, (short) 0, lc, out, (short) 0, sl) ? (byte) 1 : (byte) 0;
            Util.setShort(buf, (short) 1, sl);
            return 3;
        }
        case INS_RSA_VERIFY_HASH: {
            Signature s = Signature.getInstance(p1, false);
            s.init(rsaPub, Signature.MODE_VERIFY);
            short sl = Util.getShort(d, (short) 0);
            buf[0] = s.verifyPreComputedHash(d, (short) 2, (short) (lc - 2), in, (short) 0, sl)
                    ? (byte) 1 : (byte) 0;
            return 1;
        }
        case INS_RSA_ROUND_HASH: {
            Signature s = Signature.getInstance(p1, false);
            s.init(rsaCrt, Signature.MODE_SIGN);
            short sl = s.signPreComputedHash(d, (short) 0, lc, out, (short) 0);
            s.init(rsaPub, Signature.MODE_VERIFY);
            buf[0] = s.verifyPreComputedHash(d, (short) 0, lc, out, (short) 0, sl) ? (byte) 1 : (byte) 0;
            Util.setShort(buf, (short) 1, sl);
            return 3;
        }
        case INS_RSA_SIGN_RESUMED: {
            Signature s = Signature.getInstance(p1, false);
            s.init(rsaCrt, Signature.MODE_SIGN);
            short sl = d[0];
            s.setInitialDigest(d, (short) 1, sl, d, (short) (1 + sl), (short) 8);
            short m = (short) (1 + sl + 8);
            Util.setShort(buf, (short) 0, s.sign(d, m, (short) (lc - m), out, (short) 0));
            return 2;
        }
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        return 0;
    }

    private InitializedMessageDigest imd(byte alg) {
        if (alg < 0 || alg >= imds.length) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        if (imds[alg] == null) {
            imds[alg] = MessageDigest.getInitializedMessageDigestInstance(alg, false);
        }
        return imds[alg];
    }

    private short oneShotMisuse(byte[] buf, byte how, byte[] d, short lc) {
        MessageDigest.OneShot md = MessageDigest.OneShot.open(MessageDigest.ALG_SHA_256);
        if (how == 4) {
            // left open: the JCRE closes it when process returns
            return 0;
        }
        try {
            switch (how) {
            case 1:
                md.close();
                return md.doFinal(d, (short) 0, lc, buf, (short) 0);
            case 2:
                md.update(d, (short) 0, lc);
                return 0;
            case 3:
                MessageDigest.OneShot.open(MessageDigest.ALG_SHA_256);
                return 0;
            case 5:
                holder = md;
                return 0;
            case 6:
                holders[0] = md;
                return 0;
            case 7: {
                md.close();
                md.close();
                MessageDigest.OneShot again = MessageDigest.OneShot.open(MessageDigest.ALG_SHA);
                try {
                    return again.doFinal(d, (short) 0, lc, buf, (short) 0);
                } finally {
                    again.close();
                }
            }
            default:
                ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
            }
        } finally {
            md.close();
        }
        return 0;
    }

    /** data: nonce length, nonce, AAD length, AAD, message. */
    private short seal(byte[] buf, Cipher c, byte tagLen, byte[] d, short lc) {
        AEADCipher a = (AEADCipher) c;
        short nl = d[0];
        short al = d[(short) (1 + nl)];
        short aad = (short) (2 + nl);
        short msg = (short) (aad + al);
        short ml = (short) (lc - msg);
        a.init(aes[keySlot], Cipher.MODE_ENCRYPT, d, (short) 1, nl, al, ml, tagLen);
        short half = (short) (al / 2);
        a.updateAAD(d, aad, half);
        a.updateAAD(d, (short) (aad + half), (short) (al - half));
        short mh = (short) (ml / 2);
        short n = a.update(d, msg, mh, buf, (short) 0);
        n += a.doFinal(d, (short) (msg + mh), (short) (ml - mh), buf, n);
        return (short) (n + a.retrieveTag(buf, n, tagLen));
    }

    /** data: nonce length, nonce, AAD length, AAD, tag length, tag, ciphertext. */
    private short open(byte[] buf, Cipher c, byte required, byte[] d, short lc) {
        AEADCipher a = (AEADCipher) c;
        short nl = d[0];
        short al = d[(short) (1 + nl)];
        short aad = (short) (2 + nl);
        short tl = d[(short) (aad + al)];
        short tag = (short) (aad + al + 1);
        short msg = (short) (tag + tl);
        short ml = (short) (lc - msg);
        a.init(aes[keySlot], Cipher.MODE_DECRYPT, d, (short) 1, nl, al, ml,
                c == ccm ? tl : (short) 16);
        a.updateAAD(d, aad, al);
        short n = a.update(d, msg, (short) 1, buf, (short) 0);
        n += a.doFinal(d, (short) (msg + 1), (short) (ml - 1), buf, n);
        buf[n] = a.verifyTag(d, tag, tl, required) ? (byte) 1 : (byte) 0;
        return (short) (n + 1);
    }

    /** The AES key SEAL and OPEN use: the one AES_KEY set last. */
    private short keySlot;

    private short aeadMisuse(byte[] buf, byte how, byte[] d) {
        AEADCipher g = (AEADCipher) gcm;
        switch (how) {
        case 1:
            // AAD after the message
            g.init(aes[0], Cipher.MODE_ENCRYPT, d, (short) 0, (short) 12);
            g.update(d, (short) 0, (short) 4, buf, (short) 0);
            g.updateAAD(d, (short) 0, (short) 4);
            return 0;
        case 2:
            // a tag before doFinal
            g.init(aes[0], Cipher.MODE_ENCRYPT, d, (short) 0, (short) 12);
            return g.retrieveTag(buf, (short) 0, (short) 16);
        case 3:
            g.init(unset, Cipher.MODE_ENCRYPT, d, (short) 0, (short) 12);
            return 0;
        case 4:
            // GCM takes 12-byte nonces only
            g.init(aes[0], Cipher.MODE_ENCRYPT, d, (short) 0, (short) 8);
            return 0;
        case 5:
            // verifyTag after an encryption
            g.init(aes[0], Cipher.MODE_ENCRYPT, d, (short) 0, (short) 12);
            g.doFinal(d, (short) 0, (short) 16, buf, (short) 0);
            buf[0] = g.verifyTag(d, (short) 0, (short) 16, (short) 16) ? (byte) 1 : (byte) 0;
            return 1;
        case 6:
            // no nonce
            g.init(aes[0], Cipher.MODE_ENCRYPT);
            return 0;
        case 7:
            buf[0] = gcm.getAlgorithm();
            buf[1] = gcm.getCipherAlgorithm();
            buf[2] = gcm.getPaddingAlgorithm();
            buf[3] = ccm.getAlgorithm();
            buf[4] = ccm.getCipherAlgorithm();
            buf[5] = ccm.getPaddingAlgorithm();
            return 6;
        case 8: {
            Cipher c = Cipher.getInstance(AEADCipher.CIPHER_AES_CCM, Cipher.PAD_NULL, false);
            buf[0] = c.getAlgorithm();
            buf[1] = c instanceof AEADCipher ? (byte) 1 : (byte) 0;
            return 2;
        }
        case 9: {
            // CCM: the message is longer than init said
            AEADCipher c = (AEADCipher) ccm;
            c.init(aes[0], Cipher.MODE_ENCRYPT, d, (short) 0, (short) 13, (short) 0, (short) 4, (short) 8);
            return c.doFinal(d, (short) 0, (short) 5, buf, (short) 0);
        }
        case 10:
            // CCM: an odd tag length
            ((AEADCipher) ccm).init(aes[0], Cipher.MODE_ENCRYPT, d, (short) 0, (short) 13, (short) 0, (short) 4, (short) 5);
            return 0;
        case 11:
            // doFinal before init on a fresh object
            return Cipher.getInstance(AEADCipher.ALG_AES_GCM, false).doFinal(d, (short) 0, (short) 4, buf, (short) 0);
        case 12:
            // a Cipher.OneShot has no AEAD
            Cipher.OneShot.open(AEADCipher.CIPHER_AES_GCM, Cipher.PAD_NULL).close();
            return 0;
        default:
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        return 0;
    }

    private short rsaSet(byte what, short len) {
        switch (what) {
        case 1:
            rsaPub.setModulus(in, (short) 0, len);
            break;
        case 2:
            rsaPub.setExponent(in, (short) 0, len);
            break;
        case 3:
            rsaCrt.setP(in, (short) 0, len);
            break;
        case 4:
            rsaCrt.setQ(in, (short) 0, len);
            break;
        case 5:
            rsaCrt.setDP1(in, (short) 0, len);
            break;
        case 6:
            rsaCrt.setDQ1(in, (short) 0, len);
            break;
        case 7:
            rsaCrt.setPQ(in, (short) 0, len);
            break;
        default:
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        return 0;
    }
}
