package hydra.conformance.exceptions;

import javacard.framework.CardException;

/** A checked exception of our own. */
public class CheckedException extends CardException {
    public CheckedException(short reason) {
        super(reason);
    }
}
