package hydra.conformance.cryptoec;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.CryptoException;
import javacard.security.ECKey;
import javacard.security.ECPrivateKey;
import javacard.security.ECPublicKey;
import javacard.security.KeyAgreement;
import javacard.security.KeyBuilder;
import javacard.security.KeyPair;
import javacard.security.Signature;

/**
 * Elliptic curves over secp256r1 (NIST P-256): keys set from the curve
 * parameters, a generated KeyPair, ECDSA with SHA-256 and EC Diffie-Hellman.
 * <p>
 * Conventions: CLA 80. Key slots (P1, or P2 of ECDH): 0 and 1 are key pairs
 * built with KeyBuilder (TYPE_EC_FP_PUBLIC / TYPE_EC_FP_PRIVATE,
 * LENGTH_EC_FP_256) whose W and S the script sets; 2 is
 * KeyPair(ALG_EC_FP, LENGTH_EC_FP_256). SET_PARAMS puts the P-256 domain
 * parameters (field, A, B, G, R, K) on both keys of a slot, as applets
 * must before using or generating them. A CryptoException becomes the status
 * word 6F00 | reason (6F01 ILLEGAL_VALUE, 6F02 UNINITIALIZED_KEY,
 * 6F03 NO_SUCH_ALGORITHM, 6F04 INVALID_INIT, 6F05 ILLEGAL_USE). Random
 * values (generated keys, ECDSA signatures) are checked on the card, which
 * answers fixed values.
 */
public class EcApplet extends Applet {

    static final byte CLA = (byte) 0x80;

    /** setFieldFP, setA, setB, setG, setR, setK on both keys of slot P1. */
    static final byte INS_SET_PARAMS = (byte) 0x10;
    /** setW(data) on the public key of slot P1. */
    static final byte INS_SET_W = (byte) 0x11;
    /** setS(data) on the private key of slot P1. */
    static final byte INS_SET_S = (byte) 0x12;
    /**
     * A value of slot P1, P2: 0 field, 1 A, 2 B, 3 G, 4 R (of the public
     * key), 5 K (2 bytes), 6 W, 7 S, 8 state: public isInitialized, private
     * isInitialized, public getSize (2 bytes), public getType, private
     * getType; 9 the same parameters 0-4 read from the private key,
     * concatenated lengths only (5 bytes).
     */
    static final byte INS_GET = (byte) 0x13;
    /** genKeyPair on slot 2: answers getW length and its first byte. */
    static final byte INS_GEN = (byte) 0x14;

    /** ECDSA_SHA_256 verify with slot P1. Data: signature length, DER signature, message. */
    static final byte INS_VERIFY = (byte) 0x20;
    /**
     * Sign data with the private key of slot P1, then verify it with the
     * public key: answers verify, 01 if the signature is DER
     * SEQUENCE { INTEGER r, INTEGER s } with minimal positive integers of at
     * most 33 bytes, verify of the message with its last byte changed.
     */
    static final byte INS_SIGN_CHECK = (byte) 0x21;

    /** KeyAgreement P1 (ALG_EC_SVDP_*) with the private key of slot P2; data: the other public point. */
    static final byte INS_ECDH = (byte) 0x30;
    /**
     * KeyAgreement P1 both ways between slots P2 and 2: answers 01 if the
     * two secrets are equal, and the secret length.
     */
    static final byte INS_ECDH_CROSS = (byte) 0x31;

