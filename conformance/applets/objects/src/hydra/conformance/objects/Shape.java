package hydra.conformance.objects;

/** Called through invokeinterface. */
interface Shape {
    short area();
}
