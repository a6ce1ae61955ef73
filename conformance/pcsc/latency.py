#!/usr/bin/env python3
"""APDU round trip through the whole PC/SC stack (pyscard -> pcscd -> vpcd
-> hydra card -> the engine and back), per engine: a benchmark that prints
figures, not a test.

    latency.py [--hydra target/release/hydra] [--engine interp]... [-n 1000]

The command is the crc benchmark's INS 02, which does no work: what is
measured is the cost of an APDU to a PC/SC client.
"""

import argparse
import os
import statistics
import sys
import time

from pcsc_card import DEFAULT_READER, DEFAULT_VPCD, Context, HydraCard, PcscError, hydra_binary

HERE = os.path.dirname(os.path.abspath(__file__))
CAP = os.path.join(HERE, "../../benches/applets/crc/cap/crc.cap")
SELECT = bytes.fromhex("00A4040008F048594452412101")
EMPTY = bytes.fromhex("8002000000")


def measure(ctx, hydra, engine, n, vpcd):
    card = HydraCard(hydra, engine, [CAP], vpcd=vpcd, ctx=ctx)
    with card:
        ctx.wait_for(True, 900, card.alive)
        conn = ctx.connect()
        conn.transmit(SELECT)
        for _ in range(min(50, n)):  # warm-up
            conn.transmit(EMPTY)
        times = []
        for _ in range(n):
            t = time.perf_counter()
            _, sw1, sw2 = conn.transmit(EMPTY)
            times.append(time.perf_counter() - t)
            if (sw1, sw2) != (0x90, 0x00):
                raise PcscError(f"INS 02 answered {sw1:02X}{sw2:02X}")
        conn.close()
        card.stop()
        ctx.wait_for(False, 30)
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hydra")
    ap.add_argument("--engine", action="append")
    ap.add_argument("-n", type=int, default=1000, help="APDUs per engine")
    ap.add_argument("--reader", default=DEFAULT_READER)
    ap.add_argument("--vpcd", default=DEFAULT_VPCD)
    args = ap.parse_args()
    hydra = hydra_binary(args.hydra)
    ctx = Context(args.reader)
    print(f"APDU round trip through pcscd + vpcd ({args.n} empty APDUs per engine), milliseconds")
    print(f"{'engine':<14}{'median':>9}{'mean':>9}{'p99':>9}{'max':>9}")
    for engine in args.engine or ["interp", "native", "thumb-interp", "thumb"]:
        t = sorted(x * 1000 for x in measure(ctx, hydra, engine, args.n, args.vpcd))
        p99 = t[min(len(t) - 1, int(len(t) * 0.99))]
        print(f"{engine:<14}{statistics.median(t):>9.3f}{statistics.mean(t):>9.3f}{p99:>9.3f}{t[-1]:>9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
