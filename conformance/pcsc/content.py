#!/usr/bin/env python3
"""Content management through PC/SC: on a card that starts empty, every
conformance package arrives by INSTALL [for load] and LOAD over SCP03
(C-MAC and C-DECRYPTION), its applets are installed, its script runs with
the answers `hydra run` must give, and it is deleted again; GET STATUS is
checked after each step. Every other load file carries its Descriptor
component, so the card verifies it; the others come as gp sends them. Then
the refusals: a wrong load-file hash, a package still imported, an unknown
AID, a load file that is not one. Last, a card that accepts verified load
files only (`--verify-loads always`): it refuses a load file without
Descriptor, one importing a package loaded onto it, and one whose bytecode
does not type-check, and takes a verified one.

    content.py [--hydra target/release/hydra] [--engine interp]...
"""

import json
import os
import sys

import apdutool
import gp_load
import scp03
from cardmgr import expect, get_status, open_channel, send
from pcsc_card import CheckFailed, HydraCard, check_args, on_card, per_engine
from suite import run_script

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.path.join(HERE, "../applets/suite.json")
HASHES = [None, "sha1", "sha256"]


def protected(conn, s, apdu):
    data, sw = send(conn, s.wrap(apdu))
    return s.unwrap(data, sw) if sw == 0x9000 and s.level & scp03.R_MAC else data, sw


def load(conn, s, cap, hash_alg, descriptor=False, block=None, last_sw=0x9000):
    block = block or gp_load.load_file_data_block(cap, descriptor)
    aid = gp_load.package_aid(cap)
    expect(f"INSTALL [for load] {aid.hex()}",
           protected(conn, s, gp_load.install_for_load(aid, hash_alg=hash_alg, block=block)),
           (b"\x00", 0x9000))
    cmds = gp_load.load_commands(block)
    for i, c in enumerate(cmds):
        if i < len(cmds) - 1:
            want = (b"", 0x9000)
        else:
            want = (b"\x00", 0x9000) if last_sw == 0x9000 else (b"", last_sw)
        expect(f"LOAD block {i} of {aid.hex()}", protected(conn, s, c), want)
    return aid


def listed(conn, s, p1):
    return sorted(e[0x4F].hex().upper() for e in get_status(conn, s, p1))


def run_entry(ctx, conn, entry, n):
    base = os.path.dirname(SUITE)
    caps = [os.path.join(base, c) for c in entry["load"]]
    s = open_channel(conn, 0x03)
    before = listed(conn, s, 0x20)
    before_apps = listed(conn, s, 0x40)
    aids = [load(conn, s, c, HASHES[(n + i) % 3], descriptor=n % 2 == 0) for i, c in enumerate(caps)]
    for i in entry["install"]:
        cls = bytes.fromhex(i["class_aid"])
        inst = bytes.fromhex(i.get("instance_aid") or i["class_aid"])
        elf = next(a for a in aids if cls.startswith(a)) if any(cls.startswith(a) for a in aids) \
            else bytes.fromhex(i["package_aid"])
        params = bytes.fromhex(i.get("install_parameters", ""))
        privileges = bytes.fromhex(i.get("privileges") or "00")
        expect(f"INSTALL [for install] {inst.hex()}",
               protected(conn, s, gp_load.install_for_install(elf, cls, inst, params, privileges)),
               (b"\x00", 0x9000))
    files = listed(conn, s, 0x20)
    for a in aids:
        if a.hex().upper() not in files:
            raise CheckFailed(f"GET STATUS does not list {a.hex()} after LOAD: {files}")
    apps = listed(conn, s, 0x40)
    for i in entry["install"]:
        if (i.get("instance_aid") or i["class_aid"]) not in apps:
            raise CheckFailed(f"GET STATUS does not list {i['instance_aid']}: {apps}")

    # The script powers the card up and down itself; it ends the connection.
    out, _ = run_script(ctx, open(os.path.join(base, entry["script"])).read(), conn)
    conn = ctx.connect()
    diff = apdutool.first_difference(out, open(os.path.join(base, entry["expected"])).read())
    if diff:
        raise CheckFailed(f"{entry['script']}: response {diff[0]}\n  expected: {diff[1]}\n  actual:   {diff[2]}")

    send(conn, bytes.fromhex("00A4040000"))
    s = open_channel(conn, 0x13)
    # The firewall test's victim leaves its objects in the library's
    # statics; its AppletEvent.uninstall() takes them back when DELETE asks
    # it to, so it goes, and then the library (JCRE 3.0.5 11.3.4).
    for a in reversed(aids):
        expect(f"DELETE {a.hex()} with its applets", protected(conn, s, gp_load.delete(a, related=True)),
               (b"\x00", 0x9000))
    expect("load files after DELETE", listed(conn, s, 0x20), sorted(before))
    expect("applications after DELETE", listed(conn, s, 0x40), sorted(before_apps))
    return conn


