package hydra.bench.objects;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.Util;

/**
 * Object-heavy code: 32 small objects of four classes (two levels of
 * subclassing, one abstract class, one interface) in a linked list and in
 * an array typed by the interface; virtual calls, interface calls, a
 * super call, instanceof and checkcast, field reads and writes.
 *
 * Node i (0..31), by i mod 4: 0 Adder(state i, k i+1), 1 Mixer(state 7i),
 * 2 Scaler(state i, f i|1), 3 Counter(state -i, k 3).
 *
 * INS 80: data x (2). P1 (unsigned) passes, each: x := node.step(x) along
 *   the list, then acc += m.read(x) for every node m through the
 *   interface, and acc ^= f for every Scaler. Response x (2), acc (2)
 *   (acc starts at 0 in each command). Node states persist across commands.
 * INS 81: every node back to its initial state.
 * INS 02: no work.
 */
public class ObjectsApplet extends Applet {

    static final byte CLA = (byte) 0x80;
    static final short NODES = 32;

    private Node head;
    private final Meter[] meters;

    private ObjectsApplet() {
        meters = new Meter[NODES];
        Node prev = null;
        for (short i = 0; i < NODES; i++) {
            Node n;
            switch (i & 3) {
            case 0:
                n = new Adder(i, (short) (i + 1));
                break;
            case 1:
                n = new Mixer((short) (7 * i));
                break;
            case 2:
                n = new Scaler(i, (short) (i | 1));
                break;
            default:
                n = new Counter((short) -i, (short) 3);
                break;
            }
            meters[i] = n;
            if (prev == null) {
                head = n;
            } else {
                prev.next = n;
            }
            prev = n;
        }
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new ObjectsApplet().register();
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_CLA] != CLA) {
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        switch (buf[ISO7816.OFFSET_INS]) {
        case 0x02:
            return;
        case (byte) 0x80:
            break;
        case (byte) 0x81:
            for (short i = 0; i < NODES; i++) {
                ((Node) meters[i]).reset(i);
            }
            return;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        short times = (short) (buf[ISO7816.OFFSET_P1] & 0xFF);
        apdu.setIncomingAndReceive();
        short x = Util.getShort(buf, ISO7816.OFFSET_CDATA);
        short acc = 0;
        Meter[] ms = meters;
        for (short t = 0; t < times; t++) {
            for (Node n = head; n != null; n = n.next) {
                x = n.step(x);
            }
            for (short i = 0; i < NODES; i++) {
                Meter m = ms[i];
                acc += m.read(x);
                if (m instanceof Scaler) {
                    acc ^= ((Scaler) m).f;
                }
            }
        }
        Util.setShort(buf, (short) 0, x);
        Util.setShort(buf, (short) 2, acc);
        apdu.setOutgoingAndSend((short) 0, (short) 4);
    }
}

/** Read through an interface. */
interface Meter {
    short read(short t);
}

abstract class Node implements Meter {
    Node next;
    short state;

    Node(short s) {
        state = s;
    }

    abstract short step(short x);

    /** Back to the state of node i at install. */
    abstract void reset(short i);

    public short read(short t) {
        return (short) (state + t);
    }
}

class Adder extends Node {
    short k;

    Adder(short s, short k) {
        super(s);
        this.k = k;
    }

    short step(short x) {
        state = (short) (state + k);
        return (short) (x + state);
    }

    void reset(short i) {
        state = i;
    }
}

class Mixer extends Node {
    Mixer(short s) {
        super(s);
    }

    short step(short x) {
        state = (short) (state ^ x);
        return (short) ((short) (x << 1) ^ state);
    }

    void reset(short i) {
        state = (short) (7 * i);
    }
}

class Scaler extends Node {
    short f;

    Scaler(short s, short f) {
        super(s);
        this.f = f;
    }

    short step(short x) {
        return (short) (x * f + state);
    }

    public short read(short t) {
        return (short) (t * 3 - state);
    }

    void reset(short i) {
        state = i;
    }
}

class Counter extends Adder {
    Counter(short s, short k) {
        super(s, k);
    }

    short step(short x) {
        state++;
        return super.step((short) (x ^ 0x55));
    }

    void reset(short i) {
        state = (short) -i;
    }
}
