package hydra.conformance.cryptodigest;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.Checksum;
import javacard.security.CryptoException;
import javacard.security.MessageDigest;
import javacard.security.RandomData;

/**
 * MessageDigest (SHA-1, SHA-224, SHA-256, SHA-384, SHA-512), Checksum
 * (ISO 3309 CRC16 and CRC32) and RandomData.
 * <p>
 * Conventions: CLA 80; P1 is the algorithm constant of the API class
 * (MessageDigest.ALG_*, Checksum.ALG_*, RandomData.ALG_*). The digest and
 * checksum objects are made once per algorithm, on first use, and kept, so
 * that their state carries over between commands. A CryptoException thrown
 * by the API becomes the status word 6F00 | reason (6F01 ILLEGAL_VALUE,
 * 6F02 UNINITIALIZED_KEY, 6F03 NO_SUCH_ALGORITHM, 6F04 INVALID_INIT,
 * 6F05 ILLEGAL_USE); an uncaught exception would give plain 6F00.
 */
public class DigestApplet extends Applet {

    static final byte CLA = (byte) 0x80;

    /** getInstance(P1, false) afresh: getAlgorithm, getLength. */
    static final byte INS_INFO = (byte) 0x10;
    /** update(data) on the kept object for P1. */
    static final byte INS_UPDATE = (byte) 0x20;
    /** doFinal(data): the digest. */
    static final byte INS_DOFINAL = (byte) 0x21;
    /** reset(). */
    static final byte INS_RESET = (byte) 0x22;
    /** update(data[0..P2]) then doFinal(data[P2..]): one message in two pieces. */
    static final byte INS_SPLIT = (byte) 0x23;
    /** update(data) P2 times: long messages without long commands. */
    static final byte INS_REPEAT = (byte) 0x24;
    /** getAlgorithm, getLength of the kept object. */
    static final byte INS_KEPT_INFO = (byte) 0x25;

    /** Checksum: P2 = 1 init(data[0..n]) first, n = 2 or 4; then doFinal(rest). */
    static final byte INS_CRC = (byte) 0x30;
    /** Checksum update(data), no doFinal. */
    static final byte INS_CRC_UPDATE = (byte) 0x31;

    /**
     * RandomData.getInstance(P1), then P2 = 0: generateData, P2 = 1:
     * setSeed(data) then generateData, P2 = 2: nextBytes. Two outputs of
     * 32 bytes each: answers getAlgorithm, 01 if they differ, 01 if neither
     * is all zero.
     */
    static final byte INS_RANDOM = (byte) 0x40;

    private final MessageDigest[] digests;
    private final Checksum[] checksums;
    private final byte[] scratch;

    private DigestApplet() {
        digests = new MessageDigest[8];
        checksums = new Checksum[3];
        scratch = JCSystem.makeTransientByteArray((short) 256, JCSystem.CLEAR_ON_DESELECT);
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new DigestApplet().register();
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
        short p2 = (short) (buf[ISO7816.OFFSET_P2] & 0xFF);
        short data = ISO7816.OFFSET_CDATA;
        switch (buf[ISO7816.OFFSET_INS]) {
        case INS_INFO: {
            MessageDigest md = MessageDigest.getInstance(p1, false);
            buf[0] = md.getAlgorithm();
            buf[1] = md.getLength();
            return 2;
        }
        case INS_KEPT_INFO: {
            MessageDigest md = digest(p1);
            buf[0] = md.getAlgorithm();
            buf[1] = md.getLength();
            return 2;
        }
        case INS_UPDATE:
            digest(p1).update(buf, data, lc);
            return 0;
        case INS_DOFINAL:
            // the input is still in the buffer where the digest goes: copy it out
            Util.arrayCopyNonAtomic(buf, data, scratch, (short) 0, lc);
            return digest(p1).doFinal(scratch, (short) 0, lc, buf, (short) 0);
        case INS_RESET:
            digest(p1).reset();
            return 0;
        case INS_SPLIT: {
            MessageDigest md = digest(p1);
            md.update(buf, data, p2);
            short rest = (short) (lc - p2);
            Util.arrayCopyNonAtomic(buf, (short) (data + p2), scratch, (short) 0, rest);
            return md.doFinal(scratch, (short) 0, rest, buf, (short) 0);
        }
        case INS_REPEAT: {
            MessageDigest md = digest(p1);
            for (short i = 0; i < p2; i++) {
                md.update(buf, data, lc);
            }
            return 0;
        }
        case INS_CRC: {
            Checksum crc = checksum(p1);
            short off = data;
            if (p2 == 1) {
                short n = p1 == Checksum.ALG_ISO3309_CRC16 ? (short) 2 : (short) 4;
                crc.init(buf, off, n);
                off += n;
                lc -= n;
            }
            Util.arrayCopyNonAtomic(buf, off, scratch, (short) 0, lc);
            short n = crc.doFinal(scratch, (short) 0, lc, buf, (short) 1);
            buf[0] = crc.getAlgorithm();
            return (short) (n + 1);
        }
        case INS_CRC_UPDATE:
            checksum(p1).update(buf, data, lc);
            return 0;
        case INS_RANDOM:
            return random(buf, p1, p2, lc);
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        return 0;
    }

    private MessageDigest digest(byte alg) {
        if (alg < 0 || alg >= digests.length) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        if (digests[alg] == null) {
            digests[alg] = MessageDigest.getInstance(alg, false);
        }
        return digests[alg];
    }

    private Checksum checksum(byte alg) {
        if (alg < 0 || alg >= checksums.length) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        if (checksums[alg] == null) {
            checksums[alg] = Checksum.getInstance(alg, false);
        }
        return checksums[alg];
    }

    private short random(byte[] buf, byte alg, short how, short lc) {
        RandomData rng = RandomData.getInstance(alg);
        if (how == 1) {
            rng.setSeed(buf, ISO7816.OFFSET_CDATA, lc);
        }
        if (how == 2) {
            short end = rng.nextBytes(scratch, (short) 8, (short) 32);
            if (end != 40) {
                ISOException.throwIt((short) 0x6F10);
            }
            rng.nextBytes(scratch, (short) 40, (short) 32);
        } else {
            rng.generateData(scratch, (short) 8, (short) 32);
            rng.generateData(scratch, (short) 40, (short) 32);
        }
        buf[0] = rng.getAlgorithm();
        buf[1] = Util.arrayCompare(scratch, (short) 8, scratch, (short) 40, (short) 32) != 0
                ? (byte) 1 : (byte) 0;
        // all-zero output would mean nothing was written at all
        Util.arrayFillNonAtomic(scratch, (short) 0, (short) 8, (byte) 0);
        byte nonzero = 1;
        for (short at = 8; at < 72; at += 32) {
            boolean zero = true;
            for (short i = 0; i < 32; i += 8) {
                if (Util.arrayCompare(scratch, (short) (at + i), scratch, (short) 0, (short) 8) != 0) {
                    zero = false;
                }
            }
            if (zero) {
                nonzero = 0;
            }
        }
        buf[2] = nonzero;
        return 3;
    }
}
