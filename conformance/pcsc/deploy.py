#!/usr/bin/env python3
"""Deploys signed native packages through the PC/SC stack and runs them:
every package of a suite compiled for thumbv7m (`hydra compile --emit
package --sign`), its signature checked independently (verify_dap.py), then
on one `hydra card --dap-key` (Mandated DAP) per engine in pcscd's vpcd
reader, for every script: its packages loaded and installed with `hydra
deploy`, the script's answers (pyscard) compared with the expected file,
the packages deleted again. On `thumb` the card runs the packages' code, on
`thumb-interp` and `interp` their bundled bytecode.

    deploy.py [--hydra H] [--engine thumb]... [--suite S]... [--only NAME]

Then the tampering, sent by this script's own GlobalPlatform client (SCP03,
INSTALL [for load], LOAD with DAP blocks): a byte flipped in the code, the
entries, the manifest, the bundled load file, the signature; a package
signed with another key; the target and the ABI version changed (and
signed again with the right key); a package truncated (signed) and a load
file cut short. Each is refused with its status word, the card's contents
and free NVM (GET DATA FF21) stay as they were, and the good package loads
afterwards.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import apdutool
import gp_load
import scp03
from cardmgr import ISD, get_status, open_channel, send, tlvs
from pcsc_card import DEFAULT_READER, DEFAULT_VPCD, Context, HydraCard, PcscError, hydra_binary
from suite import run_script

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "package"))
import verify_dap  # noqa: E402

# Package sections (runtime/docs/native-package.md): kind -> name.
SECTIONS = {1: "identity", 2: "load file", 3: "code", 4: "entries", 5: "manifest"}


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


def uses_secure_channel(script):
    """Scripts that open SCP02/SCP03 themselves expect the cryptograms of
    the card's sequence counter, which every `hydra deploy` session moves:
    they run on factory-loaded cards in suite.py."""
    return any(re.match(r"\s*scp0[23]\b", line) for line in open(script))


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


def deploy_and_run(hydra, entry, base, pkgs, ctx, args):
    """Deploys an entry's packages, runs its script, deletes them; returns
    (APDUs of the script, seconds and LOAD blocks of the deployment)."""
    script = os.path.join(base, entry["script"])
    expected = os.path.join(base, entry.get("expected", entry["script"] + ".expected"))
    t = time.monotonic()
    # One deployment: each install goes with the package of its class.
    argv = [hydra, "deploy", *pkgs, "--reader", args.reader]
    for i in entry.get("install", []):
        argv += ["--install", install_arg(i)]
    said = run(argv, "deploy")
    deployed = time.monotonic() - t
    blocks = sum(int(n) for n in re.findall(r" in (\d+) blocks", said))
    aids = re.findall(r"^loaded ([0-9A-F]+) ", said, re.M)
    try:
        out, apdus = run_script(ctx, open(script).read())
    finally:
        # Newest first: a package goes before the packages it imports.
        argv = [hydra, "deploy", "--reader", args.reader]
        for aid in reversed(aids):
            argv += ["--delete", aid]
        run(argv, "delete")
    diff = apdutool.first_difference(out, open(expected).read())
    if diff:
        line, want, got = diff
        raise PcscError(f"response {line} differs from {expected}\n  expected: {want}\n  actual:   {got}")
    return apdus, deployed, blocks


def sections(block):
    """(kind, offset, length) of each section of a native package."""
    out = []
    for i in range(int.from_bytes(block[12:14], "little")):
        e = block[16 + 12 * i:28 + 12 * i]
        out.append((int.from_bytes(e[0:2], "little"), int.from_bytes(e[4:8], "little"),
                    int.from_bytes(e[8:12], "little")))
    return out


def redigest(block):
    block = bytearray(block)
    block[-32:] = hashlib.sha256(bytes(block[:-32])).digest()
    return bytes(block)


def tampered(good, key, other, runs_code):
    """(what, package bytes, DAP signature, expected status word) of every
    tampering, from the good signed load file `good`."""
    _, dap, rest = verify_dap.tlv(open(good, "rb").read())
    _, _, r2 = verify_dap.tlv(dap)
    _, sig, _ = verify_dap.tlv(r2)
    _, block, _ = verify_dap.tlv(rest)
    out = []
    for kind, at, n in sections(block):
        if kind == 1:
            continue  # the identity must match INSTALL [for load]: its own refusal
        b = bytearray(block)
        b[at + n // 2] ^= 0x01
        # The package digest made to match again: the DAP check must fire.
        out.append((f"a byte of the {SECTIONS[kind]} flipped", redigest(b), sig, 0x6982))
    bad_sig = bytearray(sig)
    bad_sig[10] ^= 0x80
    out.append(("a byte of the signature flipped", block, bytes(bad_sig), 0x6982))
    out.append(("signed with another key", block, verify_dap.sign(block, other), 0x6982))
    # A card without a native engine runs any target's package as its
    # bytecode: there these load (9000), and are deleted again.
    other_target = 0x6A80 if runs_code else 0x9000
    # A runtime ABI one past the card's (the package's own, bytes 6-7 LE).
    abi = int.from_bytes(block[6:8], "little") + 1
    for what, at, value in [
        ("the target thumbv8m.main", 5, b"\x03"),
        (f"runtime ABI version {abi}", 6, abi.to_bytes(2, "little")),
    ]:
        b = bytearray(block)
        b[at:at + len(value)] = value
        b = redigest(b)
        out.append((f"{what}, signed", b, verify_dap.sign(b, key), other_target))
    cut = block[:len(block) - 100]
    out.append(("truncated by 100 bytes, signed", cut, verify_dap.sign(cut, key), 0x6A80))
    return block, sig, out


def free_nvm(conn, s):
    data, sw = send(conn, s.wrap(bytes.fromhex("80CAFF2100")))
    resources = dict(tlvs(dict(tlvs(data)).get(0xFF21, b""))) if sw == 0x9000 else {}
    if 0x82 not in resources:
        raise PcscError(f"GET DATA FF21 answered {sw:04X} {data.hex()}: no free NVM (82)")
    return int.from_bytes(resources[0x82], "big")


def raw_load(conn, aid, block, daps, cut=0):
    """INSTALL [for load] and LOAD of `daps` C4 `block` over SCP03 (C-MAC),
    without the last `cut` bytes; returns the status word of the last
    command."""
    send(conn, bytes.fromhex("00A4040008") + ISD)
    s = open_channel(conn, 0x01)
    _, sw = send(conn, s.wrap(gp_load.install_for_load(aid, sd=ISD, hash_alg="sha256", block=block)))
    if sw != 0x9000:
        return sw
    for c in gp_load.load_commands(block, daps=daps, cut=cut):
        _, sw = send(conn, s.wrap(c))
        if sw != 0x9000:
            return sw
    return sw


def tampering(hydra, engine, key, entries, work, ctx, args):
    """Every tampered package is refused and leaves the card unchanged;
    the good one loads after them."""
    pkgs = next(e[2] for e in entries if len(e[2]) == 1 and e[0].get("install")
                and os.path.getsize(e[2][0]) < 20000)
    other = os.path.join(work, "other.pem")
    run([hydra, "keygen", "-o", other, "--force"], "keygen")
    block, sig, cases = tampered(pkgs[0], key, other, engine == "thumb")
    aid = package_aid(block)
    conn = ctx.connect()
    try:
        send(conn, bytes.fromhex("00A4040008") + ISD)

        def contents():
            s = open_channel(conn, 0x01)
            return (sorted(e[0x4F].hex() for e in get_status(conn, s, 0x20)),
                    sorted(e[0x4F].hex() for e in get_status(conn, s, 0x40)), free_nvm(conn, s))

        before = contents()
        done = []
        for what, b, signature, want in cases:
            sw = raw_load(conn, aid, b, verify_dap.dap_block(ISD, signature))
            if sw != want:
                raise PcscError(f"{what}: answered {sw:04X}, expected {want:04X}")
            if sw == 0x9000:
                s = open_channel(conn, 0x01)
                _, dsw = send(conn, s.wrap(gp_load.delete(aid, True)))
                if dsw != 0x9000:
                    raise PcscError(f"{what}: DELETE answered {dsw:04X}")
            if contents() != before:
                raise PcscError(f"{what}: the card's contents or free NVM changed: {before} -> {contents()}")
            done.append(f"{what} {sw:04X}" if sw != 0x9000 else f"{what} runs as bytecode")
        sw = raw_load(conn, aid, block, verify_dap.dap_block(ISD, sig), cut=50)
        if sw != 0x6A80 or contents() != before:
            raise PcscError(f"a load file cut short: answered {sw:04X}, expected 6A80 and the card unchanged")
        done.append("a load file cut short 6A80")
        sw = raw_load(conn, aid, block, verify_dap.dap_block(ISD, sig))
        if sw != 0x9000:
            raise PcscError(f"the good package after the tampered ones: {sw:04X}")
        s = open_channel(conn, 0x01)
        _, sw = send(conn, s.wrap(gp_load.delete(aid, True)))
        if sw != 0x9000 or contents() != before:
            raise PcscError(f"DELETE of the good package: {sw:04X}, or the card did not come back as it was")
    finally:
        conn.close()
    return f"{len(done)} tamperings, card unchanged (free NVM {before[2]} bytes): " + "; ".join(done)


def package_aid(block):
    """The AID from a native package's identity section."""
    _, at, _ = next(s for s in sections(block) if s[0] == 1)
    return bytes(block[at + 1:at + 1 + block[at]])


