package org.globalplatform;

import javacard.framework.AID;

/** Compile-time declaration of the GP API methods this applet calls (the
 * converter binds the real ones through the org.globalplatform export
 * file; these bodies are never converted). */
public class GPSystem {
    public static final byte CVM_GLOBAL_PIN = (byte) 0x11;

    public static CVM getCVM(byte bCVMIdentifier) {
        return null;
    }

    public static SecureChannel getSecureChannel() {
        return null;
    }

    public static boolean lockCard() {
        return false;
    }

    public static byte getCardState() {
        return 0;
    }

    public static GPRegistryEntry getRegistryEntry(AID aid) {
        return null;
    }
}
