package hydra.conformance.objects;

/** Abstract root of the shapes: fields, a private and a static method. */
abstract class Base implements Shape {
    protected short w;
    protected byte kind;

    Base(short w) {
        this.w = w;
        kind = 1;
    }

    public abstract short area();

    // Calls the subclass's area() through the virtual method table.
    short describe() {
        return (short) (area() * 10 + kind);
    }

    // private: called with invokespecial.
    private short secret() {
        return (short) (w + 1);
    }

    short callSecret() {
        return secret();
    }

    static short twice(short x) {
        return (short) (x * 2);
    }
}
