"""GlobalPlatform load files and content-management commands, built from a
CAP archive the way GP clients build them (written from GP 2.3.1 §11 and
JCVM 3.0.5 §6, not from the card's code)."""

import hashlib
import zipfile

# Component file names in a CAP archive, in the order a load file carries
# them (JCVM 3.0.5 §6.2); the optional Descriptor comes last, and gp leaves
# it (and Debug) out.
LOAD_ORDER = ["Header", "Directory", "Import", "Applet", "Class", "Method",
              "StaticField", "Export", "ConstantPool", "RefLocation"]


def ber_len(n):
    if n < 0x80:
        return bytes([n])
    if n < 0x100:
        return bytes([0x81, n])
    if n < 0x10000:
        return bytes([0x82, n >> 8, n & 0xFF])
    return bytes([0x83, n >> 16, (n >> 8) & 0xFF, n & 0xFF])


def lv(b):
    return bytes([len(b)]) + bytes(b)


def load_file_data_block(cap_path, descriptor=False):
    """The components of a CAP archive in load order (with the Descriptor
    component, which lets the card verify the package, when asked)."""
    order = LOAD_ORDER + (["Descriptor"] if descriptor else [])
    with zipfile.ZipFile(cap_path) as z:
        names = {n.rsplit("/", 1)[-1][:-4]: n for n in z.namelist()
                 if n.endswith(".cap") and "/javacard/" in n}
        return b"".join(z.read(names[c]) for c in order if c in names)


def components(block):
    """(tag, offset, size) of each component of a load file data block."""
    out, at = [], 0
    while at + 3 <= len(block):
        size = int.from_bytes(block[at + 1:at + 3], "big")
        out.append((block[at], at, size))
        at += 3 + size
    return out


def package_aid(cap_path):
    """The package AID from the Header component (magic, versions, flags,
    then package info: minor, major, AID length, AID)."""
    with zipfile.ZipFile(cap_path) as z:
        header = z.read(next(n for n in z.namelist() if n.endswith("/javacard/Header.cap")))
    body = header[3:]
    n = body[9]
    return bytes(body[10:10 + n])


def install_for_load(aid, sd=b"", hash_alg=None, block=b""):
    digest = b""
    if hash_alg == "sha1":
        digest = hashlib.sha1(block).digest()
    elif hash_alg == "sha256":
        digest = hashlib.sha256(block).digest()
    data = lv(aid) + lv(sd) + lv(digest) + lv(b"") + lv(b"")
    return bytes([0x80, 0xE6, 0x02, 0x00, len(data)]) + data + b"\x00"


def load_commands(block, chunk=239, daps=b"", cut=0):
    """LOAD commands carrying [DAP blocks] C4 <len> block in chunks (239
    bytes leaves room for C-DECRYPTION padding and the C-MAC in a 255-byte
    body); `cut`: that many bytes left off the end, the C4 length kept."""
    data = daps + b"\xC4" + ber_len(len(block)) + block
    data = data[:len(data) - cut]
    parts = [data[i:i + chunk] for i in range(0, len(data), chunk)]
    out = []
    for i, p in enumerate(parts):
        last = 0x80 if i == len(parts) - 1 else 0x00
        out.append(bytes([0x80, 0xE8, last, i & 0xFF, len(p)]) + p + b"\x00")
    return out


def install_for_install(elf, module, instance, params=b"", privileges=b"\x00", selectable=True):
    c9 = b"\xC9" + ber_len(len(params)) + params
    data = lv(elf) + lv(module) + lv(instance) + lv(privileges) + lv(c9) + lv(b"")
    p1 = 0x0C if selectable else 0x04
    return bytes([0x80, 0xE6, p1, 0x00, len(data)]) + data + b"\x00"


def delete(aid, related=False):
    data = b"\x4F" + lv(aid)
    return bytes([0x80, 0xE4, 0x00, 0x80 if related else 0x00, len(data)]) + data + b"\x00"
