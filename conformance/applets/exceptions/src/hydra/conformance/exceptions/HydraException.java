package hydra.conformance.exceptions;

import javacard.framework.CardRuntimeException;

/** An unchecked exception of our own. */
public class HydraException extends CardRuntimeException {
    public HydraException(short reason) {
        super(reason);
    }
}
