#!/usr/bin/env python3
"""Standard PC/SC tools see a Hydra card: `pcsc_scan` (pcsc-tools) finds it
in the vpcd reader with its ATR, and `opensc-tool` (OpenSC) reads the ATR
and exchanges APDUs with the PIN applet.

    smoke.py [--hydra target/release/hydra] [--engine interp]
"""

import argparse
import os
import subprocess
import sys

from pcsc_card import DEFAULT_READER, DEFAULT_VPCD, Context, HydraCard, hydra_binary

HERE = os.path.dirname(os.path.abspath(__file__))
PIN_CAP = os.path.join(HERE, "../applets/pin/cap/pin.cap")


def run(argv):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hydra")
    ap.add_argument("--engine", default="interp")
    ap.add_argument("--reader", default=DEFAULT_READER)
    ap.add_argument("--vpcd", default=DEFAULT_VPCD)
    args = ap.parse_args()
    ctx = Context(args.reader)
    card = HydraCard(hydra_binary(args.hydra), args.engine, [PIN_CAP], vpcd=args.vpcd, ctx=ctx)
    failures = []
    with card:
        atr = ctx.wait_for(True, 900, card.alive)
        spaced = " ".join(f"{b:02X}" for b in atr)
        code, out = run(["pcsc_scan", "-n", "-c", "-t", "2"])
        if f"ATR: {spaced}" not in out:
            failures.append(f"pcsc_scan does not show ATR {spaced}:\n{out}")
        # opensc-tool numbers readers in PC/SC order.
        index = str(ctx.reader_index())
        code, out = run(["opensc-tool", "-r", index, "-a"])
        if code != 0 or atr.hex(":") not in out.lower():
            failures.append(f"opensc-tool -a (exit {code}):\n{out}")
        code, out = run(["opensc-tool", "-r", index, "-s", "00A4040008F048594452410801", "-s", "8081000000"])
        # STATUS of a fresh PIN applet: not checked, 3 tries, not validated.
        if code != 0 or "00 03 00" not in out or "SW1=0x90, SW2=0x00" not in out:
            failures.append(f"opensc-tool -s (exit {code}):\n{out}")
        if card.stop() != 0:
            failures.append(f"hydra card did not exit 0 at SIGTERM:\n{card.output()}")
        ctx.wait_for(False, 30)
    for f in failures:
        print(f"FAIL {f}")
    if not failures:
        print(f"pass pcsc_scan and opensc-tool see the {args.engine} card ({spaced})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
