package hydra.conformance.gputil;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.SystemException;
import javacard.framework.TransactionException;
import javacardx.framework.util.ArrayLogic;
import javacardx.framework.util.UtilException;
import javacardx.framework.util.intx.JCint;

/**
 * javacardx.framework.util.ArrayLogic and javacardx.framework.util.intx.JCint.
 * Command 80 10 P1 00 runs test P1 and answers its results; exceptions map
 * to status words: UtilException 6A4r, SystemException 6A6r,
 * TransactionException 6A5r (r: reason), ArrayIndexOutOfBoundsException
 * 6F01, NullPointerException 6F02.
 */
public class GpUtilApplet extends Applet {

    static final byte[] BYTES = {0x01, 0x02, (byte) 0x83, 0x04, 0x05, 0x06, 0x07, 0x08};

    private final short[] shorts = new short[4];
    private final short[] shorts2 = new short[4];
    private final int[] ints = new int[3];
    private final byte[] bytes = new byte[8];
    private final Object[] objects = new Object[2];
    private final short[] zero = new short[1];
    private int[] transientInts;

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new GpUtilApplet().register();
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_CLA] != (byte) 0x80 || buf[ISO7816.OFFSET_INS] != 0x10) {
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        short n;
        try {
            n = run(buf[ISO7816.OFFSET_P1], buf);
        } catch (UtilException e) {
            ISOException.throwIt((short) (0x6A40 + e.getReason()));
            return;
        } catch (SystemException e) {
            ISOException.throwIt((short) (0x6A60 + e.getReason()));
            return;
        } catch (TransactionException e) {
            ISOException.throwIt((short) (0x6A50 + e.getReason()));
            return;
        } catch (ArrayIndexOutOfBoundsException e) {
            ISOException.throwIt((short) 0x6F01);
            return;
        } catch (NullPointerException e) {
            ISOException.throwIt((short) 0x6F02);
            return;
        }
        apdu.setOutgoingAndSend((short) 0, n);
    }

    /** Clears the persistent arrays the tests write. */
    private void clear() {
        ArrayLogic.arrayFillGenericNonAtomic(shorts, (short) 0, (short) 4, zero, (short) 0);
        ArrayLogic.arrayFillGenericNonAtomic(shorts2, (short) 0, (short) 4, zero, (short) 0);
        for (short i = 0; i < 3; i++) {
            ints[i] = 0;
        }
    }

    private short run(byte test, byte[] buf) {
        clear();
        short r;
        switch (test) {
        case 0:
            // bytes -> shorts, then shorts -> bytes
            r = ArrayLogic.arrayCopyRepack(BYTES, (short) 0, (short) 8, shorts, (short) 0);
            buf[0] = (byte) (r >> 8);
            buf[1] = (byte) r;
            return ArrayLogic.arrayCopyRepackNonAtomic(shorts, (short) 0, (short) 4, buf, (short) 2);
        case 1:
            // bytes -> ints at offset 1, then ints -> bytes
            r = ArrayLogic.arrayCopyRepack(BYTES, (short) 0, (short) 8, ints, (short) 1);
            buf[0] = (byte) (r >> 8);
            buf[1] = (byte) r;
            return ArrayLogic.arrayCopyRepackNonAtomic(ints, (short) 0, (short) 3, buf, (short) 2);
        case 2:
            // three bytes do not make whole shorts
            return ArrayLogic.arrayCopyRepack(BYTES, (short) 0, (short) 3, shorts, (short) 0);
        case 3:
            // four shorts do not fit from offset 1
            return ArrayLogic.arrayCopyRepack(BYTES, (short) 0, (short) 8, shorts, (short) 1);
        case 4:
            return ArrayLogic.arrayCopyRepack(objects, (short) 0, (short) 1, shorts, (short) 0);
        case 5:
            return ArrayLogic.arrayCopyRepack(null, (short) 0, (short) 1, shorts, (short) 0);
        case 6: {
            // shorts -> ints
            short[] s = {(short) 0x1234, (short) 0xABCD, 0x0001, 0x0002};
            r = ArrayLogic.arrayCopyRepack(s, (short) 0, (short) 4, ints, (short) 0);
            buf[0] = (byte) (r >> 8);
            buf[1] = (byte) r;
            return ArrayLogic.arrayCopyRepackNonAtomic(ints, (short) 0, (short) 2, buf, (short) 2);
        }
        case 7: {
            short[] v = {(short) 0x1234};
            r = ArrayLogic.arrayFillGeneric(shorts, (short) 1, (short) 3, v, (short) 0);
            buf[0] = (byte) (r >> 8);
            buf[1] = (byte) r;
            return ArrayLogic.arrayCopyRepackNonAtomic(shorts, (short) 0, (short) 4, buf, (short) 2);
        }
        case 8:
            return ArrayLogic.arrayFillGeneric(shorts, (short) 0, (short) 1, BYTES, (short) 0);
        case 9:
            return ArrayLogic.arrayFillGeneric(shorts, (short) 0, (short) 1, zero, (short) 1);
        case 10: {
            short[] x = {1, 2, 3};
            short[] y = {1, 2, -1};
            int[] i1 = {0x7FFFFFFF};
            int[] i2 = {(int) 0x80000000};
            byte[] b1 = {(byte) 0x80};
            byte[] b2 = {0x01};
            buf[0] = ArrayLogic.arrayCompareGeneric(x, (short) 0, y, (short) 0, (short) 3);
            buf[1] = ArrayLogic.arrayCompareGeneric(y, (short) 0, x, (short) 0, (short) 3);
            buf[2] = ArrayLogic.arrayCompareGeneric(x, (short) 0, y, (short) 0, (short) 2);
            buf[3] = ArrayLogic.arrayCompareGeneric(i1, (short) 0, i2, (short) 0, (short) 1);
            buf[4] = ArrayLogic.arrayCompareGeneric(b1, (short) 0, b2, (short) 0, (short) 1);
            return 5;
        }
        case 11:
            return ArrayLogic.arrayCompareGeneric(shorts, (short) 0, BYTES, (short) 0, (short) 1);
        case 12: {
            int[] iv = {0x11223344, 0x55667788, 0x11223344};
            short[] sv = {0x0102, 0x0304};
            byte[] key = {0x55, 0x66, 0x77, (byte) 0x88, 0x11, 0x22, 0x33, 0x44, 0x03, 0x04, (byte) 0x99};
            short o = 0;
            o = put(buf, o, ArrayLogic.arrayFindGeneric(iv, (short) 0, key, (short) 0));
            o = put(buf, o, ArrayLogic.arrayFindGeneric(iv, (short) 1, key, (short) 4));
            o = put(buf, o, ArrayLogic.arrayFindGeneric(sv, (short) 0, key, (short) 8));
            o = put(buf, o, ArrayLogic.arrayFindGeneric(BYTES, (short) 0, key, (short) 10));
            o = put(buf, o, ArrayLogic.arrayFindGeneric(iv, (short) 3, key, (short) 0));
            // a byte array is searched for one byte (key[9] = 0x04)
            o = put(buf, o, ArrayLogic.arrayFindGeneric(BYTES, (short) 0, key, (short) 9));
            return o;
        }
        case 13: {
            int[] iv = {1, 2, 3};
            return ArrayLogic.arrayFindGeneric(iv, (short) 4, BYTES, (short) 0);
        }
        case 14: {
            short o = JCint.setInt(buf, (short) 0, JCint.makeInt((byte) 0x12, (byte) 0x34, (byte) 0x56, (byte) 0x78));
            o = JCint.setInt(buf, o, JCint.makeInt((short) 0xFFFF, (short) 0x0001));
            o = JCint.setInt(buf, o, JCint.getInt(buf, (short) 0) + 1);
            JCint.setInt(bytes, (short) 2, JCint.makeInt((short) 0x8000, (short) 0x7FFF));
            return JCint.setInt(buf, o, JCint.getInt(bytes, (short) 2));
        }
        case 15:
            return JCint.setInt(bytes, (short) 5, 0);
        case 16:
            transientInts = JCint.makeTransientIntArray((short) 3, JCSystem.CLEAR_ON_DESELECT);
            transientInts[1] = 0x01020304;
            buf[0] = JCSystem.isTransient(transientInts);
            return ArrayLogic.arrayCopyRepackNonAtomic(transientInts, (short) 0, (short) 3, buf, (short) 1);
        case 17:
            JCint.makeTransientIntArray((short) 1, (byte) 9);
            return 0;
        case 18: {
            // atomic copies and fills roll back with the transaction;
            // the non-atomic ones do not
            short[] v = {(short) 0x5A5A};
            JCSystem.beginTransaction();
            ArrayLogic.arrayCopyRepack(BYTES, (short) 0, (short) 4, shorts, (short) 0);
            ArrayLogic.arrayFillGeneric(shorts, (short) 2, (short) 2, v, (short) 0);
            ArrayLogic.arrayCopyRepackNonAtomic(BYTES, (short) 4, (short) 4, shorts2, (short) 0);
            ArrayLogic.arrayFillGenericNonAtomic(shorts2, (short) 2, (short) 2, v, (short) 0);
            JCSystem.abortTransaction();
            r = ArrayLogic.arrayCopyRepackNonAtomic(shorts, (short) 0, (short) 4, buf, (short) 0);
            return ArrayLogic.arrayCopyRepackNonAtomic(shorts2, (short) 0, (short) 4, buf, r);
        }
        case 19: {
            // overlapping copy within one array
            byte[] ov = {1, 2, 3, 4, 5, 6};
            r = ArrayLogic.arrayCopyRepack(ov, (short) 0, (short) 4, ov, (short) 2);
            buf[0] = (byte) r;
            return ArrayLogic.arrayCopyRepackNonAtomic(ov, (short) 0, (short) 6, buf, (short) 1);
        }
        case 20:
            // the persistent array of test 14 kept its int
            return ArrayLogic.arrayCopyRepackNonAtomic(bytes, (short) 0, (short) 8, buf, (short) 0);
        default:
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
            return 0;
        }
    }

    private static short put(byte[] buf, short o, short v) {
        buf[o] = (byte) (v >> 8);
        buf[(short) (o + 1)] = (byte) v;
        return (short) (o + 2);
    }
}
