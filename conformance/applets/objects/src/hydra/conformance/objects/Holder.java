package hydra.conformance.objects;

/** Instance fields of every type, accessed from another class (getfield/putfield, not the _this forms). */
class Holder {
    byte b;
    short s;
    int i;
    boolean z;
    Holder r;
}
