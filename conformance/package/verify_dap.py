#!/usr/bin/env python3
"""Checks a signed native package file (what `hydra compile --emit package
--sign KEY` writes) independently of Hydra: the GP load file shape, the
package digest, and the DAP signature, ECDSA P-256/SHA-256 over the SHA-256
of the load file data block, with Python's `cryptography`.

Usage: verify_dap.py FILE.hnp KEY.pub
"""
import sys, hashlib
from cryptography.hazmat.primitives import serialization, hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature


def tlv(b):
    t, l, i = b[0], b[1], 2
    if l == 0x81:
        l, i = b[2], 3
    elif l == 0x82:
        l, i = int.from_bytes(b[2:4], "big"), 4
    elif l == 0x83:
        l, i = int.from_bytes(b[2:5], "big"), 5
    return t, b[i:i + l], b[i + l:]


def check(path, pub_path):
    """Raises unless `path` is a signed native package load file whose DAP
    signature `pub_path`'s key made; returns (SD AID, package length)."""
    lf = open(path, "rb").read()
    pub = serialization.load_pem_public_key(open(pub_path, "rb").read())
    t, v, rest = tlv(lf)
    if t != 0xE2:
        raise ValueError(f"{path}: no DAP block first")
    t1, aid, r2 = tlv(v)
    t2, sig, _ = tlv(r2)
    if (t1, t2, len(sig)) != (0x4F, 0xC3, 64):
        raise ValueError(f"{path}: the DAP block is not 4F AID C3 r||s")
    t, block, rest = tlv(rest)
    if t != 0xC4 or rest:
        raise ValueError(f"{path}: no single C4 load file data block")
    if block[:4] != b"HNPK" or int.from_bytes(block[8:12], "little") != len(block):
        raise ValueError(f"{path}: not a native package")
    if hashlib.sha256(block[:-32]).digest() != block[-32:]:
        raise ValueError(f"{path}: the package digest does not match")
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    pub.verify(encode_dss_signature(r, s), hashlib.sha256(block).digest(), ec.ECDSA(hashes.SHA256()))
    return aid.hex().upper(), len(block)


def sign(block, key_path):
    """The DAP signature r||s of a load file data block with the private
    key in `key_path` (PKCS#8 PEM), as a build server makes it."""
    key = serialization.load_pem_private_key(open(key_path, "rb").read(), None)
    r, s = decode_dss_signature(key.sign(hashlib.sha256(block).digest(), ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def dap_block(sd_aid, signature):
    """E2 { 4F SD AID, C3 signature }."""
    body = bytes([0x4F, len(sd_aid)]) + sd_aid + bytes([0xC3, len(signature)]) + signature
    return bytes([0xE2, len(body)]) + body


if __name__ == "__main__":
    aid, n = check(sys.argv[1], sys.argv[2])
    print(f"DAP signature verifies: security domain {aid}, package of {n} bytes")
