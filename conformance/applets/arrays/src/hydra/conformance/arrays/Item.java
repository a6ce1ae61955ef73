package hydra.conformance.arrays;

/** A class of our own, so that arrays of it (Item[]) can be made and checked. */
class Item {
    short value;

    Item(short value) {
        this.value = value;
    }
}
