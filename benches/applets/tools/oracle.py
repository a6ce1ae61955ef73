#!/usr/bin/env python3
"""The benchmarks' oracle: reference implementations of every benchmark
algorithm in Python, and the generator of the APDU scripts that drive the
applets (and the C versions) with the responses these implementations give.

Where Python has the algorithm (CRC-16/CCITT in binascii, CRC-32 and
Adler-32 in zlib, SHA-256 in hashlib, big integers, sorted()), it is used
as the oracle; the others (XTEA, the BER-TLV parser, the purse, the object
and exception benchmarks) are written here from their specification in the
applet's class comment, independently of the Java and C code.

    oracle.py            write every <name>/<name>.scr and <name>.quick.scr,
                         their .expected files (with the conformance suite's
                         expected.py), suite.json and suite-quick.json
    oracle.py --check    fail if any of those files is out of date
"""
import binascii
import hashlib
import json
import os
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EXPECTED_PY = os.path.join(ROOT, "..", "..", "conformance", "applets", "tools", "expected.py")

RID = [0xF0, 0x48, 0x59, 0x44, 0x52, 0x41]
PACKAGES = {
    "crc": 0x21, "xtea": 0x22, "sha256": 0x23, "bignum": 0x24, "sort": 0x25,
    "tlv": 0x26, "purse": 0x27, "objects": 0x28, "exceptions": 0x29,
}


def s16(v):
    return ((v + 0x8000) & 0xFFFF) - 0x8000


def be16(v):
    return [(v >> 8) & 0xFF, v & 0xFF]


