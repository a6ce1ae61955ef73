//! Data Authentication Pattern (DAP) signatures, as GlobalPlatform uses
//! them for load files: the build server signs the Load File Data Block
//! Hash (SHA-256 of the `C4` value the LOAD commands carry) with ECDSA over
//! P-256 and SHA-256; the LOAD's first block carries the signature in a DAP
//! block `E2 { 4F <security domain AID>, C3 <signature> }`, which the
//! security domain holding the public key verifies before the card links.
//!
//! The signature is the 64 bytes `r || s` (each 32 bytes, big-endian), not
//! DER: a fixed length in a BER-TLV and no parsing of ASN.1 on the card.

use alloc::vec::Vec;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Bytes of a DAP signature.
pub const SIGNATURE_LEN: usize = 64;
/// Bytes of an uncompressed P-256 public key (`04 || x || y`).
pub const PUBLIC_KEY_LEN: usize = 65;

/// The Load File Data Block Hash: SHA-256 of the load file data block.
pub fn load_file_hash(block: &[u8]) -> [u8; 32] {
    Sha256::digest(block).into()
}

/// Signs a Load File Data Block Hash.
pub fn sign(key: &SigningKey, lfdb_hash: &[u8; 32]) -> [u8; SIGNATURE_LEN] {
    let sig: Signature = key.sign(lfdb_hash);
    sig.to_bytes().into()
}

/// Whether `signature` is `public_key`'s (SEC1, uncompressed) over
/// `lfdb_hash`. A malformed key or signature does not verify.
pub fn verify(public_key: &[u8], lfdb_hash: &[u8], signature: &[u8]) -> bool {
    let Ok(key) = VerifyingKey::from_sec1_bytes(public_key) else {
        return false;
    };
    let Ok(sig) = Signature::from_slice(signature) else {
        return false;
    };
    key.verify(lfdb_hash, &sig).is_ok()
}

/// Whether `public_key` is a point on P-256 in uncompressed SEC1 form.
pub fn is_public_key(public_key: &[u8]) -> bool {
    public_key.len() == PUBLIC_KEY_LEN && VerifyingKey::from_sec1_bytes(public_key).is_ok()
}

/// The uncompressed SEC1 form of a signing key's public key.
pub fn public_key_of(key: &SigningKey) -> [u8; PUBLIC_KEY_LEN] {
    let point = key.verifying_key().to_encoded_point(false);
    let mut out = [0; PUBLIC_KEY_LEN];
    out.copy_from_slice(point.as_bytes());
    out
}

/// A DAP block, tag included: `E2 L { 4F L sd_aid, C3 L signature }`.
pub fn dap_block(sd_aid: &[u8], signature: &[u8]) -> Vec<u8> {
    let mut inner = Vec::with_capacity(4 + sd_aid.len() + signature.len());
    inner.push(0x4F);
    inner.push(sd_aid.len() as u8);
    inner.extend_from_slice(sd_aid);
    inner.push(0xC3);
    inner.push(signature.len() as u8);
    inner.extend_from_slice(signature);
    let mut out = Vec::with_capacity(2 + inner.len());
    out.push(0xE2);
    out.push(inner.len() as u8);
    out.extend_from_slice(&inner);
    out
}

/// The security domain AID and the signature of a DAP block's value (what
/// follows `E2 L`), if it is exactly `4F .. C3 ..` with short lengths.
pub fn parse_dap_block(value: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&t1, rest) = value.split_first()?;
    let (&l1, rest) = rest.split_first()?;
    let (aid, rest) = rest.split_at_checked(usize::from(l1))?;
    let (&t2, rest) = rest.split_first()?;
    let (&l2, rest) = rest.split_first()?;
    if t1 != 0x4F || t2 != 0xC3 || l1 > 0x7F || l2 > 0x7F || rest.len() != usize::from(l2) {
        return None;
    }
    Some((aid, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> SigningKey {
        SigningKey::from_slice(&[b; 32]).unwrap()
    }

    #[test]
    fn a_signature_verifies_under_its_key_only() {
        let h = load_file_hash(b"load file");
        let sig = sign(&key(7), &h);
        assert!(verify(&public_key_of(&key(7)), &h, &sig));
        assert!(!verify(&public_key_of(&key(8)), &h, &sig));
        let mut other = h;
        other[0] ^= 1;
        assert!(!verify(&public_key_of(&key(7)), &other, &sig));
        let mut bad = sig;
        bad[63] ^= 1;
        assert!(!verify(&public_key_of(&key(7)), &h, &bad));
        assert!(!verify(&[4; 65], &h, &sig));
        assert!(!verify(&public_key_of(&key(7)), &h, &sig[..63]));
    }

    #[test]
    fn dap_blocks_round_trip_and_refuse_other_shapes() {
        let b = dap_block(&[0xA0, 0, 0, 1, 0x51, 0, 0, 0], &[9; 64]);
        assert_eq!(b[0], 0xE2);
        assert_eq!(usize::from(b[1]), b.len() - 2);
        let (aid, sig) = parse_dap_block(&b[2..]).unwrap();
        assert_eq!(aid, &[0xA0, 0, 0, 1, 0x51, 0, 0, 0]);
        assert_eq!(sig, &[9; 64]);
        assert!(parse_dap_block(&b[2..b.len() - 1]).is_none());
        let mut swapped = b[2..].to_vec();
        swapped[0] = 0xC3;
        assert!(parse_dap_block(&swapped).is_none());
        assert!(parse_dap_block(&[]).is_none());
        assert!(parse_dap_block(&[0x4F, 0x20]).is_none());
    }
}
