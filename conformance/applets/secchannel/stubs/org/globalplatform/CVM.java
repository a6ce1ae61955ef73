package org.globalplatform;

import javacard.framework.Shareable;

/** Compile-time declaration of org.globalplatform.CVM (see GPSystem). */
public interface CVM extends Shareable {
    short CVM_SUCCESS = 0;
    short CVM_FAILURE = -1;
    byte FORMAT_ASCII = (byte) 0x01;
    byte FORMAT_BCD = (byte) 0x02;
    byte FORMAT_HEX = (byte) 0x03;

    boolean isActive();

    boolean isSubmitted();

    boolean isVerified();

    boolean isBlocked();

    byte getTriesRemaining();

    boolean update(byte[] baBuffer, short sOffset, byte bLength, byte bFormat);

    boolean resetState();

    boolean blockState();

    boolean resetAndUnblockState();

    boolean setTryLimit(byte bTryLimit);

    short verify(byte[] baBuffer, short sOffset, byte bLength, byte bFormat);
}
