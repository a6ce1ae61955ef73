# Emits rsa/vectors.rs (the constants of rsa/tests.rs) from the
# pyca/cryptography test vectors (cryptography_vectors 38.0.4, files under
# asymmetric/RSA/), checking each published value with Python `cryptography`
# and computing the values the files do not have (SHA-256 signatures, raw RSA).
import sys, os
from cryptography.hazmat.primitives.asymmetric import rsa, padding
from cryptography.hazmat.primitives import hashes
D = sys.argv[1]

def parse(path):
    ex, cur, label = [], None, None
    for line in open(path):
        line = line.strip()
        if line.startswith("# Example") and ":" in line and "bit RSA key" in line:
            cur = []; ex.append(cur); label = None; continue
        if cur is None: continue
        if line.startswith("#") and line.endswith(":"):
            label = line[1:-1].strip(); cur.append([label, ""]); continue
        if line.startswith("#") or line.startswith("==") or not line:
            label = None; continue
        if label is not None:
            cur[-1][1] += line.replace(" ", "")
    return ex

def key(fields):
    # Public modulus, exponent, then private modulus, public exponent, exponent, primes...
    v = [x[1] for x in fields]
    n, e, _, _, d, p, q, dp, dq, qi = v[:10]
    return dict(n=n, e=e, d=d, p=p, q=q, dp=dp, dq=dq, qi=qi), fields[10:]

def priv(k):
    i = lambda s: int(s, 16)
    pub = rsa.RSAPublicNumbers(i(k["e"]), i(k["n"]))
    return rsa.RSAPrivateNumbers(i(k["p"]), i(k["q"]), i(k["d"]), i(k["dp"]), i(k["dq"]), i(k["qi"]), pub).private_key()

out = []
def const(name, hexs):
    out.append(f'pub const {name}: &str = "{hexs}";')

def keyconsts(prefix, k):
    for f in ["n", "e", "d", "p", "q", "dp", "dq", "qi"]:
        const(f"{prefix}_{f.upper()}", k[f])

sign = parse(os.path.join(D, "pkcs1v15sign-vectors.txt"))
for idx, prefix in [(0, "K1024"), (14, "K2048")]:
    k, rest = key(sign[idx])
    msg, sig = rest[0][1], rest[1][1]
    sk = priv(k)
    sk.public_key().verify(bytes.fromhex(sig), bytes.fromhex(msg), padding.PKCS1v15(), hashes.SHA1())
    s256 = sk.sign(bytes.fromhex(msg), padding.PKCS1v15(), hashes.SHA256()).hex()
    keyconsts(prefix, k)
    const(f"{prefix}_MSG", msg); const(f"{prefix}_SIG_SHA1", sig); const(f"{prefix}_SIG_SHA256", s256)
    m = int(msg[:16], 16) + 2  # a raw RSA input below n: the message's first 8 bytes + 2
    n, d, e = int(k["n"], 16), int(k["d"], 16), int(k["e"], 16)
    L = (n.bit_length() + 7) // 8
    const(f"{prefix}_RAW_IN", m.to_bytes(L, "big").hex()); const(f"{prefix}_RAW_D", pow(m, d, n).to_bytes(L, "big").hex())
    const(f"{prefix}_RAW_E", pow(m, e, n).to_bytes(L, "big").hex())

pss = parse(os.path.join(D, "pkcs-1v2-1d2-vec/pss-vect.txt"))
k, rest = key(pss[0])
msg, salt, sig = rest[0][1], rest[1][1], rest[2][1]
priv(k).public_key().verify(bytes.fromhex(sig), bytes.fromhex(msg), padding.PSS(padding.MGF1(hashes.SHA1()), 20), hashes.SHA1())
const("PSS_N", k["n"]); const("PSS_E", k["e"]); const("PSS_MSG", msg); const("PSS_SIG", sig)

for fname, prefix, pad in [("pkcs1v15crypt-vectors.txt", "CRYPT", padding.PKCS1v15()),
                           ("pkcs-1v2-1d2-vec/oaep-vect.txt", "OAEP", padding.OAEP(padding.MGF1(hashes.SHA1()), hashes.SHA1(), None))]:
    ex = parse(os.path.join(D, fname))
    k, rest = key(ex[0])
    msg, ct = rest[0][1], rest[2][1]
    assert priv(k).decrypt(bytes.fromhex(ct), pad).hex() == msg
    for f in ["n", "e", "p", "q", "dp", "dq", "qi"]:
        const(f"{prefix}_{f.upper()}", k[f])
    const(f"{prefix}_MSG", msg); const(f"{prefix}_CT", ct)
print("\n".join(out))
