package hydra.bench.sort;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;

/**
 * Sorting and searching shorts in a transient array.
 *
 * INS 50 (heapsort) and INS 51 (insertion sort): data seed (2) || n (2,
 *   1..256). For each of P1 (unsigned) rounds r = 0, 1, ...: fill a[0..n)
 *   from the generator x := x * 25173 + 13849 (16 bits, signed), started at
 *   seed + r, and sort it ascending (signed). Response: a[0], a[n/2],
 *   a[n-1] of the last round, and the sum over all rounds of
 *   a[i] ^ i for every i (16 bits) (4 shorts).
 * INS 52 (binary search): data n (2, 1..256). a[i] = 3i; search every key
 *   0 .. 3n-1, P1 times. Response: hits, sum of the indices found and
 *   number of probes, over all rounds (3 shorts, 16 bits).
 * INS 02: no work.
 */
public class SortApplet extends Applet {

    static final byte CLA = (byte) 0x80;
    static final short MAX = 256;

    private final short[] a;

    private SortApplet() {
        a = JCSystem.makeTransientShortArray(MAX, JCSystem.CLEAR_ON_DESELECT);
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new SortApplet().register();
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buf = apdu.getBuffer();
        if (buf[ISO7816.OFFSET_CLA] != CLA) {
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        byte ins = buf[ISO7816.OFFSET_INS];
        if (ins == 0x02) {
            return;
        }
        if (ins < 0x50 || ins > 0x52) {
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        short times = (short) (buf[ISO7816.OFFSET_P1] & 0xFF);
        apdu.setIncomingAndReceive();
        short d = ISO7816.OFFSET_CDATA;
        short[] a = this.a;
        if (ins == 0x52) {
            short n = count(Util.getShort(buf, d));
            for (short i = 0; i < n; i++) {
                a[i] = (short) (3 * i);
            }
            short hits = 0, sum = 0, probes = 0;
            for (short t = 0; t < times; t++) {
                short keys = (short) (3 * n);
                for (short key = 0; key < keys; key++) {
                    short lo = 0, hi = (short) (n - 1);
                    while (lo <= hi) {
                        short mid = (short) ((short) (lo + hi) >>> 1);
                        probes++;
                        short v = a[mid];
                        if (v == key) {
                            hits++;
                            sum += mid;
                            break;
                        } else if (v < key) {
                            lo = (short) (mid + 1);
                        } else {
                            hi = (short) (mid - 1);
                        }
                    }
                }
            }
            Util.setShort(buf, (short) 0, hits);
            Util.setShort(buf, (short) 2, sum);
            Util.setShort(buf, (short) 4, probes);
            apdu.setOutgoingAndSend((short) 0, (short) 6);
            return;
        }
        short seed = Util.getShort(buf, d);
        short n = count(Util.getShort(buf, (short) (d + 2)));
        short check = 0;
        for (short t = 0; t < times; t++) {
            short x = (short) (seed + t);
            for (short i = 0; i < n; i++) {
                x = (short) (x * 25173 + 13849);
                a[i] = x;
            }
            if (ins == 0x50) {
                heapsort(a, n);
            } else {
                insertion(a, n);
            }
            for (short i = 0; i < n; i++) {
                check += (short) (a[i] ^ i);
            }
        }
        Util.setShort(buf, (short) 0, a[0]);
        Util.setShort(buf, (short) 2, a[(short) (n >> 1)]);
        Util.setShort(buf, (short) 4, a[(short) (n - 1)]);
        Util.setShort(buf, (short) 6, check);
        apdu.setOutgoingAndSend((short) 0, (short) 8);
    }

    static short count(short n) {
        if (n < 1 || n > MAX) {
            ISOException.throwIt(ISO7816.SW_WRONG_DATA);
        }
        return n;
    }

    static void insertion(short[] a, short n) {
        for (short i = 1; i < n; i++) {
            short v = a[i];
            short j = (short) (i - 1);
            while (j >= 0 && a[j] > v) {
                a[(short) (j + 1)] = a[j];
                j--;
            }
            a[(short) (j + 1)] = v;
        }
    }

    static void heapsort(short[] a, short n) {
        for (short i = (short) ((n >> 1) - 1); i >= 0; i--) {
            sift(a, i, n);
        }
        for (short end = (short) (n - 1); end > 0; end--) {
            short t = a[0];
            a[0] = a[end];
            a[end] = t;
            sift(a, (short) 0, end);
        }
    }

    static void sift(short[] a, short root, short n) {
        short v = a[root];
        while (true) {
            short child = (short) (2 * root + 1);
            if (child >= n) {
                break;
            }
            if ((short) (child + 1) < n && a[(short) (child + 1)] > a[child]) {
                child++;
            }
            if (a[child] <= v) {
                break;
            }
            a[root] = a[child];
            root = child;
        }
        a[root] = v;
    }
}
