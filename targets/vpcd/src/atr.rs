//! Answers to reset (ISO 7816-3 §8).

/// An ATR offering T=1 only, with eight historical bytes: TS `3B` (direct
/// convention), T0 `88` (TD1 follows, 8 historical bytes), TD1 `01` (T=1,
/// no further interface bytes), the historical bytes, and the check byte
/// TCK that T=1 requires (the XOR of T0 through TCK is zero).
pub const fn t1(historical: [u8; 8]) -> [u8; 12] {
    let mut a = [0x3B, 0x88, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let mut i = 0;
    while i < 8 {
        a[3 + i] = historical[i];
        i += 1;
    }
    let mut tck = 0u8;
    let mut i = 1;
    while i < 11 {
        tck ^= a[i];
        i += 1;
    }
    a[11] = tck;
    a
}

/// Why bytes are not an ATR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtrError {
    /// ISO 7816-3 allows 2 to 33 bytes.
    Length(usize),
    /// TS is `3B` (direct) or `3F` (inverse convention).
    Ts(u8),
    /// The interface bytes announced by T0 and TDi, the historical bytes
    /// and TCK need `needed` bytes.
    Structure { needed: usize, found: usize },
    /// A protocol other than T=0 is offered and the XOR of T0..TCK is not 0.
    CheckByte,
}

impl core::fmt::Display for AtrError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AtrError::Length(n) => write!(f, "an ATR has 2 to 33 bytes, not {n}"),
            AtrError::Ts(ts) => write!(f, "TS must be 3B or 3F, not {ts:02X}"),
            AtrError::Structure { needed, found } => write!(
                f,
                "T0 and the TDi bytes announce {needed} bytes, the ATR has {found}"
            ),
            AtrError::CheckByte => write!(f, "the check byte TCK is wrong"),
        }
    }
}

/// Checks that `atr` is well formed: its length, TS, the interface bytes
/// T0 and the TDi announce, and TCK when a protocol other than T=0 is
/// offered.
pub fn check(atr: &[u8]) -> Result<(), AtrError> {
    if !(2..=33).contains(&atr.len()) {
        return Err(AtrError::Length(atr.len()));
    }
    if atr[0] != 0x3B && atr[0] != 0x3F {
        return Err(AtrError::Ts(atr[0]));
    }
    let historical = usize::from(atr[1] & 0x0F);
    let mut at = 1; // index of the current T0/TDi
    let mut needs_tck = false;
    loop {
        let y = atr[at] >> 4;
        let next = at + 1 + (y & 0x7).count_ones() as usize;
        if y & 0x8 == 0 {
            at = next;
            break;
        }
        // TDi is the last byte of this group.
        let td = next;
        let Some(&tdv) = atr.get(td) else {
            return Err(AtrError::Structure {
                needed: td + 1,
                found: atr.len(),
            });
        };
        needs_tck |= tdv & 0x0F != 0;
        at = td;
    }
    let needed = at + historical + usize::from(needs_tck);
    if needed != atr.len() {
        return Err(AtrError::Structure {
            needed,
            found: atr.len(),
        });
    }
    if needs_tck && atr[1..].iter().fold(0, |x, b| x ^ b) != 0 {
        return Err(AtrError::CheckByte);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t1_atr_is_well_formed() {
        let a = t1(*b"HYDRA-M3");
        assert_eq!(&a[..3], &[0x3B, 0x88, 0x01]);
        assert_eq!(&a[3..11], b"HYDRA-M3");
        assert_eq!(check(&a), Ok(()));
        assert_eq!(a[1..].iter().fold(0, |x, b| x ^ b), 0);
    }

    #[test]
    fn atrs_of_real_cards() {
        // A JCOP card (T=1, TCK), a T=0 SIM without TCK, a contactless ATR.
        let jcop = [
            0x3B, 0xF8, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x45, 0x4A, 0x43, 0x4F, 0x50, 0x76,
            0x32, 0x34, 0x31, 0xB7,
        ];
        assert_eq!(check(&jcop), Ok(()));
        assert_eq!(check(&[0x3B, 0x02, 0x14, 0x50]), Ok(()));
        let pcsc = [
            0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00,
            0x01, 0x00, 0x00, 0x00, 0x00, 0x6A,
        ];
        assert_eq!(check(&pcsc), Ok(()));
    }

    #[test]
    fn malformed_atrs() {
        assert_eq!(check(&[0x3B]), Err(AtrError::Length(1)));
        assert_eq!(check(&[0x3A, 0x00]), Err(AtrError::Ts(0x3A)));
        assert_eq!(
            check(&[0x3B, 0x02, 0x14]),
            Err(AtrError::Structure {
                needed: 4,
                found: 3
            })
        );
        let mut a = t1(*b"HYDRA-M3");
        a[11] ^= 1;
        assert_eq!(check(&a), Err(AtrError::CheckByte));
        assert_eq!(
            check(&[0x3B, 0x80]),
            Err(AtrError::Structure {
                needed: 3,
                found: 2
            })
        );
    }
}
