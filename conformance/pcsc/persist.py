#!/usr/bin/env python3
"""A `hydra card --state FILE` keeps its card across restarts: a wrong PIN
presented to the PIN applet (hydra.conformance.pin) costs a try, the card is
stopped (SIGTERM) and started again, and the try counter is still down.

    persist.py [--hydra target/release/hydra] [--engine interp]...

Expected answers from PinApplet.java (INS 80 VERIFY, 81 STATUS; response:
check result, tries remaining, validated): the PIN is 31 32 33 34 with 3
tries.
"""

import os
import sys
import tempfile

from pcsc_card import CheckFailed, HydraCard, check_args, on_card, per_engine

HERE = os.path.dirname(os.path.abspath(__file__))
PIN_CAP = os.path.join(HERE, "../applets/pin/cap/pin.cap")
SELECT = bytes.fromhex("00A4040008F048594452410801")
STATUS = bytes.fromhex("8081000000")
WRONG = bytes.fromhex("80800000023938")
RIGHT = bytes.fromhex("808000000431323334")


def session(ctx, hydra, engine, state, caps, commands, vpcd):
    """Starts a card, sends `commands` after a SELECT, stops it; returns the
    responses as hex."""
    answers = []

    def body(conn):
        for c in [SELECT] + commands:
            data, sw1, sw2 = conn.transmit(c)
            answers.append(bytes(data + [sw1, sw2]).hex())
        return conn

    on_card(ctx, HydraCard(hydra, engine, caps, state=state, vpcd=vpcd, ctx=ctx), body)
    return answers


def expect(step, got, want):
    if got != want:
        raise CheckFailed(f"{step}: answers {got}, expected {want}")


def main():
    args, hydra, ctx, engines = check_args(__doc__)

    def check(engine):
        with tempfile.TemporaryDirectory(prefix="hydra-state-") as d:
            state = os.path.join(d, "card.nvm")
            # 1: load and install; one wrong PIN: 3 -> 2 tries left.
            got = session(ctx, hydra, engine, state, [PIN_CAP], [STATUS, WRONG], args.vpcd)
            expect("first start", got, ["9000", "0003009000", "0002009000"])
            # 2: no CAP given: the package and the counter come from the state.
            got = session(ctx, hydra, engine, state, [], [STATUS, RIGHT], args.vpcd)
            expect("restart", got, ["9000", "0002009000", "0103019000"])
            # 3: the CAP again: not loaded twice; the counter was reset by
            # the right PIN, and the validated flag did not survive.
            got = session(ctx, hydra, engine, state, [PIN_CAP], [STATUS], args.vpcd)
            expect("second restart", got, ["9000", "0003009000"])
        return "the PIN try counter survives two restarts of hydra card --state"

    return per_engine(engines, check)


if __name__ == "__main__":
    sys.exit(main())
