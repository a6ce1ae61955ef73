package hydra.conformance.fwattack;

import hydra.conformance.fwlib.Leak;
import hydra.conformance.fwlib.Vault;
import javacard.framework.AID;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.SystemException;
import javacard.framework.TransactionException;
import javacard.framework.Util;

/**
 * Firewall attacks on hydra.conformance.fwvictim from another package,
 * through references it left in hydra.conformance.fwlib or shared. Each
 * command tries one; the answer is 5E when it threw SecurityException, the
 * bytes it got when it got through, or another marker for anything else.
 */
public class AttackApplet extends Applet {

    static final byte[] VICTIM_AID = {
        (byte) 0xF0, 0x48, 0x59, 0x44, 0x52, 0x41, 0x15, 0x01 };

    static final byte BLOCKED = 0x5E;
    static final byte NULL = 0x4E;
    static final byte OTHER = 0x33;

    /** Where the attacks try to keep what they must not keep. */
    private byte[] savedBuffer;
    private Object savedObject;
    private static byte[] savedStatic;
    private final Object[] mine = new Object[1];

    private AttackApplet() {
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new AttackApplet().register();
    }

    private static Vault vault() {
        AID victim = JCSystem.lookupAID(VICTIM_AID, (short) 0, (byte) VICTIM_AID.length);
        return (Vault) JCSystem.getAppletShareableInterfaceObject(victim, (byte) 0);
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        short len = 1;
        try {
            switch (buf[ISO7816.OFFSET_INS]) {
            case 0x20: // read an array leaked through a library's static field
                buf[0] = Leak.array[0];
                break;
            case 0x21: // write it
                Leak.array[0] = 0;
                buf[0] = 0;
                break;
            case 0x22: // its length
                buf[0] = (byte) Leak.array.length;
                break;
            case 0x23: // an array leaked through the Shareable interface
                buf[0] = vault().secret()[0];
                break;
            case 0x24: // the legitimate service, with the global APDU buffer
                len = vault().peek(buf);
                break;
            case 0x25: // the service with an array of the attacker's own
                {
                    byte[] own = new byte[1];
                    vault().peek(own);
                    buf[0] = own[0];
                }
                break;
            case 0x26: // the API copying out of the victim's array
                Util.arrayCopyNonAtomic(Leak.array, (short) 0, buf, (short) 0, (short) 3);
                len = 3;
                break;
            case 0x27: // the API filling it
                Util.arrayFillNonAtomic(Leak.array, (short) 0, (short) 3, (byte) 0);
                buf[0] = 0;
                break;
            case 0x28: // a CLEAR_ON_DESELECT transient array of the victim
                buf[0] = Leak.scratch[0];
                break;
            case 0x29: // a field of a victim's object that is not Shareable
                buf[0] = (byte) Leak.target.counter;
                break;
            case 0x2A: // a method of it
                buf[0] = (byte) Leak.target.bump();
                break;
            case 0x2B: // the APDU buffer kept in an instance field
                savedBuffer = buf;
                buf[0] = 0;
                break;
            case 0x2C: // the APDU buffer kept in a static field
                savedStatic = buf;
                buf[0] = 0;
                break;
            case 0x2D: // the APDU object (a JCRE temporary entry point) kept
                savedObject = apdu;
                buf[0] = 0;
                break;
            case 0x2E: // the APDU buffer kept in an array element
                mine[0] = buf;
                buf[0] = 0;
                break;
            case 0x2F: // read the victim's array inside a transaction, abort
                JCSystem.beginTransaction();
                try {
                    buf[0] = Leak.array[1];
                } finally {
                    JCSystem.abortTransaction();
                }
                break;
            case 0x30: // a reference to the victim's array is only a reference
                mine[0] = Leak.array;
                buf[0] = (byte) (mine[0] == Leak.array ? 1 : 0);
                break;
            case 0x31: // nothing was kept by the refused stores
                buf[0] = (byte) ((savedBuffer == null ? 1 : 0) | (savedStatic == null ? 2 : 0)
                        | (savedObject == null ? 4 : 0));
                break;
            case 0x32: // Util.getShort of the victim's array
                Util.setShort(buf, (short) 0, Util.getShort(Leak.array, (short) 0));
                len = 2;
                break;
            case 0x33: // Util.setShort into it
                Util.setShort(Leak.array, (short) 0, (short) 0);
                buf[0] = 0;
                break;
            default:
                ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
            }
        } catch (SecurityException e) {
            buf[0] = BLOCKED;
            len = 1;
        } catch (NullPointerException e) {
            buf[0] = NULL;
            len = 1;
        } catch (SystemException e) {
            buf[0] = OTHER;
            len = 1;
        } catch (TransactionException e) {
            buf[0] = OTHER;
            len = 1;
        }
        apdu.setOutgoingAndSend((short) 0, len);
    }
}
