#!/usr/bin/env python3
"""Write <name>.scr.expected from the hand-written expectations in <name>.scr.

In a script, every command APDU is followed by a comment line
    //> <response data bytes> <SW1> <SW2>
(hex, spaces between bytes) giving the response worked out by hand from the
applet source. apdutool ignores it as a comment; this tool turns the command
and the expectation into apdutool's output line:
    CLA: 80, INS: 10, P1: 00, P2: 00, Lc: 02, 12, 34, Le: 02, 56, 78, SW1: 90, SW2: 00

    expected.py [--check] <script.scr>...
--check compares with the existing .expected files instead of writing them.
"""
import sys


def apdutool_byte(token, path, no):
    """A byte as apdutool reads it: 0x-prefixed hex, otherwise decimal."""
    try:
        value = int(token[2:], 16) if token.lower().startswith("0x") else int(token, 10)
    except ValueError:
        value = -1
    if not 0 <= value <= 255:
        sys.exit(f"{path}:{no}: '{token}' is not a byte (0x00-0xFF or 0-255)")
    return value


def parse(path):
    """Yield (command bytes, expected response bytes, line number)."""
    text = open(path).read().splitlines()
    pending = None
    tokens = []
    for no, raw in enumerate(text, 1):
        line = raw.strip()
        if line.startswith("//>"):
            if pending is None:
                sys.exit(f"{path}:{no}: expectation without a command")
            resp = [int(b, 16) for b in line[3:].split()]
            if len(resp) < 2:
                sys.exit(f"{path}:{no}: expectation needs at least SW1 SW2")
            yield pending[0], resp, pending[1]
            pending = None
            continue
        code = line.split("//", 1)[0].strip()
        if not code:
            continue
        tokens.append(code)
        if not code.endswith(";"):
            continue
        stmt = " ".join(tokens)[:-1].split()
        tokens = []
        if stmt in (["powerup"], ["powerdown"]) or stmt[0] == "scp03":
            if pending is not None:
                sys.exit(f"{path}:{pending[1]}: command without expectation")
            continue
        if pending is not None:
            sys.exit(f"{path}:{pending[1]}: command without expectation")
        pending = ([apdutool_byte(t, path, no) for t in stmt], no)
    if pending is not None:
        sys.exit(f"{path}:{pending[1]}: command without expectation")


def fmt(cmd, resp, path, no):
    hdr, rest = cmd[:4], cmd[4:]
    if rest[0] != 0 or len(rest) == 2:
        # short form: Lc (1 byte), data, Le (1 byte)
        lc = rest[0]
        data, le = rest[1:1 + lc], rest[1 + lc:]
        if len(le) != 1:
            sys.exit(f"{path}:{no}: Lc {lc:#x} does not match the command length")
        width = 2
    else:
        # extended form: Lc = 00 HH LL, data, Le = HH LL
        lc = (rest[1] << 8) | rest[2]
        data, le = rest[3:3 + lc], rest[3 + lc:]
        if len(le) != 2:
            sys.exit(f"{path}:{no}: extended Lc {lc:#x} does not match the command length")
        width = 4
    body, sw = resp[:-2], resp[-2:]
    parts = [f"CLA: {hdr[0]:02x}", f"INS: {hdr[1]:02x}", f"P1: {hdr[2]:02x}", f"P2: {hdr[3]:02x}"]
    parts.append(f"Lc: {lc:0{width}x}")
    parts += [f"{b:02x}" for b in data]
    parts.append(f"Le: {len(body):0{width}x}")
    parts += [f"{b:02x}" for b in body]
    parts += [f"SW1: {sw[0]:02x}", f"SW2: {sw[1]:02x}"]
    return ", ".join(parts)


def main(argv):
    check = False
    if argv and argv[0] == "--check":
        check, argv = True, argv[1:]
    bad = 0
    for path in argv:
        out = "".join(fmt(c, r, path, n) + "\n" for c, r, n in parse(path))
        target = path + ".expected"
        if check:
            try:
                old = open(target).read()
            except FileNotFoundError:
                old = None
            if old != out:
                print(f"{target} is out of date")
                bad = 1
        else:
            open(target, "w").write(out)
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
