"""The host side of SCP02 (GlobalPlatform Card Specification 2.3.1,
Appendix E; i = 15 and i = 55), written from the specification with
Python's `cryptography`: the oracle the card's SCP02 channel is checked
against.

    s = Scp02(keys=(enc, mac, dek))
    cmd = s.initialize_update(host_challenge, kvn=0)      # APDU bytes
    s.check_init_response(response_data)                  # card cryptogram
    cmd = s.external_authenticate(level)                  # APDU bytes
    cmd = s.wrap(apdu)                                    # C-MAC / C-DEC
    data = s.unwrap(response_data, sw)                    # (no R-MAC)

Session keys are 3DES-CBC (IV 0) of `constant || sequence counter || 00 x
12` under the static key; the cryptograms are full 3DES MACs under S-ENC;
the C-MAC is the ISO 9797-1 MAC algorithm 3 (retail MAC) over the command
with the modified header, its ICV the previous C-MAC encrypted with single
DES under the first half of the C-MAC key; C-DECRYPTION is 3DES-CBC (IV 0)
of the data padded with 80 00...
"""

from cryptography.hazmat.primitives.ciphers import Cipher, modes

try:  # cryptography 43 and later keep 3DES among the "decrepit" algorithms
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # Debian's python3-cryptography (38)
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES

C_MAC, C_DEC = 0x01, 0x02
TEST_KEY = bytes(range(0x40, 0x50))
S_ENC, C_MAC_KEY, R_MAC_KEY, DEK = b"\x01\x82", b"\x01\x01", b"\x01\x02", b"\x01\x81"


class ScpError(Exception):
    pass


def tdes(key):
    # Two-key 3DES as the three-key form K1 K2 K1 (newer `cryptography`
    # warns about 16-byte keys).
    return TripleDES(key + key[:8] if len(key) == 16 else key)


def tdes_cbc(key, iv, data, encrypt=True):
    c = Cipher(tdes(key), modes.CBC(iv))
    op = c.encryptor() if encrypt else c.decryptor()
    return op.update(data) + op.finalize()


def tdes_ecb(key, data, encrypt=True):
    c = Cipher(tdes(key), modes.ECB())
    op = c.encryptor() if encrypt else c.decryptor()
    return op.update(data) + op.finalize()


def des_ecb(key8, block, encrypt=True):
    # Single DES is 3DES with K1 = K2 = K3.
    return tdes_ecb(key8 * 3, block, encrypt)


def pad(data):
    data = data + b"\x80"
    return data + bytes(-len(data) % 8)


def unpad(data):
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise ScpError("bad padding")
    return stripped[:-1]


def full_mac(key, data):
    """ISO 9797-1 MAC algorithm 1 with 3DES, padding method 2, ICV 0."""
    return tdes_cbc(key, bytes(8), pad(data))[-8:]


def retail_mac(key, icv, data):
    """ISO 9797-1 MAC algorithm 3 (single DES chain, 3DES on the last
    block), padding method 2."""
    k1, k2 = key[:8], key[8:16]
    h = icv
    for i in range(0, len(p := pad(data)), 8):
        h = des_ecb(k1, bytes(a ^ b for a, b in zip(h, p[i:i + 8])))
    return des_ecb(k1, des_ecb(k2, h, encrypt=False))


def session_key(key, constant, seq):
    return tdes_cbc(key, bytes(8), constant + bytes(seq) + bytes(12))


def kcv(key):
    """The DES key check value: 3DES-ECB(key, 00 x 8), three bytes."""
    return tdes_ecb(key, bytes(8))[:3]


