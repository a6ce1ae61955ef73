#!/usr/bin/env python3
"""The card manager through PC/SC, checked against the independent SCP03
and SCP02 hosts in scp03.py and scp02.py: the ISD's FCI, GET DATA, a secure
channel at every security level (C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION)
with GET STATUS of the ISD, the applications and the load files, the
refusals (wrong keys, a wrong host cryptogram, a bad MAC, a replayed
command, an unknown key version), PUT KEY and SET STATUS; then a 3DES key
set put over SCP03, SCP02 channels with it at levels 01 and 03 (i = 55,
the pseudo-random card challenge checked), GET STATUS over them, PUT KEY
over SCP02 and the same refusals.

    cardmgr.py [--hydra target/release/hydra] [--engine interp]...
"""

import os
import sys

import scp02
import scp03
from pcsc_card import CheckFailed, HydraCard, check_args, on_card, per_engine

HERE = os.path.dirname(os.path.abspath(__file__))
PIN_CAP = os.path.join(HERE, "../applets/pin/cap/pin.cap")
ISD = bytes.fromhex("A000000151000000")
PIN_PACKAGE = bytes.fromhex("F0485944524108")
PIN_APPLET = bytes.fromhex("F048594452410801")
LEVELS = [0x00, 0x01, 0x03, 0x11, 0x13, 0x33]


def tlvs(b):
    """Top-level BER-TLVs of b as (tag, value) pairs."""
    out, i = [], 0
    while i < len(b):
        tag = b[i]
        i += 1
        if tag & 0x1F == 0x1F:
            tag = (tag << 8) | b[i]
            i += 1
        n = b[i]
        i += 1
        if n == 0x81:
            n, i = b[i], i + 1
        elif n == 0x82:
            n, i = (b[i] << 8) | b[i + 1], i + 2
        out.append((tag, bytes(b[i:i + n])))
        i += n
    return out


def expect(what, got, want):
    if got != want:
        raise CheckFailed(f"{what}: got {got!r}, expected {want!r}")


def send(conn, apdu):
    data, sw1, sw2 = conn.transmit(apdu)
    return bytes(data), (sw1 << 8) | sw2


def open_channel(conn, level, host=scp03.Scp03(), challenge=bytes(range(8)), kvn=0x30):
    s = scp03.Scp03((host.enc, host.mac, host.dek))
    data, sw = send(conn, s.initialize_update(challenge, kvn))
    expect("INITIALIZE UPDATE status", sw, 0x9000)
    fields = s.check_init_response(data)
    expect("key version, SCP, i", (fields["kvn"], fields["scp"], fields["i"]), (kvn, 3, 0x70))
    expect("pseudo-random card challenge", fields["card_challenge"],
           s.expected_card_challenge(fields["counter"], ISD))
    data, sw = send(conn, s.external_authenticate(level))
    expect(f"EXTERNAL AUTHENTICATE at {level:02X}", (data, sw), (b"", 0x9000))
    return s


def get_status(conn, s, p1):
    """All E3 entries of a GET STATUS, following 6310 pages."""
    entries, p2 = [], 0x02
    while True:
        data, sw = send(conn, s.wrap(bytes([0x80, 0xF2, p1, p2, 0x02, 0x4F, 0x00, 0x00])))
        if sw == 0x6A88:
            return entries
        data = s.unwrap(data, sw)
        entries += [dict(tlvs(v)) for t, v in tlvs(data) if t == 0xE3]
        if sw == 0x9000:
            return entries
        expect("GET STATUS status", sw, 0x6310)
        p2 = 0x03


