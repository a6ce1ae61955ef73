package hydra.conformance.objects;

class Square extends Base implements Named {
    Square(short w) {
        super(w);
        kind = 2;
    }

    public short area() {
        return (short) (w * w);
    }

    public byte tag() {
        return (byte) 'S';
    }
}
