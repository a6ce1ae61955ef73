package hydra.conformance.fwvictim;

import hydra.conformance.fwlib.Leak;
import hydra.conformance.fwlib.Target;
import hydra.conformance.fwlib.Vault;
import javacard.framework.AID;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.AppletEvent;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Shareable;
import javacard.framework.Util;

/**
 * The victim of the firewall attacks of hydra.conformance.fwattack: it
 * leaks references to its objects through the static fields of the
 * library hydra.conformance.fwlib and through its Shareable interface.
 * Reading or writing them from another context must throw
 * SecurityException. When it is deleted, uninstall() takes its objects
 * back out of the library's statics, so that nothing of another package
 * still reaches them and the deletion can go ahead.
 */
public class VictimApplet extends Applet implements Vault, AppletEvent {

    private final byte[] secret;
    private final Target target;

    private VictimApplet() {
        secret = new byte[] { 0x5A, 0x5B, 0x5C };
        Leak.array = new byte[] { 0x11, 0x22, 0x33 };
        Leak.scratch = JCSystem.makeTransientByteArray((short) 4, JCSystem.CLEAR_ON_DESELECT);
        target = new Target((short) 0x77);
        Leak.target = target;
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new VictimApplet().register();
    }

    public void uninstall() {
        Leak.array = null;
        Leak.scratch = null;
        Leak.target = null;
    }

    public Shareable getShareableInterfaceObject(AID client, byte parameter) {
        return this;
    }

    public byte[] secret() {
        return secret;
    }

    public short peek(byte[] buf) {
        // Runs in the victim's context: buf must be global (the APDU
        // buffer) for this to work.
        buf[0] = secret[0];
        return 1;
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_INS] != 0x10) {
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        // Its own context reaches all of it.
        Util.arrayCopyNonAtomic(Leak.array, (short) 0, buf, (short) 0, (short) 3);
        buf[3] = secret[0];
        Leak.scratch[0] = 0x44;
        buf[4] = Leak.scratch[0];
        buf[5] = (byte) target.counter;
        apdu.setOutgoingAndSend((short) 0, (short) 6);
    }
}