def check_card(ctx, conn):
    data, sw = send(conn, bytes.fromhex("00A4040000"))
    expect("SELECT without AID", sw, 0x9000)
    fci = dict(tlvs(dict(tlvs(data))[0x6F]))
    expect("FCI tag 84", fci[0x84], ISD)
    a5 = dict(tlvs(fci[0xA5]))
    expect("max command data 9F65", a5[0x9F65], b"\xff")
    crd = dict(tlvs(a5[0x73]))
    expect("GP OID", crd[0x06], bytes.fromhex("2A864886FC6B01"))
    expect("SCP03 i=70 in card recognition data", crd[0x64], bytes.fromhex("06092A864886FC6B040370"))
    data, sw = send(conn, bytes.fromhex("80CA9F7F00"))
    expect("CPLC", (data[:3], len(data), sw), (bytes.fromhex("9F7F2A"), 45, 0x9000))
    expect("GET STATUS without a channel", send(conn, bytes.fromhex("80F28002024F0000"))[1], 0x6982)

    for level in LEVELS:
        s = open_channel(conn, level)
        isd = get_status(conn, s, 0x80)
        expect(f"ISD entry at level {level:02X}", [(e[0x4F], e[0x9F70], e[0xC5]) for e in isd],
               [(ISD, b"\x0f", bytes.fromhex("9EFE80"))])
        apps = get_status(conn, s, 0x40)
        expect("applications", [(e[0x4F], e[0x9F70], e[0xC4]) for e in apps],
               [(PIN_APPLET, b"\x07", PIN_PACKAGE)])
        files = get_status(conn, s, 0x10)
        aids = [e[0x4F] for e in files]
        if PIN_PACKAGE not in aids or bytes.fromhex("A0000000620101") not in aids:
            raise CheckFailed(f"load files at level {level:02X}: {[a.hex() for a in aids]}")

    # A replayed command: refused, and the channel is closed with it.
    s = open_channel(conn, 0x01)
    cmd = s.wrap(bytes.fromhex("80F28002024F0000"))
    expect("first GET STATUS", send(conn, cmd)[1], 0x9000)
    expect("replayed GET STATUS", send(conn, cmd)[1], 0x6982)
    expect("after the refusal", send(conn, s.wrap(bytes.fromhex("80F28002024F0000")))[1], 0x6982)
    # A flipped MAC bit.
    s = open_channel(conn, 0x03)
    cmd = bytearray(s.wrap(bytes.fromhex("80F28002024F0000")))
    cmd[-2] ^= 0x01
    expect("bad C-MAC", send(conn, bytes(cmd))[1], 0x6982)
    # Wrong keys: the card's cryptogram does not match ours.
    wrong = scp03.Scp03((bytes(16), bytes(16), bytes(16)))
    data, sw = send(conn, wrong.initialize_update(bytes(8)))
    try:
        wrong.check_init_response(data)
        raise CheckFailed("a card cryptogram matched the wrong keys")
    except scp03.ScpError:
        pass
    # A wrong host cryptogram.
    expect("wrong host cryptogram", send(conn, wrong.external_authenticate(0x01))[1], 0x6300)
    # An unknown key version.
    expect("unknown key version", send(conn, bytes.fromhex("8050310008000102030405060700"))[1], 0x6A88)


def put_key_command(replace, new_kvn, keys, dek):
    """PUT KEY of three AES keys, encrypted under `dek` with their KCVs."""
    data = bytes([new_kvn])
    for k in keys:
        enc = scp03.cbc(dek, bytes(16), k, True)
        data += bytes([0x88, 1 + len(enc), len(k)]) + enc + b"\x03" + kcv(k)
    return bytes([0x80, 0xD8, replace, 0x81, len(data)]) + data + b"\x00"


def kcv(key):
    return scp03.aes_ecb(key, bytes([1] * 16))[:3]


