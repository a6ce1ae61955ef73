package org.globalplatform;

import javacard.framework.AID;
import javacard.framework.Shareable;

/** Compile-time declaration of org.globalplatform.GPRegistryEntry (see
 * GPSystem). */
public interface GPRegistryEntry extends Shareable {
    byte PRIVILEGE_CARD_LOCK = (byte) 3;
    byte PRIVILEGE_CVM_MANAGEMENT = (byte) 6;
    byte PRIVILEGE_SECURITY_DOMAIN = (byte) 0;

    void deregisterService(short sServiceName);

    AID getAID();

    short getPrivileges(byte[] baBuffer, short sOffset);

    byte getState();

    boolean isAssociated(AID sdAID);

    boolean isPrivileged(byte bPrivilege);

    void registerService(short sServiceName);

    boolean setState(byte bState);
}
