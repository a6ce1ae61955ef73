package org.globalplatform;

import javacard.framework.Shareable;

/** Compile-time declaration of the GP API interface (the converter binds
 * the real one through the org.globalplatform export file). */
public interface Application extends Shareable {
    void processData(byte[] baBuffer, short sOffset, short sLength);
}
