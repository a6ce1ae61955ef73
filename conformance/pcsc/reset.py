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

import os
import sys

from pcsc_card import CheckFailed, HydraCard, check_args, on_card, per_engine

HERE = os.path.dirname(os.path.abspath(__file__))
CAP = os.path.join(HERE, "../applets/transients/cap/transients.cap")
SELECT = bytes.fromhex("00A4040008F048594452410601")
SET_5A = bytes.fromhex("80615A0000")
GET = bytes.fromhex("8062000000")


def main():
    args, hydra, ctx, engines = check_args(__doc__)

    def check(engine):
        def body(conn):
            got = []
            for step in [SELECT, SET_5A, GET, "reset", GET, SELECT, GET]:
                if step == "reset":
                    conn.reset()
                    continue
                data, sw1, sw2 = conn.transmit(step)
                got.append(bytes(data + [sw1, sw2]).hex())
            want = ["9000", "9000", "5a5a005a005a010101015a9000",
                    "6d00", "9000", "000000000000000000005a9000"]
            if got != want:
                raise CheckFailed(f"answers {got}, expected {want}")
            return conn

        on_card(ctx, HydraCard(hydra, engine, [CAP], vpcd=args.vpcd, ctx=ctx), body)
        return "a reader reset clears transients, selects the card manager, keeps persistent data"

    return per_engine(engines, check)

if __name__ == "__main__":
    sys.exit(main())