class Scp02:
    def __init__(self, keys=(TEST_KEY, TEST_KEY, TEST_KEY)):
        self.enc, self.mac, self.dek = keys
        self.level = 0
        self.last_mac = None

    def initialize_update(self, host_challenge, kvn=0):
        self.host_challenge = bytes(host_challenge)
        return bytes([0x80, 0x50, kvn, 0x00, 0x08]) + self.host_challenge + b"\x00"

    def derive(self, seq):
        self.seq = bytes(seq)
        self.s_enc = session_key(self.enc, S_ENC, self.seq)
        self.s_mac = session_key(self.mac, C_MAC_KEY, self.seq)
        self.s_rmac = session_key(self.mac, R_MAC_KEY, self.seq)
        self.s_dek = session_key(self.dek, DEK, self.seq)

    def check_init_response(self, r):
        """Parses the 28-byte INITIALIZE UPDATE response and checks the
        card cryptogram; returns the fields."""
        r = bytes(r)
        if len(r) != 28 or r[11] != 2:
            raise ScpError(f"not an SCP02 answer: {r.hex()}")
        fields = {"kdd": r[:10], "kvn": r[10], "scp": r[11], "seq": r[12:14],
                  "card_challenge": r[14:20], "card_cryptogram": r[20:28]}
        self.derive(fields["seq"])
        self.card_challenge = fields["card_challenge"]
        want = full_mac(self.s_enc, self.host_challenge + self.seq + self.card_challenge)
        if want != fields["card_cryptogram"]:
            raise ScpError("card cryptogram invalid")
        return fields

    def expected_card_challenge(self, seq, aid):
        """The i = 55 pseudo-random card challenge: the retail MAC (ICV 0)
        of the security domain's AID under the C-MAC session key of `seq`,
        six bytes."""
        return retail_mac(session_key(self.mac, C_MAC_KEY, bytes(seq)), bytes(8), bytes(aid))[:6]

    def _mac(self, header, body):
        """C-MAC over the modified header (CLA | 04, Lc + 8) and the plain
        data; the ICV is the previous C-MAC, DES-encrypted (i = 15, 55)."""
        if self.last_mac is None:
            icv = bytes(8)
        else:
            icv = des_ecb(self.s_mac[:8], self.last_mac)
        self.last_mac = retail_mac(self.s_mac, icv, bytes(header) + bytes([len(body) + 8]) + body)
        return self.last_mac

    def external_authenticate(self, level):
        host_cryptogram = full_mac(self.s_enc, self.seq + self.card_challenge + self.host_challenge)
        header = bytes([0x84, 0x82, level, 0x00])
        self.last_mac = None
        mac = self._mac(header, host_cryptogram)
        self.level = level
        return header + bytes([16]) + host_cryptogram + mac

    def wrap(self, apdu):
        """Protects a plain command (CLA INS P1 P2 [Lc data] [Le]) at the
        session's level: the MAC over the plain data, then the encryption."""
        apdu = bytes(apdu)
        header, rest = apdu[:4], apdu[4:]
        if len(rest) <= 1:
            data, le = b"", rest
        else:
            data, le = rest[1:1 + rest[0]], rest[1 + rest[0]:]
        if not self.level & C_MAC:
            return apdu
        header = bytes([header[0] | 0x04]) + header[1:]
        mac = self._mac(header, data)
        if self.level & C_DEC and data:
            data = tdes_cbc(self.s_enc, bytes(8), pad(data))
        return header + bytes([len(data) + 8]) + data + mac + le

    def unwrap(self, response, sw):
        """Response data as the card sends it: levels 01 and 03 protect no
        responses."""
        return bytes(response)

    def put_key_data(self, new_kvn, keys):
        """PUT KEY data of three 3DES keys, encrypted (3DES-ECB) under the
        DEK session key, with their KCVs."""
        data = bytes([new_kvn])
        for k in keys:
            data += b"\x80\x10" + tdes_ecb(self.s_dek, k) + b"\x03" + kcv(k)
        return data


def oracle_vectors():
    """The values the card's unit tests check (runtime/core scp02.rs): test
    keys 40..4F, sequence counter 0001, host challenge 00..07, the ISD AID
    A000000151000000."""
    aid = bytes.fromhex("A000000151000000")
    s = Scp02()
    s.initialize_update(bytes(range(8)))
    seq = b"\x00\x01"
    card = s.expected_card_challenge(seq, aid)
    s.derive(seq)
    cryptogram = full_mac(s.s_enc, bytes(range(8)) + seq + card)
    resp = bytes(10) + bytes([0x20, 2]) + seq + card + cryptogram
    s.check_init_response(resp)
    out = {
        "S_ENC": s.s_enc.hex(), "S_MAC": s.s_mac.hex(), "S_DEK": s.s_dek.hex(),
        "CARD_CHALLENGE": card.hex(), "CARD_CRYPTOGRAM": cryptogram.hex(),
    }
    out["EXTERNAL_AUTHENTICATE_03"] = s.external_authenticate(0x03).hex()
    out["GET_STATUS_03"] = s.wrap(bytes.fromhex("80F28002024F0000")).hex()
    out["GET_STATUS_03_AGAIN"] = s.wrap(bytes.fromhex("80F24002024F0000")).hex()
    s1 = Scp02()
    s1.initialize_update(bytes(range(8)))
    s1.check_init_response(resp)
    out["EXTERNAL_AUTHENTICATE_01"] = s1.external_authenticate(0x01).hex()
    out["GET_STATUS_01"] = s1.wrap(bytes.fromhex("80F28002024F0000")).hex()
    k = bytes(range(0x10, 0x20))
    out["KCV_10_1F"] = kcv(k).hex()
    out["KCV_TEST_KEY"] = kcv(TEST_KEY).hex()
    out["PUT_KEY_DATA_20"] = s1.put_key_data(0x20, [k, k, k]).hex()
    out["RETAIL_MAC_ISO9797"] = retail_mac(bytes.fromhex("0123456789ABCDEFFEDCBA9876543210"),
                                           bytes(8), b"Now is the time for all ").hex()
    return out


if __name__ == "__main__":
    for k, v in oracle_vectors().items():
        print(f'    const {k}: &str = "{v.upper()}";')
