#!/usr/bin/env python3
"""Runs the conformance suite through the real PC/SC stack: for every
script, a fresh `hydra card` in pcscd's vpcd reader, driven by pyscard, and
its answers compared with the expected file that `hydra run` must match.

    suite.py [--hydra target/release/hydra] [--engine interp]... [--suite conformance/applets/suite.json]

Needs pcscd running with vsmartcard's vpcd driver and pyscard.
"""

import argparse
import json
import os
import sys
import time

import apdutool
import scp03
from pcsc_card import DEFAULT_READER, DEFAULT_VPCD, Context, HydraCard, PcscError, hydra_binary, install_spec

ENGINES = ["interp", "native", "thumb-interp", "thumb"]


def run_script(ctx, text, conn=None):
    """Runs an apdutool script (on `conn` if the card is already connected);
    returns (apdutool's output, APDUs sent)."""
    out, output, apdus, secure = [], True, 0, None
    try:
        for st in apdutool.parse(text):
            if isinstance(st, apdutool.Command):
                if conn is None:
                    raise PcscError(f"line {st.line}: APDU sent while the card is powered down")
                wire = st.wire()
                if wire[1] == 0xA4:  # a SELECT ends the channel
                    secure = None
                data, sw1, sw2 = conn.transmit(list(secure.wrap(wire)) if secure else wire)
                apdus += 1
                if secure and (sw1, sw2) == (0x69, 0x82):
                    secure = None
                elif secure:
                    data = list(secure.unwrap(data, (sw1 << 8) | sw2))
                if output:
                    out.append(st.format(data, sw1, sw2))
            elif st[0] == "scp03":
                _, level, kvn, key = st
                secure = scp03.Scp03((key, key, key))
                data, sw1, sw2 = conn.transmit(list(secure.initialize_update(bytes(range(8)), kvn)))
                if (sw1, sw2) != (0x90, 0x00):
                    raise PcscError(f"scp03: INITIALIZE UPDATE answered {sw1:02X}{sw2:02X}")
                secure.check_init_response(data)
                _, sw1, sw2 = conn.transmit(list(secure.external_authenticate(level)))
                if (sw1, sw2) != (0x90, 0x00):
                    raise PcscError(f"scp03: EXTERNAL AUTHENTICATE answered {sw1:02X}{sw2:02X}")
            elif st[0] == "powerup":
                secure = None
                if conn is None:
                    conn = ctx.connect()
                else:
                    conn.reset()
            elif st[0] == "powerdown":
                secure = None
                if conn is not None:
                    conn.close()
                    conn = None
            elif st[0] == "echo" and output:
                out.append(st[1])
            elif st[0] == "output":
                output = st[1]
    finally:
        if conn is not None:
            conn.close()
    return "".join(l + "\n" for l in out), apdus


def run_entry(hydra, engine, base, entry, ctx, args, first):
    script = os.path.join(base, entry["script"])
    expected = os.path.join(base, entry.get("expected", entry["script"] + ".expected"))
    caps = [os.path.join(base, c) for c in entry.get("load", entry.get("caps", []))]
    installs = [install_spec(i) for i in entry.get("install", [])]
    card = HydraCard(hydra, engine, caps, installs, vpcd=args.vpcd, ctx=ctx)
    with card:
        # The first start of a meter engine may build the firmware.
        ctx.wait_for(True, 900 if first else 120, card.alive)
        t = time.monotonic()
        out, apdus = run_script(ctx, open(script).read())
        elapsed = time.monotonic() - t
        code = card.stop()
        if code != 0:
            raise PcscError(f"hydra card exited with {code} after SIGTERM:\n{card.output()}")
        ctx.wait_for(False, 30)
    diff = apdutool.first_difference(out, open(expected).read())
    if diff:
        line, want, got = diff
        raise PcscError(f"response {line} differs from {expected}\n  expected: {want}\n  actual:   {got}")
    return apdus, elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hydra", help="the hydra binary (default: $HYDRA or target/release/hydra)")
    ap.add_argument("--engine", action="append", choices=ENGINES, help="engine (repeatable; default: all four)")
    ap.add_argument("--suite", default="conformance/applets/suite.json")
    ap.add_argument("--reader", default=DEFAULT_READER)
    ap.add_argument("--vpcd", default=DEFAULT_VPCD)
    args = ap.parse_args()
    hydra = hydra_binary(args.hydra)
    suite = json.load(open(args.suite))
    entries = suite["scripts"] if isinstance(suite, dict) else suite
    base = os.path.dirname(args.suite)
    ctx = Context(args.reader)
    if ctx.state()[0] & 0x20:  # SCARD_STATE_PRESENT
        sys.exit(f"reader '{args.reader}' already holds a card: stop the other card first")
    failed = 0
    for engine in args.engine or ENGINES:
        for n, entry in enumerate(entries):
            try:
                apdus, elapsed = run_entry(hydra, engine, base, entry, ctx, args, n == 0)
                print(f"pass {engine} {entry['script']} ({apdus} APDUs, {elapsed * 1000 / max(apdus, 1):.2f} ms per APDU)")
            except (PcscError, apdutool.ScriptError, scp03.ScpError) as e:
                failed += 1
                print(f"FAIL {engine} {entry['script']}: {e}")
            sys.stdout.flush()
    total = len(entries) * len(args.engine or ENGINES)
    print(f"{total - failed} of {total} scripts pass through PC/SC")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
