package hydra.conformance.txn;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.TransactionException;
import javacard.framework.Util;

/**
 * Transactions: commit, abort, what abort rolls back (persistent fields and
 * arrays, Util.arrayCopy) and what it does not (transient arrays,
 * Util.arrayFillNonAtomic), nesting, and the transaction the runtime aborts
 * when process() ends with one open.
 */
public class TxnApplet extends Applet {

    static final byte CLA = (byte) 0x80;

    static final byte INS_STATE = (byte) 0x70;
    static final byte INS_COMMIT = (byte) 0x71;
    static final byte INS_ABORT = (byte) 0x72;
    static final byte INS_MISUSE = (byte) 0x73;

    private short balance;
    private final byte[] data;
    private final byte[] tdata;
    private final byte[] nonAtomic;
    private final byte[] source;

    private TxnApplet() {
        data = new byte[4];
        tdata = JCSystem.makeTransientByteArray((short) 4, JCSystem.CLEAR_ON_RESET);
        nonAtomic = new byte[2];
        source = new byte[] { 0x11, 0x22 };
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new TxnApplet().register();
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_CLA] != CLA) {
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        byte p1 = buf[ISO7816.OFFSET_P1];
        byte inside;
        switch (buf[ISO7816.OFFSET_INS]) {
        case INS_STATE:
            inside = JCSystem.getTransactionDepth();
            break;
        case INS_COMMIT:
            inside = commit(p1);
            break;
        case INS_ABORT:
            inside = abort(p1);
            break;
        case INS_MISUSE:
            misuse(p1);
            return;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
            return;
        }
        buf[0] = inside;
        apdu.setOutgoingAndSend((short) 0, state(buf, (short) 1));
    }

    // depth now, max commit capacity > 0, balance, data, tdata, nonAtomic.
    private short state(byte[] buf, short o) {
        buf[o++] = JCSystem.getTransactionDepth();
        buf[o++] = JCSystem.getMaxCommitCapacity() > 0 ? (byte) 1 : (byte) 0;
        o = Util.setShort(buf, o, balance);
        o = Util.arrayCopyNonAtomic(data, (short) 0, buf, o, (short) 4);
        o = Util.arrayCopyNonAtomic(tdata, (short) 0, buf, o, (short) 4);
        return Util.arrayCopyNonAtomic(nonAtomic, (short) 0, buf, o, (short) 2);
    }

    // Returns the depth seen inside the transaction.
    private byte commit(byte v) {
        JCSystem.beginTransaction();
        balance += v;
        data[0] = v;
        tdata[0] = v;
        byte depth = JCSystem.getTransactionDepth();
        JCSystem.commitTransaction();
        return depth;
    }

    private byte abort(byte v) {
        JCSystem.beginTransaction();
        balance += v;
        data[1] = v;
        tdata[1] = v;
        Util.arrayCopy(source, (short) 0, data, (short) 2, (short) 2);
        Util.arrayFillNonAtomic(nonAtomic, (short) 0, (short) 2, v);
        byte depth = JCSystem.getTransactionDepth();
        JCSystem.abortTransaction();
        return depth;
    }

    // P1: 0 nested begin, 1 commit without begin, 2 abort without begin:
    // the TransactionException's reason is sent as status word 64xx.
    // 3: an uncaught exception with a transaction open (the runtime aborts it).
    // 4: process() returns normally with a transaction open (aborted too).
    private void misuse(byte p1) {
        try {
            switch (p1) {
            case 0:
                JCSystem.beginTransaction();
                balance += 100;
                JCSystem.beginTransaction();
                break;
            case 1:
                JCSystem.commitTransaction();
                break;
            case 2:
                JCSystem.abortTransaction();
                break;
            case 3:
                JCSystem.beginTransaction();
                balance += 100;
                ISOException.throwIt((short) 0x6A81);
                break;
            case 4:
                JCSystem.beginTransaction();
                balance += 100;
                break;
            default:
                ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
            }
        } catch (TransactionException e) {
            ISOException.throwIt((short) (0x6400 | e.getReason()));
        }
    }
}
