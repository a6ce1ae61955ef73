package hydra.conformance.objects;

/** A second interface, implemented only below Base. */
interface Named {
    byte tag();
}
