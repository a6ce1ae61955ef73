package org.globalplatform;

import javacard.framework.APDU;
import javacard.framework.Shareable;

/** Compile-time declaration of org.globalplatform.SecureChannel (see
 * GPSystem). */
public interface SecureChannel extends Shareable {
    byte AUTHENTICATED = (byte) 0x80;
    byte C_DECRYPTION = (byte) 0x02;
    byte C_MAC = (byte) 0x01;
    byte R_ENCRYPTION = (byte) 0x20;
    byte R_MAC = (byte) 0x10;
    byte NO_SECURITY_LEVEL = (byte) 0x00;

    short processSecurity(APDU apdu);

    short wrap(byte[] baBuffer, short sOffset, short sLength);

    short unwrap(byte[] baBuffer, short sOffset, short sLength);

    short decryptData(byte[] baBuffer, short sOffset, short sLength);

    short encryptData(byte[] baBuffer, short sOffset, short sLength);

    void resetSecurity();

    byte getSecurityLevel();
}