def keys_and_states(conn):
    """PUT KEY (add, use, replace, bad KCV) and SET STATUS (application and
    card locks, a forbidden transition)."""
    k1 = bytes(range(0x10, 0x20))
    k2 = bytes(range(0x20, 0x30))
    s = open_channel(conn, 0x03)
    data, sw = send(conn, s.wrap(put_key_command(0x00, 0x31, [k1, k1, k1], scp03.TEST_KEY)))
    expect("PUT KEY (add 31)", (data, sw), (b"\x31" + kcv(k1) * 3, 0x9000))
    s = open_channel(conn, 0x01, host=scp03.Scp03((k1, k1, k1)), kvn=0x31)
    data, sw = send(conn, s.wrap(put_key_command(0x31, 0x31, [k2, k2, k2], k1)))
    expect("PUT KEY (replace 31)", (data, sw), (b"\x31" + kcv(k2) * 3, 0x9000))
    bad = bytearray(put_key_command(0x00, 0x32, [k1, k1, k1], k2))
    bad[-2] ^= 1
    s = open_channel(conn, 0x01, host=scp03.Scp03((k2, k2, k2)), kvn=0x31)
    expect("PUT KEY with a wrong KCV", send(conn, s.wrap(bytes(bad)))[1], 0x6A80)
    send(conn, bytes.fromhex("00A4040000"))  # ends the channel
    data, sw = send(conn, bytes.fromhex("80CA00E000"))
    kvns = sorted({v[1] for t, v in tlvs(dict(tlvs(data))[0xE0]) if t == 0xC0})
    expect("key versions in the key information template", kvns, [0x30, 0x31])

    s = open_channel(conn, 0x01)
    expect("lock the PIN applet", send(conn, s.wrap(bytes.fromhex("80F0408008") + PIN_APPLET))[1], 0x9000)
    expect("locked application", [e[0x9F70] for e in get_status(conn, s, 0x40)], [b"\x87"])
    expect("SELECT of a locked application", send(conn, bytes.fromhex("00A4040008") + PIN_APPLET)[1], 0x6A82)
    s = open_channel(conn, 0x01)
    expect("unlock it", send(conn, s.wrap(bytes.fromhex("80F0400008") + PIN_APPLET))[1], 0x9000)
    expect("lock the card", send(conn, s.wrap(bytes.fromhex("80F0807F00")))[1], 0x9000)
    expect("card life cycle", [e[0x9F70] for e in get_status(conn, s, 0x80)], [b"\x7f"])
    expect("SELECT on a locked card", send(conn, bytes.fromhex("00A4040008") + PIN_APPLET)[1], 0x6A82)
    s = open_channel(conn, 0x01)
    expect("SECURED -> INITIALIZED is refused", send(conn, s.wrap(bytes.fromhex("80F0800700")))[1], 0x6985)
    expect("unlock the card", send(conn, s.wrap(bytes.fromhex("80F0800F00")))[1], 0x9000)
    expect("SELECT after the unlock", send(conn, bytes.fromhex("00A4040008") + PIN_APPLET)[1], 0x9000)


def open_scp02(conn, level, keys, kvn=0x20, challenge=bytes(range(8))):
    s = scp02.Scp02(keys)
    data, sw = send(conn, s.initialize_update(challenge, kvn))
    expect("SCP02 INITIALIZE UPDATE status", sw, 0x9000)
    fields = s.check_init_response(data)
    expect("key version, SCP", (fields["kvn"], fields["scp"]), (kvn, 2))
    expect("i = 55 pseudo-random card challenge", fields["card_challenge"],
           s.expected_card_challenge(fields["seq"], ISD))
    data, sw = send(conn, s.external_authenticate(level))
    expect(f"SCP02 EXTERNAL AUTHENTICATE at {level:02X}", (data, sw), (b"", 0x9000))
    return s


def des_put_key_over_scp03(replace, new_kvn, key, dek):
    """PUT KEY of three equal 3DES keys over SCP03: AES-CBC under the AES
    DEK, DES KCVs."""
    data = bytes([new_kvn])
    for _ in range(3):
        data += b"\x80\x10" + scp03.cbc(dek, bytes(16), key, True) + b"\x03" + scp02.kcv(key)
    return bytes([0x80, 0xD8, replace, 0x81, len(data)]) + data + b"\x00"


