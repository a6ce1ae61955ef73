package hydra.conformance.secchannel;

import javacard.framework.AID;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import org.globalplatform.CVM;
import org.globalplatform.GPRegistryEntry;
import org.globalplatform.GPSystem;
import org.globalplatform.SecureChannel;

/**
 * org.globalplatform as an application sees it: a secure channel run by
 * its security domain, the card's global PIN and registry entries.
 *
 * INITIALIZE UPDATE and EXTERNAL AUTHENTICATE go to
 * SecureChannel.processSecurity; a command with secure messaging (CLA bit
 * 3) is unwrapped first. Commands (CLA 80, or 84 protected):
 *   10        security level
 *   11        CVM: active, submitted, verified, blocked, tries remaining
 *   12 P1     CVM update with the data in format P1: result
 *   13 P1     CVM verify with the data in format P1: result (2), tries
 *   14 P1 P2  CVM 1 resetState, 2 blockState, 3 resetAndUnblockState,
 *             4 setTryLimit(P2): result
 *   20 P2     registry entry of the AID in the data (none: this applet's):
 *             found; then its AID, state, privileges (3), isPrivileged(P2),
 *             isAssociated(ISD)
 *   21 P1     setState(P1) on this applet's entry: result, state after
 *   22        GPSystem.lockCard(): result
 *   23        keep the CVM in a field (00), then a registry entry (6F03)
 *   30 / 31   decryptData / encryptData of the data
 *   32        resetSecurity, then the security level
 *   33        the data back, through SecureChannel.wrap
 */
public class SecChannelApplet extends Applet {

    static final byte[] ISD = {(byte) 0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};

    private Object kept;

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        byte li = bArray[bOffset];
        new SecChannelApplet().register(bArray, (short) (bOffset + 1), li);
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        byte cla = buf[ISO7816.OFFSET_CLA];
        byte ins = buf[ISO7816.OFFSET_INS];
        if ((cla & (byte) 0xF8) != (byte) 0x80) {
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        SecureChannel sc = GPSystem.getSecureChannel();
        if (ins == 0x50 || ins == (byte) 0x82) {
            short n = sc.processSecurity(apdu);
            apdu.setOutgoingAndSend(ISO7816.OFFSET_CDATA, n);
            return;
        }
        short lc = apdu.setIncomingAndReceive();
        if ((cla & 0x04) != 0) {
            short len = sc.unwrap(buf, (short) 0, (short) (ISO7816.OFFSET_CDATA + lc));
            lc = (short) (len - ISO7816.OFFSET_CDATA);
        }
        short n;
        try {
            n = command(sc, buf, ins, lc);
        } catch (SecurityException e) {
            ISOException.throwIt((short) 0x6F03);
            return;
        }
        apdu.setOutgoingAndSend((short) 0, n);
    }

    private static byte bool(boolean b) {
        return b ? (byte) 1 : (byte) 0;
    }

    private short command(SecureChannel sc, byte[] buf, byte ins, short lc) {
        CVM cvm = GPSystem.getCVM(GPSystem.CVM_GLOBAL_PIN);
        byte p1 = buf[ISO7816.OFFSET_P1];
        byte p2 = buf[ISO7816.OFFSET_P2];
        switch (ins) {
        case 0x10:
            buf[0] = sc.getSecurityLevel();
            return 1;
        case 0x11:
            buf[0] = bool(cvm.isActive());
            buf[1] = bool(cvm.isSubmitted());
            buf[2] = bool(cvm.isVerified());
            buf[3] = bool(cvm.isBlocked());
            buf[4] = cvm.getTriesRemaining();
            return 5;
        case 0x12:
            buf[0] = bool(cvm.update(buf, ISO7816.OFFSET_CDATA, (byte) lc, p1));
            return 1;
        case 0x13:
            Util.setShort(buf, (short) 0, cvm.verify(buf, ISO7816.OFFSET_CDATA, (byte) lc, p1));
            buf[2] = cvm.getTriesRemaining();
            return 3;
        case 0x14: {
            boolean r = false;
            if (p1 == 1) {
                r = cvm.resetState();
            } else if (p1 == 2) {
                r = cvm.blockState();
            } else if (p1 == 3) {
                r = cvm.resetAndUnblockState();
            } else if (p1 == 4) {
                r = cvm.setTryLimit(p2);
            }
            buf[0] = bool(r);
            return 1;
        }
        case 0x20: {
            AID aid = null;
            if (lc > 0) {
                aid = JCSystem.lookupAID(buf, ISO7816.OFFSET_CDATA, (byte) lc);
                if (aid == null) {
                    aid = new AID(buf, ISO7816.OFFSET_CDATA, (byte) lc);
                }
            }
            GPRegistryEntry e = GPSystem.getRegistryEntry(aid);
            if (e == null) {
                buf[0] = 0;
                return 1;
            }
            buf[0] = 1;
            short o = 1;
            byte len = e.getAID().getBytes(buf, (short) (o + 1));
            buf[o] = len;
            o += (short) (len + 1);
            buf[o++] = e.getState();
            o += e.getPrivileges(buf, o);
            buf[o++] = bool(e.isPrivileged(p2));
            AID isd = new AID(ISD, (short) 0, (byte) ISD.length);
            buf[o++] = bool(e.isAssociated(isd));
            return o;
        }
        case 0x21: {
            GPRegistryEntry e = GPSystem.getRegistryEntry(null);
            buf[0] = bool(e.setState(p1));
            buf[1] = e.getState();
            return 2;
        }
        case 0x22:
            buf[0] = bool(GPSystem.lockCard());
            return 1;
        case 0x23:
            kept = cvm;
            buf[0] = 0;
            kept = GPSystem.getRegistryEntry(null);
            return 1;
        case 0x30:
            Util.arrayCopyNonAtomic(buf, ISO7816.OFFSET_CDATA, buf, (short) 0, lc);
            return sc.decryptData(buf, (short) 0, lc);
        case 0x31:
            Util.arrayCopyNonAtomic(buf, ISO7816.OFFSET_CDATA, buf, (short) 0, lc);
            return sc.encryptData(buf, (short) 0, lc);
        case 0x32:
            sc.resetSecurity();
            buf[0] = sc.getSecurityLevel();
            return 1;
        case 0x33:
            // the data back, wrapped with its status word 9000
            Util.arrayCopyNonAtomic(buf, ISO7816.OFFSET_CDATA, buf, (short) 0, lc);
            Util.setShort(buf, lc, ISO7816.SW_NO_ERROR);
            return sc.wrap(buf, (short) 0, (short) (lc + 2));
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
            return 0;
        }
    }
}
