package hydra.conformance.fwlib;

/** A plain class: its instances belong to the context that made them. */
public class Target {
    public short counter;

    public Target(short start) {
        counter = start;
    }

    public short bump() {
        return ++counter;
    }
}