def on_engine(hydra, engine, key, entries, work, ctx, args):
    """Runs the tampering and every script on one card; returns the
    number of failures."""
    failed = 0
    card = HydraCard(hydra, engine, vpcd=args.vpcd, ctx=ctx, extra=["--dap-key", key + ".pub"])
    with card:
        ctx.wait_for(True, 900, card.alive)
        try:
            print(f"pass {engine} tampering: {tampering(hydra, engine, key, entries, work, ctx, args)}")
        except (PcscError, scp03.ScpError) as e:
            failed += 1
            print(f"FAIL {engine} tampering: {e}")
        for entry, base, pkgs in entries:
            name = entry["script"]
            if args.only and args.only not in name:
                continue
            if uses_secure_channel(os.path.join(base, name)):
                print(f"skip {engine} {name}: opens its own secure channel (run by suite.py)")
                continue
            try:
                apdus, deployed, blocks = deploy_and_run(hydra, entry, base, pkgs, ctx, args)
                size = sum(os.path.getsize(p) for p in pkgs)
                print(f"pass {engine} {name} (deployed {size} bytes in {blocks} LOAD blocks, {deployed:.1f} s; "
                      f"{apdus} APDUs)")
            except (PcscError, apdutool.ScriptError, scp03.ScpError) as e:
                failed += 1
                print(f"FAIL {engine} {name}: {e}")
                if not card.alive():
                    print(f"FAIL {engine}: the card stopped:\n{card.output()}")
                    return failed + 1
            sys.stdout.flush()
        code = card.stop()
        if code != 0:
            print(f"FAIL {engine}: hydra card exited with {code} after SIGTERM:\n{card.output()}")
            failed += 1
        ctx.wait_for(False, 30)
    return failed


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
    engines = args.engine or ["thumb", "thumb-interp"]
    failed = sum(on_engine(hydra, e, key, entries, work, ctx, args) for e in engines)
    print("every deployed package answers as expected on " + ", ".join(engines) if not failed
          else f"{failed} failures")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