def be32(v):
    return [(v >> 24) & 0xFF, (v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF]


def data_bytes(n, seed):
    """Deterministic test data (a 32-bit LCG's high bytes)."""
    out, x = [], seed & 0xFFFFFFFF
    for _ in range(n):
        x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
        out.append(x >> 24)
    return out


OK = [0x90, 0x00]


# ---- algorithms ---------------------------------------------------------

def crc(ins, p1, data):
    msg = bytes(data) * p1
    if ins == 0x10:
        return be16(binascii.crc_hqx(msg, 0xFFFF)) + OK
    if ins == 0x11:
        return be32(zlib.crc32(msg)) + OK
    return be32(zlib.adler32(msg)) + OK


M32 = 0xFFFFFFFF
DELTA = 0x9E3779B9


def xtea_block(v0, v1, k, encipher):
    if encipher:
        s = 0
        for _ in range(32):
            v0 = (v0 + ((((v1 << 4) ^ (v1 >> 5)) + v1) ^ (s + k[s & 3]))) & M32
            s = (s + DELTA) & M32
            v1 = (v1 + ((((v0 << 4) ^ (v0 >> 5)) + v0) ^ (s + k[(s >> 11) & 3]))) & M32
    else:
        s = (DELTA * 32) & M32
        for _ in range(32):
            v1 = (v1 - ((((v0 << 4) ^ (v0 >> 5)) + v0) ^ (s + k[(s >> 11) & 3]))) & M32
            s = (s - DELTA) & M32
            v0 = (v0 - ((((v1 << 4) ^ (v1 >> 5)) + v1) ^ (s + k[s & 3]))) & M32
    return v0, v1


def words(b):
    return [int.from_bytes(bytes(b[i:i + 4]), "big") for i in range(0, len(b), 4)]


def xtea(ins, p1, data):
    k = words(data[:16])
    v = words(data[16:])
    for _ in range(p1):
        for i in range(0, len(v), 2):
            v[i], v[i + 1] = xtea_block(v[i], v[i + 1], k, ins == 0x20)
    return [b for w in v for b in be32(w)] + OK


def sha256(ins, p1, data):
    return list(hashlib.sha256(bytes(data) * p1).digest()) + OK


def bignum(ins, p1, data):
    if ins == 0x40:
        n = len(data) // 2
        a, b = int.from_bytes(bytes(data[:n]), "big"), int.from_bytes(bytes(data[n:]), "big")
        carries = 0
        for _ in range(p1):
            a += b
            carries += a >> (8 * n)
            a &= (1 << (8 * n)) - 1
        return list(a.to_bytes(n, "big")) + be16(carries) + OK
    if ins == 0x41:
        n = len(data) // 2
        a, b = int.from_bytes(bytes(data[:n]), "big"), int.from_bytes(bytes(data[n:]), "big")
        return list((a * b).to_bytes(2 * n, "big")) + OK
    if ins == 0x42:
        n = len(data) // 3
        x, m = int.from_bytes(bytes(data[:2 * n]), "big"), int.from_bytes(bytes(data[2 * n:]), "big")
        return list((x % m).to_bytes(n, "big")) + OK
    n = (len(data) - 2) // 2
    base, m = int.from_bytes(bytes(data[:n]), "big"), int.from_bytes(bytes(data[n:2 * n]), "big")
    e = (data[2 * n] << 8) | data[2 * n + 1]
    return list(pow(base, e, m).to_bytes(n, "big")) + OK


def sort(ins, p1, data):
    if ins == 0x52:
        n = (data[0] << 8) | data[1]
        a = [3 * i for i in range(n)]
        hits = total = probes = 0
        for _ in range(p1):
            for key in range(3 * n):
                lo, hi = 0, n - 1
                while lo <= hi:
                    mid = (lo + hi) >> 1
                    probes += 1
                    if a[mid] == key:
                        hits += 1
                        total += mid
                        break
                    if a[mid] < key:
                        lo = mid + 1
                    else:
                        hi = mid - 1
        return be16(hits & 0xFFFF) + be16(total & 0xFFFF) + be16(probes & 0xFFFF) + OK
    seed = s16((data[0] << 8) | data[1])
    n = (data[2] << 8) | data[3]
    check = 0
    for t in range(p1):
        x = s16(seed + t)
        a = []
        for _ in range(n):
            x = s16(x * 25173 + 13849)
            a.append(x)
        a.sort()
        for i, v in enumerate(a):
            check = s16(check + s16(v ^ i))
    return be16(a[0] & 0xFFFF) + be16(a[n // 2] & 0xFFFF) + be16(a[n - 1] & 0xFFFF) + be16(check & 0xFFFF) + OK


class Malformed(Exception):
    pass


def tlv_parse(b, off, end, depth, st):
    st["depth"] = max(st["depth"], depth)
    while off < end:
        first = b[off]
        off += 1
        tag = first
        if first & 0x1F == 0x1F:
            while True:
                if off >= end:
                    raise Malformed
                nb = b[off]
                off += 1
                tag = s16((tag << 8) | nb)
                if not nb & 0x80:
                    break
        if off >= end:
            raise Malformed
        ln = b[off]
        off += 1
        if ln == 0x81:
            if off >= end:
                raise Malformed
            ln = b[off]
            off += 1
        elif ln == 0x82:
            if off + 1 >= end:
                raise Malformed
            ln = s16((b[off] << 8) | b[off + 1])
            off += 2
        elif ln > 0x7F:
            raise Malformed
        if ln < 0 or ln > end - off:
            raise Malformed
        st["count"] += 1
        st["tags"] = s16(st["tags"] + tag)
        if first & 0x20:
            tlv_parse(b, off, off + ln, depth + 1, st)
        else:
            if tag == 0x5A and st["found"] < 0:
                st["found"] = off
            st["values"] = s16(st["values"] + sum(b[off:off + ln]))
        off += ln


def tlv(ins, p1, data):
    st = {"count": 0, "depth": 0, "tags": 0, "values": 0, "found": -1}
    try:
        tlv_parse(data, 0, len(data), 1, st)
    except Malformed:
        return [0x6A, 0x80]
    return (be16(st["count"]) + be16(st["depth"]) + be16(st["tags"] & 0xFFFF)
            + be16(st["values"] & 0xFFFF) + be16(st["found"] & 0xFFFF) + OK)


class Purse:
    PIN = [0x31, 0x32, 0x33, 0x34]

    def __init__(self):
        self.tries, self.validated = 3, False
        self.balance, self.seq, self.log = 0, 0, [0] * 128

    def __call__(self, ins, p1, data):
        if ins == 0x03:
            return OK
        if ins == 0x20:
            if self.tries == 0:
                return [0x69, 0x83]
            self.validated = False
            if data == self.PIN:
                self.tries, self.validated = 3, True
                return OK
            self.tries -= 1
            return [0x63, 0xC0 | self.tries]
        if ins == 0x72:
            return be16(self.balance) + be16(self.seq) + OK
        if not self.validated:
            return [0x69, 0x82]
        amounts = [s16((data[i] << 8) | data[i + 1]) for i in range(0, len(data) - 1, 2)]
        refused = 0
        for _ in range(p1):
            for a in amounts:
                nxt = s16(self.balance + a)
                if nxt < 0 or nxt > 30000:
                    refused += 1
                    continue
                self.balance = nxt
                at = (self.seq & 15) * 8
                rec = be16(self.seq) + [2 if a < 0 else 1] + be16(a & 0xFFFF) + be16(nxt)
                x = 0
                for v in rec:
                    x ^= v
                self.log[at:at + 8] = rec + [x]
                self.seq = s16(self.seq + 1)
        return (be16(self.balance) + be16(self.seq) + be16(refused)
                + be16(sum(self.log) & 0xFFFF) + OK)


class Objects:
    def __init__(self):
        self.reset()

    def reset(self):
        # (kind, state, k or f)
        self.nodes = []
        for i in range(32):
            kind = i & 3
            if kind == 0:
                self.nodes.append([0, i, i + 1])
            elif kind == 1:
                self.nodes.append([1, 7 * i, 0])
            elif kind == 2:
                self.nodes.append([2, i, i | 1])
            else:
                self.nodes.append([3, -i, 3])

    @staticmethod
    def step(n, x):
        kind = n[0]
        if kind == 3:
            n[1] = s16(n[1] + 1)
            x = s16(x ^ 0x55)
        if kind in (0, 3):
            n[1] = s16(n[1] + n[2])
            return s16(x + n[1])
        if kind == 1:
            n[1] = s16(n[1] ^ x)
            return s16(s16(x << 1) ^ n[1])
        return s16(x * n[2] + n[1])

    @staticmethod
    def read(n, t):
        if n[0] == 2:
            return s16(t * 3 - n[1])
        return s16(n[1] + t)

    def __call__(self, ins, p1, data):
        if ins == 0x81:
            self.reset()
            return OK
        x = s16((data[0] << 8) | data[1])
        acc = 0
        for _ in range(p1):
            for n in self.nodes:
                x = self.step(n, x)
            for n in self.nodes:
                acc = s16(acc + self.read(n, x))
                if n[0] == 2:
                    acc = s16(acc ^ n[2])
        return be16(x & 0xFFFF) + be16(acc & 0xFFFF) + OK


def exceptions(ins, p1, data):
    acc = fin = caught = 0
    for _ in range(p1):
        for i in range(64):
            kind = i & 3
            if kind == 0:
                acc = s16(acc + i + 1)
            elif kind == 1:
                caught += 1
                if i & 7 == 5:
                    acc = s16(acc ^ (0x6100 | i))
                else:
                    acc = s16(acc + 3 * i)
            elif kind == 2:
                caught += 1
                acc = s16(acc ^ (0x6200 + i))
            elif i & 4 == 0:
                caught += 1
                acc = s16(acc - i)
            else:
                acc = s16(acc + i // 4 + 1)
            fin += 1
    return be16(acc & 0xFFFF) + be16(fin & 0xFFFF) + be16(caught & 0xFFFF) + OK


# ---- scripts ------------------------------------------------------------

def tlv_sample():
    """An EMV-like record: nested templates, two-byte tags, long lengths."""
    def obj(tag, value):
        n = len(value)
        ln = [n] if n < 0x80 else ([0x81, n] if n < 0x100 else [0x82, n >> 8, n & 0xFF])
        return tag + ln + value
    pan = obj([0x5A], [0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x00, 0x10])
    inner = (obj([0x88], [0x01]) + obj([0x5F, 0x2D], list(b"enfrde"))
             + obj([0xBF, 0x0C], obj([0x9F, 0x4D], [0x0B, 0x0A]) + obj([0x9F, 0x6E], data_bytes(20, 7))))
    rec = (obj([0x57], data_bytes(19, 1)) + obj([0x5F, 0x20], list(b"HYDRA/METER ONE")) + pan
           + obj([0x5F, 0x24], [0x29, 0x12, 0x31]) + obj([0x9F, 0x1F], data_bytes(40, 2))
           + obj([0xA5], inner) + obj([0x9F, 0x81, 0x01], data_bytes(16, 3)))
    return obj([0x70], obj([0x8C], data_bytes(33, 4)) + rec) + obj([0x9F, 0x38], data_bytes(9, 5))


def tlv_small():
    return [0x70, 0x0F, 0x5A, 0x04, 0x47, 0x61, 0x73, 0x90, 0x5F, 0x24, 0x03, 0x29, 0x12, 0x31,
            0x88, 0x01, 0x02]


# Each benchmark: (model, full commands, quick commands); a command is
# (INS, P1, data). The model is called in script order.
def benchmarks():
    key = data_bytes(16, 11)
    tlv_data = tlv_sample()
    assert len(tlv_data) <= 255, len(tlv_data)
    purse_amounts = [v for a in [500, -120, 2500, -7000, 40, -30001, 999, -1] for v in be16(a & 0xFFFF)]
    return {
        "crc": (lambda: crc,
                [(0x10, 4, data_bytes(128, 1)), (0x11, 4, data_bytes(128, 2)), (0x12, 8, data_bytes(128, 3))],
                [(0x11, 1, data_bytes(32, 2))]),
        "xtea": (lambda: xtea,
                 [(0x20, 4, key + data_bytes(64, 4)),
                  (0x21, 4, key + xtea(0x20, 4, key + data_bytes(64, 4))[:-2])],
                 [(0x20, 1, key + data_bytes(8, 4))]),
        "sha256": (lambda: sha256,
                   [(0x30, 1, list(b"abc")), (0x30, 4, data_bytes(128, 5)), (0x30, 1, data_bytes(55, 6))],
                   [(0x30, 1, list(b"abc"))]),
        "bignum": (lambda: bignum,
                   [(0x40, 32, data_bytes(64, 7)), (0x41, 2, data_bytes(64, 8)),
                    (0x42, 1, data_bytes(96, 9)), (0x43, 1, data_bytes(16, 10) + [0x00, 0x11])],
                   [(0x41, 1, data_bytes(16, 8))]),
        "sort": (lambda: sort,
                 [(0x50, 2, [0x12, 0x34, 0x00, 0x80]), (0x51, 1, [0x43, 0x21, 0x00, 0x40]),
                  (0x52, 1, [0x00, 0x80])],
                 [(0x50, 1, [0x12, 0x34, 0x00, 0x10])]),
        "tlv": (lambda: tlv,
                [(0x60, 16, tlv_data), (0x60, 1, [0x70, 0x05, 0x5A, 0x08, 0x01, 0x02, 0x03])],
                [(0x60, 1, tlv_small())]),
        "purse": (Purse,
                  [(0x70, 1, purse_amounts[:4]), (0x20, 0, [0x31, 0x32, 0x33, 0x35]),
                   (0x20, 0, [0x31, 0x32, 0x33, 0x34]), (0x70, 8, purse_amounts), (0x72, 0, [])],
                  [(0x20, 0, [0x31, 0x32, 0x33, 0x34]), (0x70, 1, purse_amounts[:8])]),
        "objects": (Objects,
                    [(0x81, 0, []), (0x80, 8, [0x12, 0x34]), (0x80, 8, [0xFE, 0xDC])],
                    [(0x80, 1, [0x12, 0x34])]),
        "exceptions": (lambda: exceptions, [(0x90, 4, [])], [(0x90, 1, [])]),
    }


# The benchmarks whose applet answers INS 03 with one update of a persistent
# field outside a transaction: `hydra bench` reports its cost beside INS 02's.
FIELD_UPDATE = {"purse"}


def hexs(bs):
    return " ".join(f"0x{b:02X}" for b in bs)


def script(name, commands, model, quick):
    p = PACKAGES[name]
    aid = RID + [p, 0x01]
    lines = [
        f"// Benchmark {name}{' (quick: one small input)' if quick else ''}: hydra.bench.{name}.",
        "// Generated by benches/applets/tools/oracle.py: every //> line is the",
        "// response of the oracle's reference implementation.",
        "powerup;",
        "// SELECT",
        hexs([0x00, 0xA4, 0x04, 0x00, len(aid)] + aid + [0x7F]) + ";",
        "//> 90 00",
        "// INS 02: no work (the cost of an APDU)",
        hexs([0x80, 0x02, 0x00, 0x00, 0x00, 0x7F]) + ";",
        "//> 90 00",
    ]
    if name in FIELD_UPDATE:
        lines += [
            "// INS 03: one persistent field update outside a transaction (the store barrier)",
            hexs([0x80, 0x03, 0x00, 0x00, 0x00, 0x7F]) + ";",
            "//> 90 00",
        ]
    for ins, p1, data in commands:
        resp = model(ins, p1, data)
        lines.append(f"// INS {ins:02X} P1 {p1}, {len(data)} bytes")
        lines.append(hexs([0x80, ins, p1, 0x00, len(data)] + data + [0x7F]) + ";")
        lines.append("//> " + " ".join(f"{b:02x}" for b in resp))
    lines.append("powerdown;")
    return "\n".join(lines) + "\n"


def suite(names, quick):
    scripts = []
    for name in names:
        p = PACKAGES[name]
        base = f"{name}/{name}{'.quick' if quick else ''}.scr"
        aid = "".join(f"{b:02X}" for b in RID + [p, 0x01])
        scripts.append({
            "script": base,
            "expected": base + ".expected",
            "load": [f"{name}/cap/{name}.cap"],
            "install": [{
                "package_aid": aid[:-2],
                "class_aid": aid,
                "instance_aid": aid,
                "install_parameters": "",
                "privileges": "00",
            }],
        })
    return json.dumps({"format": 1, "scripts": scripts}, indent=2) + "\n"


def selftest():
    # XTEA test vector (key 00..0f, plaintext "ABCDEFGH").
    k = words(list(range(16)))
    v = xtea_block(0x41424344, 0x45464748, k, True)
    assert v == (0x497DF3D0, 0x72612CB5), [hex(x) for x in v]
    assert xtea_block(*v, k, False) == (0x41424344, 0x45464748)
    assert binascii.crc_hqx(b"123456789", 0xFFFF) == 0x29B1
    assert zlib.crc32(b"123456789") == 0xCBF43926


def main(argv):
    check = argv[:1] == ["--check"]
    selftest()
    files = {}
    benches = benchmarks()
    for name, (model, full, quick) in benches.items():
        files[f"{name}/{name}.scr"] = script(name, full, model(), False)
        files[f"{name}/{name}.quick.scr"] = script(name, quick, model(), True)
    files["suite.json"] = suite(benches, False)
    files["suite-quick.json"] = suite(benches, True)
    stale = []
    for rel, text in files.items():
        path = os.path.join(ROOT, rel)
        old = open(path).read() if os.path.exists(path) else None
        if old != text:
            if check:
                stale.append(rel)
            else:
                open(path, "w").write(text)
    scrs = [os.path.join(ROOT, r) for r in files if r.endswith(".scr")]
    r = subprocess.run([sys.executable, EXPECTED_PY] + (["--check"] if check else []) + scrs)
    for rel in stale:
        print(f"{rel} is out of date")
    return 1 if stale or r.returncode else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
