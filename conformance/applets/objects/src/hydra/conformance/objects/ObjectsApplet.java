package hydra.conformance.objects;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.Util;

/**
 * Classes and objects: virtual, interface, static, private and super calls;
 * abstract classes; instanceof and checkcast; instance fields of every type
 * through other objects, through this, and through wide constant pool
 * indexes; allocation with constructors.
 */
public class ObjectsApplet extends Applet {

    static final byte CLA = (byte) 0x80;
    static final short D = ISO7816.OFFSET_CDATA;

    static final byte INS_CALLS = (byte) 0x30;
    static final byte INS_CASTS = (byte) 0x31;
    static final byte INS_FIELDS = (byte) 0x32;
    static final byte INS_DEFAULTS = (byte) 0x33;
    static final byte INS_WIDE = (byte) 0x34;

    // Fields of the applet itself: accessed with the getfield_<t>_this forms.
    private byte myB;
    private short myS;
    private int myI;
    private boolean myZ;
    private Holder myR;
    private final Holder holder;
    private final WideA wideA;
    private final WideB wideB;

    private ObjectsApplet() {
        holder = new Holder();
        wideA = new WideA();
        wideB = new WideB();
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
        apdu.setIncomingAndReceive();
        short len;
        switch (buf[ISO7816.OFFSET_INS]) {
        case INS_CALLS:
            len = calls(buf, Util.getShort(buf, D), Util.getShort(buf, (short) (D + 2)));
            break;
        case INS_CASTS:
            len = casts(buf, buf[ISO7816.OFFSET_P1]);
            break;
        case INS_FIELDS:
            len = fields(buf);
            break;
        case INS_DEFAULTS:
            len = defaults(buf);
            break;
        case INS_WIDE:
            len = wideFields(buf, Util.getShort(buf, D));
            break;
        default:
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
            return;
        }
        apdu.setOutgoingAndSend((short) 0, len);
    }

    static short putInt(byte[] b, short off, int v) {
        Util.setShort(b, off, (short) (v >> 16));
        return Util.setShort(b, (short) (off + 2), (short) v);
    }

    // Returns, as shorts unless noted: sq.area, r.area, area via a Base
    // reference, sq.describe, r.describe, area via Shape (invokeinterface)
    // for both, tags via Named (bytes), r.callSecret, Base.twice(w).
    static short calls(byte[] buf, short w, short h) {
        Square sq = new Square(w);
        Rect r = new Rect(w, h);
        Base b = r;
        Shape s1 = sq;
        Shape s2 = r;
        Named n1 = sq;
        Named n2 = r;
        short o = Util.setShort(buf, (short) 0, sq.area());
        o = Util.setShort(buf, o, r.area());
        o = Util.setShort(buf, o, b.area());
        o = Util.setShort(buf, o, sq.describe());
        o = Util.setShort(buf, o, r.describe());
        o = Util.setShort(buf, o, s1.area());
        o = Util.setShort(buf, o, s2.area());
        buf[o++] = n1.tag();
        buf[o++] = n2.tag();
        o = Util.setShort(buf, o, r.callSecret());
        return Util.setShort(buf, o, Base.twice(w));
    }

    // P1 picks an object: 0 Square, 1 Rect, 2 this applet, 3 null; 4 casts a
    // Square to Rect without a handler. Returns a mask of instanceof results
    // (1 Base, 2 Square, 4 Rect, 8 Shape, 10 Named, 20 Applet) and of the
    // cast to Rect (40 succeeded, 80 ClassCastException caught).
    short casts(byte[] buf, byte p1) {
        Object o;
        switch (p1) {
        case 0: o = new Square((short) 1); break;
        case 1: o = new Rect((short) 1, (short) 2); break;
        case 2: o = this; break;
        case 3: o = null; break;
        case 4:
            o = new Square((short) 1);
            Rect bad = (Rect) o;
            return bad.area();
        default: ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2); return 0;
        }
        short m = 0;
        if (o instanceof Base) m |= 0x01;
        if (o instanceof Square) m |= 0x02;
        if (o instanceof Rect) m |= 0x04;
        if (o instanceof Shape) m |= 0x08;
        if (o instanceof Named) m |= 0x10;
        if (o instanceof Applet) m |= 0x20;
        try {
            Rect r = (Rect) o;
            m |= 0x40;
        } catch (ClassCastException e) {
            m |= 0x80;
        }
        return Util.setShort(buf, (short) 0, m);
    }

    // Data b (byte), s (short), i (int). Stores them in holder's fields and
    // b+1, s+1, i+1 in this applet's fields; reads all back.
    short fields(byte[] buf) {
        byte b = buf[D];
        short s = Util.getShort(buf, (short) (D + 1));
        int i = ((int) Util.getShort(buf, (short) (D + 3)) << 16)
                | (Util.getShort(buf, (short) (D + 5)) & 0xFFFF);
        Holder h = holder;
        h.b = b;
        h.s = s;
        h.i = i;
        h.z = b != 0;
        h.r = h;
        // Simple values stored into this: the converter's putfield_<t>_this.
        byte b1 = (byte) (b + 1);
        short s1 = (short) (s + 1);
        int i1 = i + 1;
        boolean z1 = !h.z;
        myB = b1;
        myS = s1;
        myI = i1;
        myZ = z1;
        myR = h;
        short o = 0;
        buf[o++] = h.b;
        o = Util.setShort(buf, o, h.s);
        o = putInt(buf, o, h.i);
        buf[o++] = h.z ? (byte) 1 : (byte) 0;
        buf[o++] = h.r == h ? (byte) 1 : (byte) 0;
        buf[o++] = myB;
        o = Util.setShort(buf, o, myS);
        o = putInt(buf, o, myI);
        buf[o++] = myZ ? (byte) 1 : (byte) 0;
        buf[o++] = myR == h ? (byte) 1 : (byte) 0;
        return o;
    }

    // A new object's fields hold 0, false and null.
    static short defaults(byte[] buf) {
        Holder h = new Holder();
        short o = 0;
        buf[o++] = h.b;
        o = Util.setShort(buf, o, h.s);
        o = putInt(buf, o, h.i);
        buf[o++] = h.z ? (byte) 1 : (byte) 0;
        buf[o++] = h.r == null ? (byte) 1 : (byte) 0;
        return o;
    }

    // Wide fields: s_k = base + k for k = 0..259; returns their sum, then
    // the byte, int and reference fields declared after them, s000 and s259.
    short wideFields(byte[] buf, short base) {
        WideA a = wideA;
        WideB b = wideB;
        Wide.fill(a, b, base);
        Wide.fillLast(b, base);
        short o = Util.setShort(buf, (short) 0, Wide.sum(a, b));
        o = Wide.readLast(buf, o, b);
        o = Util.setShort(buf, o, a.s000);
        return Util.setShort(buf, o, b.s259);
    }
}
