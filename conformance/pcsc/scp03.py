"""The host side of SCP03 (GlobalPlatform Card Specification 2.3.1,
Amendment D), written from the specification with Python's `cryptography`:
the oracle the card's secure channel is checked against.

    s = Scp03(keys=(enc, mac, dek))
    cmd = s.initialize_update(host_challenge, kvn=0)      # APDU bytes
    s.check_init_response(response_data)                  # card cryptogram
    cmd = s.external_authenticate(level)                  # APDU bytes
    cmd = s.wrap(apdu)                                    # C-MAC / C-DEC
    data = s.unwrap(response_data_with_rmac, sw)          # R-MAC / R-ENC
"""

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

C_MAC, C_DEC, R_MAC, R_ENC = 0x01, 0x02, 0x10, 0x20
TEST_KEY = bytes(range(0x40, 0x50))


class ScpError(Exception):
    pass


def aes_cmac(key, data):
    c = cmac.CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()


def kdf(key, constant, bits, context):
    out = b""
    for i in range(1, (bits + 127) // 128 + 1):
        out += aes_cmac(key, bytes(11) + bytes([constant, 0]) + bits.to_bytes(2, "big") + bytes([i]) + context)
    return out[: bits // 8]


def aes_ecb(key, block):
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return e.update(block) + e.finalize()


def cbc(key, iv, data, encrypt):
    c = Cipher(algorithms.AES(key), modes.CBC(iv))
    op = c.encryptor() if encrypt else c.decryptor()
    return op.update(data) + op.finalize()


def pad(data):
    data = data + b"\x80"
    return data + bytes(-len(data) % 16)


def unpad(data):
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise ScpError("bad padding")
    return stripped[:-1]


class Scp03:
    def __init__(self, keys=(TEST_KEY, TEST_KEY, TEST_KEY)):
        self.enc, self.mac, self.dek = keys
        self.level = 0
        self.chain = bytes(16)
        self.counter = 0

    def initialize_update(self, host_challenge, kvn=0):
        self.host_challenge = bytes(host_challenge)
        return bytes([0x80, 0x50, kvn, 0x00, 0x08]) + self.host_challenge + b"\x00"

    def check_init_response(self, r):
        """Parses the INITIALIZE UPDATE response and checks the card
        cryptogram; returns the fields."""
        r = bytes(r)
        if len(r) not in (29, 32) or r[11] != 3:
            raise ScpError(f"not an SCP03 answer: {r.hex()}")
        fields = {"kdd": r[:10], "kvn": r[10], "scp": r[11], "i": r[12],
                  "card_challenge": r[13:21], "card_cryptogram": r[21:29],
                  "counter": r[29:32] if len(r) == 32 else None}
        self.card_challenge = fields["card_challenge"]
        ctx = self.host_challenge + self.card_challenge
        self.s_enc = kdf(self.enc, 0x04, len(self.enc) * 8, ctx)
        self.s_mac = kdf(self.mac, 0x06, len(self.mac) * 8, ctx)
        self.s_rmac = kdf(self.mac, 0x07, len(self.mac) * 8, ctx)
        self.context = ctx
        if kdf(self.s_mac, 0x00, 64, ctx) != fields["card_cryptogram"]:
            raise ScpError("card cryptogram invalid")
        return fields

    def expected_card_challenge(self, counter, aid):
        return kdf(self.enc, 0x02, 64, bytes(counter) + bytes(aid))

    def _mac(self, header, body):
        """C-MAC of a command whose data (without MAC) is `body`."""
        data = bytes(header) + bytes([len(body) + 8]) + body
        full = aes_cmac(self.s_mac, self.chain + data)
        self.chain = full
        return full[:8]

    def external_authenticate(self, level):
        host_cryptogram = kdf(self.s_mac, 0x01, 64, self.context)
        header = bytes([0x84, 0x82, level, 0x00])
        mac = self._mac(header, host_cryptogram)
        self.level = level
        self.counter = 0
        return header + bytes([16]) + host_cryptogram + mac

    def wrap(self, apdu):
        """Protects a plain command (CLA INS P1 P2 [Lc data] [Le]) at the
        session's level."""
        apdu = bytes(apdu)
        header, rest = apdu[:4], apdu[4:]
        if len(rest) <= 1:
            data, le = b"", rest
        else:
            data, le = rest[1:1 + rest[0]], rest[1 + rest[0]:]
        if not self.level & C_MAC:
            return apdu
        if self.level & C_DEC:
            self.counter += 1
            if data:
                icv = aes_ecb(self.s_enc, self.counter.to_bytes(16, "big"))
                data = cbc(self.s_enc, icv, pad(data), True)
        header = bytes([header[0] | 0x04]) + header[1:]
        mac = self._mac(header, data)
        return header + bytes([len(data) + 8]) + data + mac + le

    def unwrap(self, response, sw):
        """Checks the R-MAC and decrypts the data of a response (data
        without SW1 SW2)."""
        response = bytes(response)
        if self.level & R_MAC:
            if len(response) < 8:
                raise ScpError("response without R-MAC")
            response, rmac = response[:-8], response[-8:]
            want = aes_cmac(self.s_rmac, self.chain + response + sw.to_bytes(2, "big"))[:8]
            if rmac != want:
                raise ScpError("R-MAC invalid")
        if self.level & R_ENC and response:
            icv = aes_ecb(self.s_enc, b"\x80" + self.counter.to_bytes(16, "big")[1:])
            response = unpad(cbc(self.s_enc, icv, response, False))
        return response


def oracle_vectors():
    """The values the card's unit tests check (runtime/core scp03.rs)."""
    s = Scp03()
    aid = bytes.fromhex("A000000151000000")
    card_challenge = s.expected_card_challenge(b"\x00\x00\x01", aid)
    s.initialize_update(bytes(range(8)))
    card_cryptogram = kdf(kdf(TEST_KEY, 0x06, 128, bytes(range(8)) + card_challenge), 0x00, 64,
                          bytes(range(8)) + card_challenge)
    resp = bytes(10) + bytes([0x30, 3, 0x70]) + card_challenge + card_cryptogram + b"\x00\x00\x01"
    s.check_init_response(resp)
    ext = s.external_authenticate(0x33)
    get_status = s.wrap(bytes.fromhex("80F28002024F0000"))
    # The card's answer, as the card must wrap it.
    # The ISD's entry: AID, life cycle SECURED, privileges, its SD.
    data = bytes.fromhex("E31D4F08A0000001510000009F70010FC5039EFE80CC08A000000151000000")
    icv = aes_ecb(s.s_enc, b"\x80" + s.counter.to_bytes(16, "big")[1:])
    enc = cbc(s.s_enc, icv, pad(data), True)
    rmac = aes_cmac(s.s_rmac, s.chain + enc + b"\x90\x00")[:8]
    response = enc + rmac + b"\x90\x00"
    assert s.unwrap(enc + rmac, 0x9000) == data
    return {
        "ORACLE_CARD_CHALLENGE": card_challenge.hex(),
        "ORACLE_CARD_CRYPTOGRAM": card_cryptogram.hex(),
        "ORACLE_EXTERNAL_AUTHENTICATE_33": ext.hex(),
        "ORACLE_GET_STATUS_33": get_status.hex(),
        "ORACLE_RESPONSE_33": response.hex(),
    }


if __name__ == "__main__":
    for k, v in oracle_vectors().items():
        print(f'    const {k}: &str = "{v.upper()}";')
