package org.globalplatform;

/** Compile-time declaration of the GP API methods this applet calls (the
 * converter binds the real ones through the org.globalplatform export
 * file; these bodies are never converted). */
public class GPSystem {
    public static byte getCardState() {
        return 0;
    }

    public static byte getCardContentState() {
        return 0;
    }

    public static boolean setCardContentState(byte bState) {
        return false;
    }
}