def scp02_checks(conn):
    """A 3DES key set and SCP02 channels with it."""
    k1 = bytes(range(0x10, 0x20))
    k2 = bytes.fromhex("404142434445464748494A4B4C4D4E4F")[::-1]
    send(conn, bytes.fromhex("00A4040000"))  # the ISD again (the PIN applet was selected)
    s = open_channel(conn, 0x03)
    data, sw = send(conn, s.wrap(des_put_key_over_scp03(0x00, 0x20, k1, scp03.TEST_KEY)))
    expect("PUT KEY (add 3DES set 20)", (data, sw), (b"\x20" + scp02.kcv(k1) * 3, 0x9000))
    data, sw = send(conn, bytes.fromhex("00A4040000"))
    crd = tlvs(dict(tlvs(dict(tlvs(dict(tlvs(data))[0x6F]))[0xA5]))[0x73])
    expect("protocols in card recognition data", [v for t, v in crd if t == 0x64],
           [bytes.fromhex("06092A864886FC6B040370"), bytes.fromhex("06092A864886FC6B040255")])
    data, sw = send(conn, bytes.fromhex("80CA00E000"))
    infos = [v for t, v in tlvs(dict(tlvs(data))[0xE0]) if t == 0xC0]
    expect("3DES keys in the key information template",
           [v for v in infos if v[1] == 0x20], [bytes([i, 0x20, 0x80, 0x10]) for i in (1, 2, 3)])

    for level in (0x01, 0x03):
        s = open_scp02(conn, level, (k1, k1, k1))
        isd = get_status(conn, s, 0x80)
        expect(f"ISD entry over SCP02 at {level:02X}", [(e[0x4F], e[0x9F70]) for e in isd], [(ISD, b"\x0f")])
        apps = get_status(conn, s, 0x40)
        expect(f"applications over SCP02 at {level:02X}", [e[0x4F] for e in apps], [PIN_APPLET])

    # A replayed command: refused, and the channel is closed with it.
    s = open_scp02(conn, 0x01, (k1, k1, k1))
    cmd = s.wrap(bytes.fromhex("80F28002024F0000"))
    expect("first SCP02 GET STATUS", send(conn, cmd)[1], 0x9000)
    expect("replayed SCP02 GET STATUS", send(conn, cmd)[1], 0x6982)
    expect("after the refusal", send(conn, s.wrap(bytes.fromhex("80F28002024F0000")))[1], 0x6982)
    # A flipped MAC bit at level 03.
    s = open_scp02(conn, 0x03, (k1, k1, k1))
    cmd = bytearray(s.wrap(bytes.fromhex("80F28002024F0000")))
    cmd[-2] ^= 0x01
    expect("bad SCP02 C-MAC", send(conn, bytes(cmd))[1], 0x6982)
    # Wrong keys: the card cryptogram does not match; a wrong host cryptogram.
    wrong = scp02.Scp02((k2, k2, k2))
    data, sw = send(conn, wrong.initialize_update(bytes(8), 0x20))
    try:
        wrong.check_init_response(data)
        raise CheckFailed("an SCP02 card cryptogram matched the wrong keys")
    except scp02.ScpError:
        pass
    expect("wrong SCP02 host cryptogram", send(conn, wrong.external_authenticate(0x01))[1], 0x6300)
    expect("unknown key version", send(conn, bytes.fromhex("80502F0008000102030405060700"))[1], 0x6A88)
    # PUT KEY over SCP02 (3DES-ECB under the DEK session key) replaces the set.
    s = open_scp02(conn, 0x03, (k1, k1, k1))
    put = s.put_key_data(0x20, [k2] * 3)
    data, sw = send(conn, s.wrap(bytes([0x80, 0xD8, 0x20, 0x81, len(put)]) + put + b"\x00"))
    expect("PUT KEY over SCP02 (replace 20)", (data, sw), (b"\x20" + scp02.kcv(k2) * 3, 0x9000))
    s = open_scp02(conn, 0x01, (k2, k2, k2))
    expect("ISD over the replaced set", [e[0x4F] for e in get_status(conn, s, 0x80)], [ISD])


def main():
    args, hydra, ctx, engines = check_args(__doc__)

    def check(engine):
        def body(conn):
            check_card(ctx, conn)
            keys_and_states(conn)
            scp02_checks(conn)
            return conn

        on_card(ctx, HydraCard(hydra, engine, [PIN_CAP], vpcd=args.vpcd, ctx=ctx), body)
        levels = " ".join("%02X" % level for level in LEVELS)
        return (f"ISD, GET DATA, SCP03 at levels {levels}, GET STATUS, PUT KEY, SET STATUS, refusals; "
                "3DES key set, SCP02 at levels 01 03, PUT KEY over SCP02, refusals")

    return per_engine(engines, check, (scp03.ScpError, scp02.ScpError))

if __name__ == "__main__":
    sys.exit(main())
