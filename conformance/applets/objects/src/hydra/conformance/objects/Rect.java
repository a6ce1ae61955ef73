package hydra.conformance.objects;

class Rect extends Square {
    private short h;

    Rect(short w, short h) {
        super(w);
        this.h = h;
        kind = 3;
    }

    public short area() {
        return (short) (w * h);
    }

    // super call: invokespecial of Base.describe, which still dispatches
    // area() virtually to Rect.area.
    short describe() {
        return (short) (super.describe() + 1000);
    }

    public byte tag() {
        return (byte) 'R';
    }
}
