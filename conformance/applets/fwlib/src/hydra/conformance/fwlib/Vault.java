package hydra.conformance.fwlib;

import javacard.framework.Shareable;

/** What the victim shares: a reference it hands out must stay useless. */
public interface Vault extends Shareable {
    /** The victim's secret array (a reference leak through the interface). */
    byte[] secret();

    /** A legitimate service: copies the first secret byte into buf[0]. */
    short peek(byte[] buf);
}