    // secp256r1, SEC 2 version 2.0 section 2.4.2
    private static final byte[] P256_FIELD = {
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x01,
        (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00,
        (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
    };
    private static final byte[] P256_A = {
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x01,
        (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00,
        (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFC,
    };
    private static final byte[] P256_B = {
        (byte) 0x5A, (byte) 0xC6, (byte) 0x35, (byte) 0xD8, (byte) 0xAA, (byte) 0x3A, (byte) 0x93, (byte) 0xE7,
        (byte) 0xB3, (byte) 0xEB, (byte) 0xBD, (byte) 0x55, (byte) 0x76, (byte) 0x98, (byte) 0x86, (byte) 0xBC,
        (byte) 0x65, (byte) 0x1D, (byte) 0x06, (byte) 0xB0, (byte) 0xCC, (byte) 0x53, (byte) 0xB0, (byte) 0xF6,
        (byte) 0x3B, (byte) 0xCE, (byte) 0x3C, (byte) 0x3E, (byte) 0x27, (byte) 0xD2, (byte) 0x60, (byte) 0x4B,
    };
    private static final byte[] P256_G = {
        (byte) 0x04, (byte) 0x6B, (byte) 0x17, (byte) 0xD1, (byte) 0xF2, (byte) 0xE1, (byte) 0x2C, (byte) 0x42,
        (byte) 0x47, (byte) 0xF8, (byte) 0xBC, (byte) 0xE6, (byte) 0xE5, (byte) 0x63, (byte) 0xA4, (byte) 0x40,
        (byte) 0xF2, (byte) 0x77, (byte) 0x03, (byte) 0x7D, (byte) 0x81, (byte) 0x2D, (byte) 0xEB, (byte) 0x33,
        (byte) 0xA0, (byte) 0xF4, (byte) 0xA1, (byte) 0x39, (byte) 0x45, (byte) 0xD8, (byte) 0x98, (byte) 0xC2,
        (byte) 0x96, (byte) 0x4F, (byte) 0xE3, (byte) 0x42, (byte) 0xE2, (byte) 0xFE, (byte) 0x1A, (byte) 0x7F,
        (byte) 0x9B, (byte) 0x8E, (byte) 0xE7, (byte) 0xEB, (byte) 0x4A, (byte) 0x7C, (byte) 0x0F, (byte) 0x9E,
        (byte) 0x16, (byte) 0x2B, (byte) 0xCE, (byte) 0x33, (byte) 0x57, (byte) 0x6B, (byte) 0x31, (byte) 0x5E,
        (byte) 0xCE, (byte) 0xCB, (byte) 0xB6, (byte) 0x40, (byte) 0x68, (byte) 0x37, (byte) 0xBF, (byte) 0x51,
        (byte) 0xF5,
    };
    private static final byte[] P256_R = {
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0x00, (byte) 0x00, (byte) 0x00, (byte) 0x00,
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
        (byte) 0xBC, (byte) 0xE6, (byte) 0xFA, (byte) 0xAD, (byte) 0xA7, (byte) 0x17, (byte) 0x9E, (byte) 0x84,
        (byte) 0xF3, (byte) 0xB9, (byte) 0xCA, (byte) 0xC2, (byte) 0xFC, (byte) 0x63, (byte) 0x25, (byte) 0x51,
    };
    private final ECPublicKey[] pubs;
    private final ECPrivateKey[] privs;
    private final KeyPair pair;
    private final Signature ecdsa;
    private final KeyAgreement[] agreements;
    private final byte[] scratch;

    private EcApplet() {
        pubs = new ECPublicKey[3];
        privs = new ECPrivateKey[3];
        for (short i = 0; i < 2; i++) {
            pubs[i] = (ECPublicKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PUBLIC,
                    KeyBuilder.LENGTH_EC_FP_256, false);
            privs[i] = (ECPrivateKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PRIVATE,
                    KeyBuilder.LENGTH_EC_FP_256, false);
        }
        pair = new KeyPair(KeyPair.ALG_EC_FP, KeyBuilder.LENGTH_EC_FP_256);
        pubs[2] = (ECPublicKey) pair.getPublic();
        privs[2] = (ECPrivateKey) pair.getPrivate();
        ecdsa = Signature.getInstance(Signature.ALG_ECDSA_SHA_256, false);
        agreements = new KeyAgreement[8];
        scratch = JCSystem.makeTransientByteArray((short) 256, JCSystem.CLEAR_ON_DESELECT);
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new EcApplet().register();
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
        case INS_SET_PARAMS:
            slot(p1);
            setParams(pubs[p1]);
            setParams(privs[p1]);
            return 0;
        case INS_SET_W:
            slot(p1);
            pubs[p1].setW(buf, data, lc);
            return 0;
        case INS_SET_S:
            slot(p1);
            privs[p1].setS(buf, data, lc);
            return 0;
        case INS_GET:
            slot(p1);
            return get(buf, p1, p2);
        case INS_GEN:
            pair.genKeyPair();
            buf[0] = (byte) pubs[2].getW(scratch, (short) 0);
            buf[1] = scratch[0];
            return 2;
        case INS_VERIFY: {
            slot(p1);
            Util.arrayCopyNonAtomic(buf, data, scratch, (short) 0, lc);
            short sigLen = (short) (scratch[0] & 0xFF);
            short msg = (short) (1 + sigLen);
            ecdsa.init(pubs[p1], Signature.MODE_VERIFY);
            buf[0] = ecdsa.verify(scratch, msg, (short) (lc - msg), scratch, (short) 1, sigLen)
                    ? (byte) 1 : (byte) 0;
            return 1;
        }
        case INS_SIGN_CHECK:
            slot(p1);
            return signCheck(buf, p1, lc);
        case INS_ECDH:
            slot(p2);
            Util.arrayCopyNonAtomic(buf, data, scratch, (short) 0, lc);
            return agreement(p1, privs[p2]).generateSecret(scratch, (short) 0, lc, buf, (short) 0);
        case INS_ECDH_CROSS: {
            slot(p2);
            short wa = pubs[p2].getW(scratch, (short) 0);
            short wb = pubs[2].getW(scratch, (short) 80);
            KeyAgreement ka = agreement(p1, privs[2]);
            short la = ka.generateSecret(scratch, (short) 0, wa, scratch, (short) 160);
            ka = agreement(p1, privs[p2]);
            short lb = ka.generateSecret(scratch, (short) 80, wb, scratch, (short) 208);
            buf[0] = la == lb && Util.arrayCompare(scratch, (short) 160, scratch, (short) 208, la) == 0
                    ? (byte) 1 : (byte) 0;
            buf[1] = (byte) la;
            return 2;
        }
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        return 0;
    }

    private static void slot(byte slot) {
        if (slot < 0 || slot > 2) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
    }

    private static void setParams(ECKey k) {
        k.setFieldFP(P256_FIELD, (short) 0, (short) P256_FIELD.length);
        k.setA(P256_A, (short) 0, (short) P256_A.length);
        k.setB(P256_B, (short) 0, (short) P256_B.length);
        k.setG(P256_G, (short) 0, (short) P256_G.length);
        k.setR(P256_R, (short) 0, (short) P256_R.length);
        k.setK((short) 1);
    }

    private KeyAgreement agreement(byte alg, ECPrivateKey priv) {
        if (alg < 0 || alg >= agreements.length) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        if (agreements[alg] == null) {
            agreements[alg] = KeyAgreement.getInstance(alg, false);
        }
        agreements[alg].init(priv);
        return agreements[alg];
    }

    private short get(byte[] buf, byte slot, byte what) {
        ECPublicKey pub = pubs[slot];
        ECPrivateKey priv = privs[slot];
        switch (what) {
        case 0:
            return pub.getField(buf, (short) 0);
        case 1:
            return pub.getA(buf, (short) 0);
        case 2:
            return pub.getB(buf, (short) 0);
        case 3:
            return pub.getG(buf, (short) 0);
        case 4:
            return pub.getR(buf, (short) 0);
        case 5:
            Util.setShort(buf, (short) 0, pub.getK());
            return 2;
        case 6:
            return pub.getW(buf, (short) 0);
        case 7:
            return priv.getS(buf, (short) 0);
        case 8:
            buf[0] = pub.isInitialized() ? (byte) 1 : (byte) 0;
            buf[1] = priv.isInitialized() ? (byte) 1 : (byte) 0;
            Util.setShort(buf, (short) 2, pub.getSize());
            buf[4] = pub.getType();
            buf[5] = priv.getType();
            return 6;
        case 9:
            buf[0] = (byte) priv.getField(scratch, (short) 0);
            buf[1] = (byte) priv.getA(scratch, (short) 0);
            buf[2] = (byte) priv.getB(scratch, (short) 0);
            buf[3] = (byte) priv.getG(scratch, (short) 0);
            buf[4] = (byte) priv.getR(scratch, (short) 0);
            return 5;
        default:
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        return 0;
    }

    private short signCheck(byte[] buf, byte slot, short lc) {
        // message at scratch[0..lc], signature at scratch[lc..]
        Util.arrayCopyNonAtomic(buf, ISO7816.OFFSET_CDATA, scratch, (short) 0, lc);
        ecdsa.init(privs[slot], Signature.MODE_SIGN);
        short sigLen = ecdsa.sign(scratch, (short) 0, lc, scratch, lc);
        ecdsa.init(pubs[slot], Signature.MODE_VERIFY);
        buf[0] = ecdsa.verify(scratch, (short) 0, lc, scratch, lc, sigLen) ? (byte) 1 : (byte) 0;
        buf[1] = derShape(scratch, lc, sigLen) ? (byte) 1 : (byte) 0;
        scratch[(short) (lc - 1)] ^= 0x01;
        buf[2] = ecdsa.verify(scratch, (short) 0, lc, scratch, lc, sigLen) ? (byte) 1 : (byte) 0;
        return 3;
    }

    /** SEQUENCE { INTEGER, INTEGER } filling the signature exactly. */
    private static boolean derShape(byte[] b, short off, short len) {
        if (len < 8 || len > 72 || b[off] != 0x30 || b[(short) (off + 1)] != (byte) (len - 2)) {
            return false;
        }
        short at = (short) (off + 2);
        short end = (short) (off + len);
        for (short i = 0; i < 2; i++) {
            if ((short) (at + 2) > end || b[at] != 0x02) {
                return false;
            }
            short n = b[(short) (at + 1)];
            at += 2;
            if (n < 1 || n > 33 || (short) (at + n) > end) {
                return false;
            }
            if (b[at] < 0) {
                return false; // negative
            }
            if (n > 1 && b[at] == 0 && b[(short) (at + 1)] >= 0) {
                return false; // not minimal
            }
            at += n;
        }
        return at == end;
    }
}
