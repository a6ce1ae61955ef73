#!/usr/bin/env python3
"""Deploys signed native packages through the PC/SC stack and runs them:
every package of a suite compiled for thumbv7m (`hydra compile --emit
package --sign`), its signature checked independently (verify_dap.py), then
for every script a fresh `hydra card --dap-key` (Mandated DAP) in pcscd's
vpcd reader, the packages loaded and installed with `hydra deploy`, and the
script's answers, driven by pyscard, compared with the expected file. On
`thumb` the card runs the packages' code, on `thumb-interp` and `interp`
their bundled bytecode.

    deploy.py [--hydra H] [--engine thumb]... [--suite S]... [--only NAME]

Also tries the refusals: a package signed with another key, and one with
a byte of its code flipped, must be refused and leave the card working.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

import apdutool
import scp03
from pcsc_card import DEFAULT_READER, DEFAULT_VPCD, Context, HydraCard, PcscError, hydra_binary
from suite import run_script

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "package"))
import verify_dap  # noqa: E402

# Scripts whose expected answers depend on the card manager state a
# deployment changes (the SCP03 sequence counter that `hydra deploy`'s
# channel moves, the ISD's privileges with Mandated DAP): they run with the
# `--cap` factory load in suite.py instead.
STATEFUL = {"secchannel.scr", "gputil.scr"}


def run(argv, what):
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        raise PcscError(f"{what}: {' '.join(argv)}\n{r.stdout}{r.stderr}")
    return r.stdout


def install_arg(i):
    cls = i.get("class_aid") or i["applet"]
    inst = i.get("instance_aid", "")
    params = i.get("install_parameters", "")
    return f"{cls}:{inst}:{params}" if inst or params else cls


def compile_entries(hydra, suites, work, key):
    """Compiles every CAP of every entry once; returns [(entry, base,
    [package files])]."""
    out, done = [], {}
    for suite in suites:
        s = json.load(open(suite))
        base = os.path.dirname(suite)
        for e in s["scripts"] if isinstance(s, dict) else s:
            caps = [os.path.join(base, c) for c in e.get("load", e.get("caps", []))]
            pkgs, dirs = [], []
            for c in caps:
                if c not in done:
                    name = f"{len(done)}-{os.path.basename(c)[:-4]}.hnp"
                    f = os.path.join(work, name)
                    argv = [hydra, "compile", c, "--target", "thumbv7m-none-eabi", "--emit", "package",
                            "--sign", key, "-o", f]
                    for d in dirs:
                        argv += ["--exportpath", d]
                    run(argv, "compile")
                    verify_dap.check(f, key + ".pub")
                    done[c] = f
                dirs.append(os.path.dirname(c))
                pkgs.append(done[c])
            out.append((e, base, pkgs))
    return out


def deploy_and_run(hydra, engine, key, entry, base, pkgs, ctx, args, first):
    script = os.path.join(base, entry["script"])
    expected = os.path.join(base, entry.get("expected", entry["script"] + ".expected"))
    card = HydraCard(hydra, engine, vpcd=args.vpcd, ctx=ctx, extra=["--dap-key", key + ".pub"])
    with card:
        ctx.wait_for(True, 900 if first else 120, card.alive)
        t = time.monotonic()
        # One deployment: each install goes with the package of its class.
        argv = [hydra, "deploy", *pkgs, "--reader", args.reader]
        for i in entry.get("install", []):
            argv += ["--install", install_arg(i)]
        run(argv, "deploy")
        deployed = time.monotonic() - t
        out, apdus = run_script(ctx, open(script).read())
        code = card.stop()
        if code != 0:
            raise PcscError(f"hydra card exited with {code} after SIGTERM:\n{card.output()}")
        ctx.wait_for(False, 30)
    diff = apdutool.first_difference(out, open(expected).read())
    if diff:
        line, want, got = diff
        raise PcscError(f"response {line} differs from {expected}\n  expected: {want}\n  actual:   {got}")
    return apdus, deployed


def refusals(hydra, engine, key, entries, work, ctx, args):
    """A package signed with another key, and one with a code byte
    flipped, are refused by the card with Mandated DAP; it still takes
    the good one afterwards and reports the same free memory."""
    entry, base, pkgs = next(e for e in entries if len(e[2]) == 1 and e[0].get("install"))
    good = pkgs[0]
    other = os.path.join(work, "other.pem")
    run([hydra, "keygen", "-o", other], "keygen")
    cap = os.path.join(base, entry.get("load", entry.get("caps"))[0])
    wrong_key = os.path.join(work, "wrong-key.hnp")
    run([hydra, "compile", cap, "--target", "thumbv7m-none-eabi", "--emit", "package", "--sign", other,
         "-o", wrong_key], "compile")
    flipped = os.path.join(work, "flipped.hnp")
    # A byte of the package flipped and its digest made to match again, so
    # that `hydra deploy` sends it and the card's DAP check is what fires.
    data = bytearray(open(good, "rb").read())
    start = len(data) - len(verify_dap.tlv(verify_dap.tlv(bytes(data))[2])[1])
    data[(start + len(data)) // 2] ^= 0x01
    data[-32:] = hashlib.sha256(bytes(data[start:-32])).digest()
    open(flipped, "wb").write(data)
    card = HydraCard(hydra, engine, vpcd=args.vpcd, ctx=ctx, extra=["--dap-key", key + ".pub"])
    with card:
        ctx.wait_for(True, 120, card.alive)
        def contents():
            out = run([hydra, "deploy", "--list", "--reader", args.reader], "list")
            return [l for l in out.splitlines() if not l.endswith(" ms)")]

        before = contents()
        for bad, sw in [(wrong_key, "6982"), (flipped, "6982")]:
            r = subprocess.run([hydra, "deploy", bad, "--reader", args.reader], capture_output=True, text=True)
            if r.returncode == 0 or sw not in r.stderr:
                raise PcscError(f"{os.path.basename(bad)}: not refused with {sw}: {r.stdout}{r.stderr}")
        if contents() != before:
            raise PcscError("a refused load changed the card's contents")
        run([hydra, "deploy", good, "--reader", args.reader], "deploy")
        code = card.stop()
        if code != 0:
            raise PcscError(f"hydra card exited with {code} after SIGTERM:\n{card.output()}")
        ctx.wait_for(False, 30)
    return "wrong key 6982, flipped byte 6982 (its signature no longer holds), card unchanged, good package loads after"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hydra", help="the hydra binary (default: $HYDRA or target/release/hydra)")
    ap.add_argument("--engine", action="append", help="engine (repeatable; default: thumb thumb-interp)")
    ap.add_argument("--suite", action="append", help="suite file (repeatable; default: conformance and benchmarks)")
    ap.add_argument("--only", help="only the scripts whose name contains this")
    ap.add_argument("--reader", default=DEFAULT_READER)
    ap.add_argument("--vpcd", default=DEFAULT_VPCD)
    args = ap.parse_args()
    hydra = hydra_binary(args.hydra)
    suites = args.suite or ["conformance/applets/suite.json", "benches/applets/suite.json"]
    ctx = Context(args.reader)
    if ctx.state()[0] & 0x20:  # SCARD_STATE_PRESENT
        sys.exit(f"reader '{args.reader}' already holds a card: stop the other card first")
    work = tempfile.mkdtemp(prefix="hydra-deploy-")
    key = os.path.join(work, "dap.pem")
    run([hydra, "keygen", "-o", key], "keygen")
    entries = compile_entries(hydra, suites, work, key)
    failed = total = 0
    for engine in args.engine or ["thumb", "thumb-interp"]:
        total += 1
        try:
            print(f"pass {engine} refusals: {refusals(hydra, engine, key, entries, work, ctx, args)}")
        except PcscError as e:
            failed += 1
            print(f"FAIL {engine} refusals: {e}")
        for n, (entry, base, pkgs) in enumerate(entries):
            name = os.path.basename(entry["script"])
            if name in STATEFUL or (args.only and args.only not in name):
                continue
            total += 1
            try:
                apdus, deployed = deploy_and_run(hydra, engine, key, entry, base, pkgs, ctx, args, n == 0)
                size = sum(os.path.getsize(p) for p in pkgs)
                print(f"pass {engine} {entry['script']} (deployed {size} bytes in {deployed:.1f} s, {apdus} APDUs)")
            except (PcscError, apdutool.ScriptError, scp03.ScpError) as e:
                failed += 1
                print(f"FAIL {engine} {entry['script']}: {e}")
            sys.stdout.flush()
    print(f"{total - failed} of {total} scripts pass on deployed native packages")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
