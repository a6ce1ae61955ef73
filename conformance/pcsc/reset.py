#!/usr/bin/env python3
"""A reader's reset (SCardReconnect with SCARD_RESET_CARD, vpcd control 02)
behaves as a card reset: CLEAR_ON_RESET and CLEAR_ON_DESELECT transients are
cleared, persistent data stays, and the card manager is selected again
until the next SELECT.

    reset.py [--hydra target/release/hydra] [--engine interp]...

Expected answers from TransientsApplet.java (hydra.conformance.transients):
INS 61 sets element 0 of every array to P1; INS 62 returns bytesR bytesD
shortsR(2) shortsD(2) boolsR boolsD objsR!=null objsD!=null persistent.
The card manager, selected after a reset, does not know INS 62 (6D00).
"""

import argparse
import os
import sys

from pcsc_card import DEFAULT_READER, DEFAULT_VPCD, Context, HydraCard, PcscError, hydra_binary

HERE = os.path.dirname(os.path.abspath(__file__))
CAP = os.path.join(HERE, "../applets/transients/cap/transients.cap")
SELECT = bytes.fromhex("00A4040008F048594452410601")
SET_5A = bytes.fromhex("80615A0000")
GET = bytes.fromhex("8062000000")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hydra")
    ap.add_argument("--engine", action="append")
    ap.add_argument("--reader", default=DEFAULT_READER)
    ap.add_argument("--vpcd", default=DEFAULT_VPCD)
    args = ap.parse_args()
    hydra = hydra_binary(args.hydra)
    ctx = Context(args.reader)
    failed = 0
    for engine in args.engine or ["interp", "thumb"]:
        card = HydraCard(hydra, engine, [CAP], vpcd=args.vpcd, ctx=ctx)
        with card:
            try:
                ctx.wait_for(True, 900, card.alive)
                conn = ctx.connect()
                got = []
                for step in [SELECT, SET_5A, GET, "reset", GET, SELECT, GET]:
                    if step == "reset":
                        conn.reset()
                        continue
                    data, sw1, sw2 = conn.transmit(step)
                    got.append(bytes(data + [sw1, sw2]).hex())
                conn.close()
                want = ["9000", "9000", "5a5a005a005a010101015a9000",
                        "6d00", "9000", "000000000000000000005a9000"]
                if got != want:
                    raise PcscError(f"answers {got}, expected {want}")
                if card.stop() != 0:
                    raise PcscError(f"hydra card did not exit 0 at SIGTERM:\n{card.output()}")
                ctx.wait_for(False, 30)
                print(f"pass {engine}: a reader reset clears transients, selects the card manager, keeps persistent data")
            except PcscError as e:
                failed += 1
                print(f"FAIL {engine}: {e}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
