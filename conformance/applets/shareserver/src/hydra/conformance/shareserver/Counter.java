package hydra.conformance.shareserver;

import javacard.framework.Shareable;

/** The interface ServerApplet shares with applets of other packages. */
public interface Counter extends Shareable {
    /** Adds v to the server's total and returns the new total. */
    short add(short v);

    /** 1 if the caller's context is the client applet F0 48 59 44 52 41 0A 01, else 0. */
    byte callerIsClient();

    /** An array owned by the server: the caller may hold it but not read it. */
    byte[] secret();
}