def refusals(conn):
    base = os.path.dirname(SUITE)
    server = os.path.join(base, "shareserver/cap/shareserver.cap")
    client = os.path.join(base, "shareclient/cap/shareclient.cap")
    s = open_channel(conn, 0x01)
    before = listed(conn, s, 0x20)
    # A wrong hash: refused at the last block, nothing loaded.
    block = gp_load.load_file_data_block(server)
    aid = gp_load.package_aid(server)
    cmd = bytearray(gp_load.install_for_load(aid, hash_alg="sha256", block=block))
    cmd[-4] ^= 0x01  # the last byte of the hash
    expect("INSTALL [for load], wrong hash", protected(conn, s, bytes(cmd)), (b"\x00", 0x9000))
    cmds = gp_load.load_commands(block)
    for c in cmds[:-1]:
        protected(conn, s, c)
    expect("last LOAD, wrong hash", protected(conn, s, cmds[-1])[1], 0x6A80)
    expect("load files after a refused LOAD", listed(conn, s, 0x20), before)
    # LOAD without INSTALL [for load].
    expect("LOAD without INSTALL", protected(conn, s, cmds[0])[1], 0x6985)
    # Not a load file.
    protected(conn, s, gp_load.install_for_load(aid))
    expect("LOAD of garbage", protected(conn, s, bytes.fromhex("80E88000 06 C404DEADBEEF 00".replace(" ", "")))[1],
           0x6A80)
    # A package still imported; the client's package; unknown AIDs.
    load(conn, s, server, None)
    load(conn, s, client, "sha1")
    expect("INSTALL [for load] of a loaded package", protected(conn, s, gp_load.install_for_load(aid))[1], 0x6985)
    expect("DELETE of an imported package", protected(conn, s, gp_load.delete(aid, True))[1], 0x6985)
    expect("DELETE of an unknown AID", protected(conn, s, gp_load.delete(bytes.fromhex("F0485944527F")))[1], 0x6A88)
    expect("DELETE of the ISD", protected(conn, s, gp_load.delete(bytes.fromhex("A000000151000000")))[1], 0x6985)
    expect("INSTALL of an unknown class",
           protected(conn, s, gp_load.install_for_install(aid, bytes.fromhex("F04859445241097F"),
                                                          bytes.fromhex("F04859445241097F")))[1], 0x6A88)
    expect("DELETE client", protected(conn, s, gp_load.delete(gp_load.package_aid(client), True))[1], 0x9000)
    expect("DELETE server", protected(conn, s, gp_load.delete(aid, True))[1], 0x9000)
    expect("load files at the end", listed(conn, s, 0x20), before)


def verified_only(conn):
    base = os.path.dirname(SUITE)
    pin = os.path.join(base, "pin/cap/pin.cap")
    server = os.path.join(base, "shareserver/cap/shareserver.cap")
    client = os.path.join(base, "shareclient/cap/shareclient.cap")
    s = open_channel(conn, 0x01)
    before = listed(conn, s, 0x20)
    load(conn, s, pin, "sha256", last_sw=0x6985)
    expect("load files after a load file without Descriptor", listed(conn, s, 0x20), before)
    # The first constructor's `aload_0; invokespecial` (its superclass's
    # constructor) made `sconst_0; invokespecial`: a short as receiver.
    block = bytearray(gp_load.load_file_data_block(pin, descriptor=True))
    _, at, size = next(c for c in gp_load.components(block) if c[0] == 7)
    i = block.index(b"\x18\x8C", at, at + 3 + size)
    block[i] = 0x03
    load(conn, s, pin, "sha1", block=bytes(block), last_sw=0x6A80)
    expect("load files after an unverifiable load file", listed(conn, s, 0x20), before)
    load(conn, s, pin, "sha1", descriptor=True)
    load(conn, s, server, None, descriptor=True)
    load(conn, s, client, None, descriptor=True, last_sw=0x6985)
    expect("load files: the verified ones", listed(conn, s, 0x20),
           sorted(before + [gp_load.package_aid(p).hex().upper() for p in (pin, server)]))
    for p in (server, pin):
        expect(f"DELETE {os.path.basename(p)}", protected(conn, s, gp_load.delete(gp_load.package_aid(p), True))[1],
               0x9000)


def main():
    args, hydra, ctx, engines = check_args(__doc__)
    # The card manager's own script deletes what it loads: not run here.
    entries = [e for e in json.load(open(SUITE))["scripts"] if not e["script"].startswith("cardmgr/")]

    def check(engine):
        def body(conn):
            for n, e in enumerate(entries):
                conn = run_entry(ctx, conn, e, n)
            refusals(conn)
            return conn

        on_card(ctx, HydraCard(hydra, engine, [], vpcd=args.vpcd, ctx=ctx), body)
        on_card(ctx, HydraCard(hydra, engine, [], vpcd=args.vpcd, ctx=ctx, extra=["--verify-loads", "always"]),
                verified_only)
        return (f"{len(entries)} scripts with their packages loaded (half verified on the card), installed and "
                "deleted over SCP03; refusals; a card that takes verified load files only")

    return per_engine(engines, check, (scp03.ScpError,))

if __name__ == "__main__":
    sys.exit(main())
