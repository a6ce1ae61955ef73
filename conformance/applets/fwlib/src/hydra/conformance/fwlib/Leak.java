package hydra.conformance.fwlib;

/**
 * Static fields of a library package: any package that imports it reads
 * and writes them, so what one applet leaves here reaches every other.
 * The objects the references name stay their owner's.
 */
public class Leak {
    /** A persistent array of the victim's context. */
    public static byte[] array;
    /** A CLEAR_ON_DESELECT transient array of the victim's context. */
    public static byte[] scratch;
    /** An object of the victim's context that is not Shareable. */
    public static Target target;

    private Leak() {
    }
}
