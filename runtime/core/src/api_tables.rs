//! The built-in API classes of `java.lang`, `javacard.framework`,
//! `javacardx.apdu`, `javacard.security`, `javacardx.crypto`,
//! `javacardx.framework.util[.intx]` and `org.globalplatform`, bound by
//! export tokens (class token, method token) as in the 3.0.5 and GP 1.6
//! export files.

use crate::api::Native as N;

pub const LANG_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x00, 0x62, 0x00, 0x01];
pub const FRAMEWORK_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x00, 0x62, 0x01, 0x01];
pub const APDUX_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x00, 0x62, 0x02, 0x09];
pub const GP_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x01, 0x51, 0x00];
pub const SECURITY_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x00, 0x62, 0x01, 0x02];
pub const CRYPTO_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x00, 0x62, 0x02, 0x01];
pub const UTIL_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x00, 0x62, 0x02, 0x08, 0x01];
pub const INTX_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x00, 0x62, 0x02, 0x08, 0x01, 0x01];
/// org.globalplatform: the newest export (1.6) names the tokens; what an
/// applet uses beyond the table below fails at link time.
pub const GP_VERSION: (u8, u8) = (1, 6);
/// Versions implemented: java.lang 1.0, javacard.framework 1.6 (3.0.5).
pub const LANG_VERSION: (u8, u8) = (1, 0);
pub const FRAMEWORK_VERSION: (u8, u8) = (1, 6);

pub const LANG: u16 = 0;
pub const FW: u16 = 1;
/// javacardx.apdu (ExtendedLength).
pub const APDUX: u16 = 2;
/// org.globalplatform (Application, GPSystem, CVM, SecureChannel,
/// GPRegistryEntry).
pub const GP: u16 = 3;
/// javacard.security.
pub const SEC: u16 = 4;
/// javacardx.crypto.
pub const CRYPTO: u16 = 5;
/// javacardx.framework.util (ArrayLogic, UtilException).
pub const UTIL: u16 = 6;
/// javacardx.framework.util.intx (JCint).
pub const INTX: u16 = 7;

/// The built-in packages, by package index: AID, version implemented, name.
/// A CAP may import any minor version of the same major version; what it
/// uses beyond this table fails at link time, naming the token.
pub static PACKAGES: &[(&[u8], (u8, u8), &str)] = &[
    (LANG_AID, LANG_VERSION, "java.lang"),
    (FRAMEWORK_AID, FRAMEWORK_VERSION, "javacard.framework"),
    (APDUX_AID, (1, 0), "javacardx.apdu"),
    (GP_AID, GP_VERSION, "org.globalplatform"),
    (SECURITY_AID, (1, 6), "javacard.security"),
    (CRYPTO_AID, (1, 6), "javacardx.crypto"),
    (UTIL_AID, (1, 1), "javacardx.framework.util"),
    (INTX_AID, (1, 0), "javacardx.framework.util.intx"),
];
/// Packages below this index belong to the JCRE context.
pub const N_BUILTIN: u16 = 8;

pub struct ApiClass {
    pub pkg: u16,
    pub token: u8,
    pub name: &'static str,
    pub super_class: Option<(u16, u8)>,
    pub interface: bool,
    pub interfaces: &'static [(u16, u8)],
    /// Instance cells this class adds (private state of the API object).
    pub cells: u16,
    /// Virtual methods this class defines or overrides, by token.
    pub virtuals: &'static [(u8, N)],
    /// Static methods and constructors, by static method token.
    pub statics: &'static [(u8, N)],
    /// For classes implementing API interfaces: interface -> token map.
    pub imaps: &'static [((u16, u8), &'static [u8])],
    /// Number of methods of an interface (for Shareable checks and messages).
    pub interface_methods: u8,
}

const fn c(
    pkg: u16,
    token: u8,
    name: &'static str,
    sup: Option<(u16, u8)>,
    cells: u16,
    virtuals: &'static [(u8, N)],
    statics: &'static [(u8, N)],
) -> ApiClass {
    ApiClass {
        pkg,
        token,
        name,
        super_class: sup,
        interface: false,
        interfaces: &[],
        cells,
        virtuals,
        statics,
        imaps: &[],
        interface_methods: 0,
    }
}

const fn i(
    pkg: u16,
    token: u8,
    name: &'static str,
    supers: &'static [(u16, u8)],
    n: u8,
) -> ApiClass {
    ApiClass {
        pkg,
        token,
        name,
        super_class: None,
        interface: true,
        interfaces: supers,
        cells: 0,
        virtuals: &[],
        statics: &[],
        imaps: &[],
        interface_methods: n,
    }
}

const OBJ: Option<(u16, u8)> = Some((LANG, 0));
use crate::fwutil::Op as U;
use crate::gpapi::Op as G;
use crate::security::Op as C;
use crate::security::{cipher, key as seckey, oneshot as os, tok as st};

/// The methods of a secret key class: Object.equals is 0; Key's four are
/// 1-4 (clearKey, getSize, getType, isInitialized); then `extra`.
const fn key_class(
    token: u8,
    name: &'static str,
    ifaces: &'static [(u16, u8)],
    virtuals: &'static [(u8, N)],
    imaps: &'static [((u16, u8), &'static [u8])],
) -> ApiClass {
    ApiClass {
        pkg: SEC,
        token,
        name,
        super_class: OBJ,
        interface: false,
        interfaces: ifaces,
        cells: seckey::KEY_CELLS,
        virtuals,
        statics: &[],
        imaps,
        interface_methods: 0,
    }
}
const KEY_V: [(u8, N); 4] = [
    (1, N::Crypto(C::KeyClear)),
    (2, N::Crypto(C::KeyGetSize)),
    (3, N::Crypto(C::KeyGetType)),
    (4, N::Crypto(C::KeyIsInitialized)),
];
/// Key and SecretKey methods (clearKey, getSize, getType, isInitialized).
const KEY_MAP: &[u8] = &[1, 2, 3, 4];
const SECRET_V: &[(u8, N)] = &[
    KEY_V[0],
    KEY_V[1],
    KEY_V[2],
    KEY_V[3],
    (5, N::Crypto(C::KeySetSecret)),
    (6, N::Crypto(C::KeyGetSecret)),
];
const HMAC_V: &[(u8, N)] = &[
    KEY_V[0],
    KEY_V[1],
    KEY_V[2],
    KEY_V[3],
    (5, N::Crypto(C::KeySetHmac)),
    (6, N::Crypto(C::KeyGetSecret)),
];
/// The card's EC key classes: `ECPublicKey` / `ECPrivateKey` method token
/// t is virtual token t + 1 (Object.equals keeps 0); setW / setS is 19,
/// getW / getS 20.
const EC_V: &[(u8, N)] = &[
    KEY_V[0],
    KEY_V[1],
    KEY_V[2],
    KEY_V[3],
    (5, N::Crypto(C::EcSet(seckey::ec_part::FIELD as u8))),
    (6, N::Crypto(C::EcSetF2m1)),
    (7, N::Crypto(C::EcSetF2m3)),
    (8, N::Crypto(C::EcSet(seckey::ec_part::A as u8))),
    (9, N::Crypto(C::EcSet(seckey::ec_part::B as u8))),
    (10, N::Crypto(C::EcSet(seckey::ec_part::G as u8))),
    (11, N::Crypto(C::EcSet(seckey::ec_part::R as u8))),
    (12, N::Crypto(C::EcSetK)),
    (13, N::Crypto(C::EcGet(seckey::ec_part::FIELD as u8))),
    (14, N::Crypto(C::EcGet(seckey::ec_part::A as u8))),
    (15, N::Crypto(C::EcGet(seckey::ec_part::B as u8))),
    (16, N::Crypto(C::EcGet(seckey::ec_part::G as u8))),
    (17, N::Crypto(C::EcGet(seckey::ec_part::R as u8))),
    (18, N::Crypto(C::EcGetK)),
    (19, N::Crypto(C::EcSet(seckey::ec_part::VALUE as u8))),
    (20, N::Crypto(C::EcGet(seckey::ec_part::VALUE as u8))),
    (21, N::Crypto(C::EcCopyDomain)),
];
/// ECKey (tokens 0-14: the domain setters and getters, then
/// copyDomainParametersFrom).
const ECKEY_MAP: &[u8] = &[5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 21];
/// ECPublicKey / ECPrivateKey (tokens 0-20).
const EC_MAP: &[u8] = &[
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
];
/// RSAPublicKey / RSAPrivateKey: method token t is virtual token t + 1
/// (getExponent, getModulus, setExponent, setModulus).
const RSA_V: &[(u8, N)] = &[
    KEY_V[0],
    KEY_V[1],
    KEY_V[2],
    KEY_V[3],
    (5, N::Crypto(C::RsaGet(seckey::rsa_part::EXPONENT as u8))),
    (6, N::Crypto(C::RsaGet(seckey::rsa_part::MODULUS as u8))),
    (7, N::Crypto(C::RsaSet(seckey::rsa_part::EXPONENT as u8))),
    (8, N::Crypto(C::RsaSet(seckey::rsa_part::MODULUS as u8))),
];
const RSA_MAP: &[u8] = &[1, 2, 3, 4, 5, 6, 7, 8];
/// RSAPrivateCrtKey: getDP1, getDQ1, getP, getPQ, getQ, then the setters
/// in the same order (tokens 4-13, virtual t + 1).
const RSA_CRT_V: &[(u8, N)] = &[
    KEY_V[0],
    KEY_V[1],
    KEY_V[2],
    KEY_V[3],
    (5, N::Crypto(C::RsaGet(seckey::rsa_part::DP1 as u8))),
    (6, N::Crypto(C::RsaGet(seckey::rsa_part::DQ1 as u8))),
    (7, N::Crypto(C::RsaGet(seckey::rsa_part::P as u8))),
    (8, N::Crypto(C::RsaGet(seckey::rsa_part::PQ as u8))),
    (9, N::Crypto(C::RsaGet(seckey::rsa_part::Q as u8))),
    (10, N::Crypto(C::RsaSet(seckey::rsa_part::DP1 as u8))),
    (11, N::Crypto(C::RsaSet(seckey::rsa_part::DQ1 as u8))),
    (12, N::Crypto(C::RsaSet(seckey::rsa_part::P as u8))),
    (13, N::Crypto(C::RsaSet(seckey::rsa_part::PQ as u8))),
    (14, N::Crypto(C::RsaSet(seckey::rsa_part::Q as u8))),
];
const RSA_CRT_MAP: &[u8] = &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
const EXC_V: &[(u8, N)] = &[(1, N::GetReason), (2, N::SetReason)];
const LANG_EXC_S: &[(u8, N)] = &[(0, N::ObjectInit)];

/// Class token constants used by the runtime itself.
pub mod tok {
    pub const OBJECT: u8 = 0;
    pub const THROWABLE: u8 = 1;
    pub const EXCEPTION: u8 = 2;
    pub const RUNTIME_EXCEPTION: u8 = 3;
    pub const INDEX_OOB: u8 = 4;
    pub const ARRAY_INDEX_OOB: u8 = 5;
    pub const NEGATIVE_ARRAY_SIZE: u8 = 6;
    pub const NULL_POINTER: u8 = 7;
    pub const CLASS_CAST: u8 = 8;
    pub const ARITHMETIC: u8 = 9;
    pub const SECURITY: u8 = 10;
    pub const ARRAY_STORE: u8 = 11;

    pub const ISO7816: u8 = 0;
    pub const PIN: u8 = 1;
    pub const SHAREABLE: u8 = 2;
    pub const APPLET: u8 = 3;
    pub const CARD_EXCEPTION: u8 = 4;
    pub const CARD_RUNTIME_EXCEPTION: u8 = 5;
    pub const AID: u8 = 6;
    pub const ISO_EXCEPTION: u8 = 7;
    pub const JCSYSTEM: u8 = 8;
    pub const OWNER_PIN: u8 = 9;
    pub const APDU: u8 = 10;
    pub const PIN_EXCEPTION: u8 = 11;
    pub const APDU_EXCEPTION: u8 = 12;
    pub const SYSTEM_EXCEPTION: u8 = 13;
    pub const TRANSACTION_EXCEPTION: u8 = 14;
    pub const USER_EXCEPTION: u8 = 15;
    pub const UTIL: u8 = 16;
    pub const MULTI_SELECTABLE: u8 = 17;
    pub const APPLET_EVENT: u8 = 18;

    /// org.globalplatform
    pub const GP_APPLICATION: u8 = 0;
}

/// Every API class, java.lang first; superclasses before subclasses.
pub static CLASSES: &[ApiClass] = &[
    c(
        LANG,
        0,
        "java.lang.Object",
        None,
        0,
        &[(0, N::ObjectEquals)],
        &[(0, N::ObjectInit)],
    ),
    c(LANG, 1, "java.lang.Throwable", OBJ, 0, &[], LANG_EXC_S),
    c(
        LANG,
        2,
        "java.lang.Exception",
        Some((LANG, 1)),
        0,
        &[],
        LANG_EXC_S,
    ),
    c(
        LANG,
        3,
        "java.lang.RuntimeException",
        Some((LANG, 2)),
        0,
        &[],
        LANG_EXC_S,
    ),
    c(
        LANG,
        4,
        "java.lang.IndexOutOfBoundsException",
        Some((LANG, 3)),
        0,
        &[],
        LANG_EXC_S,
    ),
    c(
        LANG,
        5,
        "java.lang.ArrayIndexOutOfBoundsException",
        Some((LANG, 4)),
        0,
        &[],
        LANG_EXC_S,
    ),
    c(
        LANG,
        6,
        "java.lang.NegativeArraySizeException",
        Some((LANG, 3)),
        0,
        &[],
        LANG_EXC_S,
    ),
    c(
        LANG,
        7,
        "java.lang.NullPointerException",
        Some((LANG, 3)),
        0,
        &[],
        LANG_EXC_S,
    ),
    c(
        LANG,
        8,
        "java.lang.ClassCastException",
        Some((LANG, 3)),
        0,
        &[],
        LANG_EXC_S,
    ),
    c(
        LANG,
        9,
        "java.lang.ArithmeticException",
        Some((LANG, 3)),
        0,
        &[],
        LANG_EXC_S,
    ),
    c(
        LANG,
        10,
        "java.lang.SecurityException",
        Some((LANG, 3)),
        0,
        &[],
        LANG_EXC_S,
    ),
    c(
        LANG,
        11,
        "java.lang.ArrayStoreException",
        Some((LANG, 3)),
        0,
        &[],
        LANG_EXC_S,
    ),
    // javacard.framework interfaces
    i(FW, 0, "javacard.framework.ISO7816", &[], 0),
    i(FW, 1, "javacard.framework.PIN", &[], 4),
    i(FW, 2, "javacard.framework.Shareable", &[], 0),
    i(FW, 17, "javacard.framework.MultiSelectable", &[], 2),
    i(FW, 18, "javacard.framework.AppletEvent", &[], 1),
    i(FW, 19, "javacard.framework.OwnerPINx", &[(FW, 1)], 8),
    i(
        FW,
        20,
        "javacard.framework.OwnerPINxWithPredecrement",
        &[(FW, 19), (FW, 1)],
        9,
    ),
    c(
        FW,
        3,
        "javacard.framework.Applet",
        OBJ,
        0,
        &[
            (1, N::AppletRegister),
            (2, N::AppletRegisterAid),
            (3, N::AppletSelectingApplet),
            (4, N::AppletDeselect),
            (5, N::AppletGetShareable),
            (6, N::AppletSelect),
        ],
        &[
            (0, N::ObjectInit),
            (1, N::AppletInstall),
            (2, N::AppletReSelecting),
        ],
    ),
    c(
        FW,
        4,
        "javacard.framework.CardException",
        Some((LANG, 2)),
        1,
        EXC_V,
        &[(0, N::ExceptionInit), (1, N::ThrowIt(4))],
    ),
    c(
        FW,
        5,
        "javacard.framework.CardRuntimeException",
        Some((LANG, 3)),
        1,
        EXC_V,
        &[(0, N::ExceptionInit), (1, N::ThrowIt(5))],
    ),
    c(
        FW,
        6,
        "javacard.framework.AID",
        OBJ,
        1,
        &[
            (0, N::AidEqualsObject),
            (1, N::AidRidEquals),
            (2, N::AidEquals),
            (3, N::AidGetBytes),
            (4, N::AidPartialEquals),
            (5, N::AidGetPartialBytes),
        ],
        &[(0, N::AidInit)],
    ),
    c(
        FW,
        7,
        "javacard.framework.ISOException",
        Some((FW, 5)),
        0,
        &[],
        &[(0, N::ExceptionInit), (1, N::ThrowIt(7))],
    ),
    c(
        FW,
        8,
        "javacard.framework.JCSystem",
        OBJ,
        0,
        &[],
        &[
            (0, N::AbortTransaction),
            (1, N::BeginTransaction),
            (2, N::CommitTransaction),
            (3, N::GetAid),
            (4, N::GetAppletShareableInterfaceObject),
            (5, N::GetMaxCommitCapacity),
            (6, N::GetPreviousContextAid),
            (7, N::GetTransactionDepth),
            (8, N::GetUnusedCommitCapacity),
            (9, N::GetVersion),
            (10, N::IsTransient),
            (11, N::LookupAid),
            (12, N::MakeTransientBooleanArray),
            (13, N::MakeTransientByteArray),
            (14, N::MakeTransientObjectArray),
            (15, N::MakeTransientShortArray),
            (16, N::GetAvailableMemory),
            (17, N::IsObjectDeletionSupported),
            (18, N::RequestObjectDeletion),
            (19, N::GetAssignedChannel),
            (20, N::IsAppletActive),
            (21, N::MakeGlobalArray),
            (22, N::GetAvailableMemoryArray),
        ],
    ),
    ApiClass {
        pkg: FW,
        token: 9,
        name: "javacard.framework.OwnerPIN",
        super_class: OBJ,
        interface: false,
        interfaces: &[(FW, 1)],
        cells: crate::api::PIN_CELLS,
        virtuals: &[
            (1, N::PinCheck),
            (2, N::PinGetTriesRemaining),
            (3, N::PinGetValidatedFlag),
            (4, N::PinIsValidated),
            (5, N::PinReset),
            (6, N::PinResetAndUnblock),
            (7, N::PinSetValidatedFlag),
            (8, N::PinUpdate),
        ],
        statics: &[(0, N::PinInit)],
        imaps: &[((FW, 1), &[1, 2, 4, 5])],
        interface_methods: 0,
    },
    // The JCRE's implementations behind OwnerPINBuilder.buildOwnerPIN
    // (tokens 0xF0 and above are internal and not exported).
    ApiClass {
        pkg: FW,
        token: 0xF0,
        name: "javacard.framework.OwnerPINx (card implementation)",
        super_class: Some((FW, 9)),
        interface: false,
        interfaces: &[(FW, 19), (FW, 1)],
        cells: 0,
        virtuals: &[
            (9, N::PinGetTryLimit),
            (10, N::PinSetTryLimit),
            (11, N::PinSetTriesRemaining),
        ],
        statics: &[],
        imaps: &[((FW, 19), &[1, 2, 4, 5, 8, 9, 10, 11])],
        interface_methods: 0,
    },
    ApiClass {
        pkg: FW,
        token: 0xF1,
        name: "javacard.framework.OwnerPINxWithPredecrement (card implementation)",
        super_class: Some((FW, 0xF0)),
        interface: false,
        interfaces: &[(FW, 20), (FW, 19), (FW, 1)],
        cells: 0,
        virtuals: &[
            (1, N::PinCheckPredecremented),
            (12, N::PinDecrementTriesRemaining),
        ],
        statics: &[],
        imaps: &[
            ((FW, 20), &[1, 2, 4, 5, 8, 9, 10, 11, 12]),
            ((FW, 19), &[1, 2, 4, 5, 8, 9, 10, 11]),
        ],
        interface_methods: 0,
    },
    c(
        FW,
        10,
        "javacard.framework.APDU",
        OBJ,
        0,
        &[
            (1, N::ApduGetBuffer),
            (2, N::ApduGetNad),
            (3, N::ApduReceiveBytes),
            (4, N::ApduSendBytes),
            (5, N::ApduSendBytesLong),
            (6, N::ApduSetIncomingAndReceive),
            (7, N::ApduSetOutgoing),
            (8, N::ApduSetOutgoingAndSend),
            (9, N::ApduSetOutgoingLength),
            (10, N::ApduSetOutgoingNoChaining),
            (11, N::ApduGetCurrentState),
            (12, N::ApduIsCommandChainingCla),
            (13, N::ApduIsSecureMessagingCla),
            (14, N::ApduIsIsoInterindustryCla),
            (15, N::ApduGetIncomingLength),
            (16, N::ApduGetOffsetCdata),
            (17, N::ApduIsValidCla),
        ],
        &[
            (0, N::ApduGetInBlockSize),
            (1, N::ApduGetOutBlockSize),
            (2, N::ApduGetProtocol),
            (3, N::ApduWaitExtension),
            (4, N::ApduGetCurrentApdu),
            (5, N::ApduGetCurrentApduBuffer),
            (6, N::ApduGetClaChannel),
        ],
    ),
    c(
        FW,
        11,
        "javacard.framework.PINException",
        Some((FW, 5)),
        0,
        &[],
        &[(0, N::ExceptionInit), (1, N::ThrowIt(11))],
    ),
    c(
        FW,
        12,
        "javacard.framework.APDUException",
        Some((FW, 5)),
        0,
        &[],
        &[(0, N::ExceptionInit), (1, N::ThrowIt(12))],
    ),
    c(
        FW,
        13,
        "javacard.framework.SystemException",
        Some((FW, 5)),
        0,
        &[],
        &[(0, N::ExceptionInit), (1, N::ThrowIt(13))],
    ),
    c(
        FW,
        14,
        "javacard.framework.TransactionException",
        Some((FW, 5)),
        0,
        &[],
        &[(0, N::ExceptionInit), (1, N::ThrowIt(14))],
    ),
    c(
        FW,
        15,
        "javacard.framework.UserException",
        Some((FW, 4)),
        0,
        &[],
        &[
            (0, N::UserExceptionInit),
            (1, N::ExceptionInit),
            (2, N::ThrowIt(15)),
        ],
    ),
    c(
        FW,
        16,
        "javacard.framework.Util",
        OBJ,
        0,
        &[],
        &[
            (0, N::ArrayCompare),
            (1, N::ArrayCopy),
            (2, N::ArrayCopyNonAtomic),
            (3, N::ArrayFillNonAtomic),
            (4, N::GetShort),
            (5, N::MakeShort),
            (6, N::SetShort),
            (7, N::ArrayFill),
        ],
    ),
    i(APDUX, 0, "javacardx.apdu.ExtendedLength", &[], 0),
    i(GP, 0, "org.globalplatform.Application", &[(FW, 2)], 1),
    c(
        SEC,
        12,
        "javacard.security.CryptoException",
        Some((FW, 5)),
        0,
        &[],
        &[(0, N::ExceptionInit), (1, N::CryptoThrowIt)],
    ),
    c(
        SEC,
        11,
        "javacard.security.MessageDigest",
        OBJ,
        1,
        &[
            (1, N::DigestDoFinal),
            (2, N::DigestGetAlgorithm),
            (3, N::DigestGetLength),
            (4, N::DigestReset),
            (5, N::DigestUpdate),
        ],
        &[
            (0, N::DigestGetInstance),
            (2, N::Crypto(C::DigestGetInitialized)),
        ],
    ),
    c(
        SEC,
        14,
        "javacard.security.RandomData",
        OBJ,
        1,
        &[
            (1, N::RandomGenerateData),
            (2, N::RandomSetSeed),
            (3, N::RandomNextBytes),
            (4, N::RandomGetAlgorithm),
        ],
        &[(0, N::RandomGetInstance)],
    ),
    // javacard.security keys: interfaces (methods by export token), then
    // the card's classes (tokens 0xF0.., see security::key::KINDS).
    i(SEC, st::KEY, "javacard.security.Key", &[], 4),
    i(
        SEC,
        st::SECRET_KEY,
        "javacard.security.SecretKey",
        &[(SEC, st::KEY)],
        4,
    ),
    i(
        SEC,
        st::DES_KEY,
        "javacard.security.DESKey",
        &[(SEC, st::SECRET_KEY), (SEC, st::KEY)],
        6,
    ),
    i(
        SEC,
        st::AES_KEY,
        "javacard.security.AESKey",
        &[(SEC, st::SECRET_KEY), (SEC, st::KEY)],
        6,
    ),
    i(
        SEC,
        st::HMAC_KEY,
        "javacard.security.HMACKey",
        &[(SEC, st::SECRET_KEY), (SEC, st::KEY)],
        6,
    ),
    i(
        SEC,
        st::PRIVATE_KEY,
        "javacard.security.PrivateKey",
        &[(SEC, st::KEY)],
        4,
    ),
    i(
        SEC,
        st::PUBLIC_KEY,
        "javacard.security.PublicKey",
        &[(SEC, st::KEY)],
        4,
    ),
    i(SEC, st::EC_KEY, "javacard.security.ECKey", &[], 15),
    i(
        SEC,
        st::RSA_PRIVATE_CRT_KEY,
        "javacard.security.RSAPrivateCrtKey",
        &[(SEC, st::KEY), (SEC, st::PRIVATE_KEY)],
        14,
    ),
    i(
        SEC,
        st::RSA_PRIVATE_KEY,
        "javacard.security.RSAPrivateKey",
        &[(SEC, st::KEY), (SEC, st::PRIVATE_KEY)],
        8,
    ),
    i(
        SEC,
        st::RSA_PUBLIC_KEY,
        "javacard.security.RSAPublicKey",
        &[(SEC, st::KEY), (SEC, st::PUBLIC_KEY)],
        8,
    ),
    i(
        SEC,
        st::EC_PRIVATE_KEY,
        "javacard.security.ECPrivateKey",
        &[(SEC, st::KEY), (SEC, st::PRIVATE_KEY), (SEC, st::EC_KEY)],
        21,
    ),
    i(
        SEC,
        st::EC_PUBLIC_KEY,
        "javacard.security.ECPublicKey",
        &[(SEC, st::KEY), (SEC, st::PUBLIC_KEY), (SEC, st::EC_KEY)],
        21,
    ),
    // DESKey: getKey 4, setKey 5.
    key_class(
        0xF0,
        "javacard.security.DESKey (card implementation)",
        &[(SEC, st::DES_KEY), (SEC, st::SECRET_KEY), (SEC, st::KEY)],
        SECRET_V,
        &[
            ((SEC, st::KEY), KEY_MAP),
            ((SEC, st::SECRET_KEY), KEY_MAP),
            ((SEC, st::DES_KEY), &[1, 2, 3, 4, 6, 5]),
        ],
    ),
    // AESKey: setKey 4, getKey 5.
    key_class(
        0xF1,
        "javacard.security.AESKey (card implementation)",
        &[(SEC, st::AES_KEY), (SEC, st::SECRET_KEY), (SEC, st::KEY)],
        SECRET_V,
        &[
            ((SEC, st::KEY), KEY_MAP),
            ((SEC, st::SECRET_KEY), KEY_MAP),
            ((SEC, st::AES_KEY), &[1, 2, 3, 4, 5, 6]),
        ],
    ),
    // HMACKey: setKey(byte[], short, short) 4, getKey 5.
    key_class(
        0xF2,
        "javacard.security.HMACKey (card implementation)",
        &[(SEC, st::HMAC_KEY), (SEC, st::SECRET_KEY), (SEC, st::KEY)],
        HMAC_V,
        &[
            ((SEC, st::KEY), KEY_MAP),
            ((SEC, st::SECRET_KEY), KEY_MAP),
            ((SEC, st::HMAC_KEY), &[1, 2, 3, 4, 5, 6]),
        ],
    ),
    key_class(
        0xF3,
        "javacard.security.ECPublicKey (card implementation)",
        &[
            (SEC, st::EC_PUBLIC_KEY),
            (SEC, st::PUBLIC_KEY),
            (SEC, st::EC_KEY),
            (SEC, st::KEY),
        ],
        EC_V,
        &[
            ((SEC, st::KEY), KEY_MAP),
            ((SEC, st::PUBLIC_KEY), KEY_MAP),
            ((SEC, st::EC_KEY), ECKEY_MAP),
            ((SEC, st::EC_PUBLIC_KEY), EC_MAP),
        ],
    ),
    key_class(
        0xF4,
        "javacard.security.ECPrivateKey (card implementation)",
        &[
            (SEC, st::EC_PRIVATE_KEY),
            (SEC, st::PRIVATE_KEY),
            (SEC, st::EC_KEY),
            (SEC, st::KEY),
        ],
        EC_V,
        &[
            ((SEC, st::KEY), KEY_MAP),
            ((SEC, st::PRIVATE_KEY), KEY_MAP),
            ((SEC, st::EC_KEY), ECKEY_MAP),
            ((SEC, st::EC_PRIVATE_KEY), EC_MAP),
        ],
    ),
    key_class(
        0xF5,
        "javacard.security.RSAPublicKey (card implementation)",
        &[
            (SEC, st::RSA_PUBLIC_KEY),
            (SEC, st::PUBLIC_KEY),
            (SEC, st::KEY),
        ],
        RSA_V,
        &[
            ((SEC, st::KEY), KEY_MAP),
            ((SEC, st::PUBLIC_KEY), KEY_MAP),
            ((SEC, st::RSA_PUBLIC_KEY), RSA_MAP),
        ],
    ),
    key_class(
        0xF6,
        "javacard.security.RSAPrivateKey (card implementation)",
        &[
            (SEC, st::RSA_PRIVATE_KEY),
            (SEC, st::PRIVATE_KEY),
            (SEC, st::KEY),
        ],
        RSA_V,
        &[
            ((SEC, st::KEY), KEY_MAP),
            ((SEC, st::PRIVATE_KEY), KEY_MAP),
            ((SEC, st::RSA_PRIVATE_KEY), RSA_MAP),
        ],
    ),
    key_class(
        0xF7,
        "javacard.security.RSAPrivateCrtKey (card implementation)",
        &[
            (SEC, st::RSA_PRIVATE_CRT_KEY),
            (SEC, st::PRIVATE_KEY),
            (SEC, st::KEY),
        ],
        RSA_CRT_V,
        &[
            ((SEC, st::KEY), KEY_MAP),
            ((SEC, st::PRIVATE_KEY), KEY_MAP),
            ((SEC, st::RSA_PRIVATE_CRT_KEY), RSA_CRT_MAP),
        ],
    ),
    // KeyPair: cell 0 the algorithm, 1 and 2 the keys (see
    // security::ecapi). Its constructors are static tokens 0 and 1.
    c(
        SEC,
        st::KEY_PAIR,
        "javacard.security.KeyPair",
        OBJ,
        crate::security::ecapi::KEYPAIR_CELLS,
        &[
            (1, N::Crypto(C::KeyPairGen)),
            (2, N::Crypto(C::KeyPairGetPrivate)),
            (3, N::Crypto(C::KeyPairGetPublic)),
        ],
        &[
            (0, N::Crypto(C::KeyPairInit)),
            (1, N::Crypto(C::KeyPairInitKeys)),
        ],
    ),
    c(
        SEC,
        st::KEY_AGREEMENT,
        "javacard.security.KeyAgreement",
        OBJ,
        1,
        &[
            (1, N::Crypto(C::AgreementInit)),
            (2, N::DigestGetAlgorithm),
            (3, N::Crypto(C::AgreementGenerate)),
        ],
        &[(0, N::Crypto(C::AgreementGetInstance))],
    ),
    c(
        SEC,
        st::KEY_BUILDER,
        "javacard.security.KeyBuilder",
        OBJ,
        0,
        &[],
        &[(0, N::Crypto(C::KeyBuild)), (1, N::Crypto(C::KeyBuildMem))],
    ),
    // getAlgorithm of every engine reads its algorithm cell
    // (DigestGetAlgorithm).
    c(
        SEC,
        st::SIGNATURE,
        "javacard.security.Signature",
        OBJ,
        3,
        &[
            (1, N::DigestGetAlgorithm),
            (2, N::Crypto(C::SigGetLength)),
            (3, N::Crypto(C::SigInit)),
            (4, N::Crypto(C::SigInitParam)),
            (5, N::Crypto(C::SigSign)),
            (6, N::Crypto(C::SigUpdate)),
            (7, N::Crypto(C::SigVerify)),
            (8, N::Crypto(C::SigSetInitial)),
            (9, N::Crypto(C::SigSignPrehash)),
            (10, N::Crypto(C::SigVerifyPrehash)),
            (11, N::Crypto(C::SigDigestAlgorithm)),
            (12, N::Crypto(C::SigCipherAlgorithm)),
            (13, N::Crypto(C::SigPaddingAlgorithm)),
        ],
        &[
            (0, N::Crypto(C::SigGetInstance)),
            (2, N::Crypto(C::SigGetInstanceParts)),
        ],
    ),
    c(
        SEC,
        st::CHECKSUM,
        "javacard.security.Checksum",
        OBJ,
        1,
        &[
            (1, N::Crypto(C::ChecksumInit)),
            (2, N::DigestGetAlgorithm),
            (3, N::Crypto(C::ChecksumDoFinal)),
            (4, N::Crypto(C::ChecksumUpdate)),
        ],
        &[(0, N::Crypto(C::ChecksumGetInstance))],
    ),
    c(
        CRYPTO,
        cipher::CIPHER,
        "javacardx.crypto.Cipher",
        OBJ,
        2,
        &[
            (1, N::Crypto(C::CipherDoFinal)),
            (2, N::DigestGetAlgorithm),
            (3, N::Crypto(C::CipherInit)),
            (4, N::Crypto(C::CipherInitParam)),
            (5, N::Crypto(C::CipherUpdate)),
            (6, N::Crypto(C::CipherCipherAlgorithm)),
            (7, N::Crypto(C::CipherPaddingAlgorithm)),
        ],
        &[
            (0, N::Crypto(C::CipherGetInstance)),
            (2, N::Crypto(C::CipherGetInstanceParts)),
        ],
    ),
    c(
        GP,
        3,
        "org.globalplatform.GPSystem",
        OBJ,
        0,
        &[],
        &[
            (1, N::GpGetCardContentState),
            (2, N::GpGetCardState),
            (3, N::Gp(G::GetCvm)),
            (4, N::Gp(G::GetSecureChannel)),
            (5, N::Gp(G::LockCard)),
            (6, N::Gp(G::TerminateCard)),
            (7, N::Gp(G::SetAtrHistBytes)),
            (8, N::GpSetCardContentState),
            (9, N::Gp(G::GetRegistryEntry)),
        ],
    ),
    c(
        FW,
        21,
        "javacard.framework.OwnerPINBuilder",
        OBJ,
        0,
        &[],
        &[(0, N::BuildOwnerPin)],
    ),
    c(
        FW,
        22,
        "javacard.framework.SensitiveArrays",
        OBJ,
        0,
        &[],
        &[
            (0, N::AssertIntegrity),
            (1, N::IsIntegritySensitive),
            (2, N::IsIntegritySensitiveArraysSupported),
            (3, N::MakeIntegritySensitiveArray),
            (4, N::ClearArray),
        ],
    ),
    // InitializedMessageDigest: MessageDigest's methods and
    // setInitialDigest (security::initdigest).
    c(
        SEC,
        crate::security::initdigest::INITIALIZED_MESSAGE_DIGEST,
        "javacard.security.InitializedMessageDigest",
        Some((SEC, st::MESSAGE_DIGEST)),
        0,
        &[(6, N::Crypto(C::DigestSetInitial))],
        &[],
    ),
    // The OneShot classes (security::oneshot): their parents' methods,
    // open, close, and update refused.
    c(
        SEC,
        os::MESSAGE_DIGEST_ONE_SHOT,
        "javacard.security.MessageDigest.OneShot",
        Some((SEC, st::MESSAGE_DIGEST)),
        0,
        &[
            (5, N::Crypto(C::OneShotUpdate(4))),
            (6, N::Crypto(C::OneShotClose)),
        ],
        &[(0, N::Crypto(C::OneShotOpen(os::Kind::Digest)))],
    ),
    c(
        SEC,
        os::INITIALIZED_MESSAGE_DIGEST_ONE_SHOT,
        "javacard.security.InitializedMessageDigest.OneShot",
        Some((SEC, crate::security::initdigest::INITIALIZED_MESSAGE_DIGEST)),
        0,
        &[
            (5, N::Crypto(C::OneShotUpdate(4))),
            (7, N::Crypto(C::OneShotClose)),
        ],
        &[(0, N::Crypto(C::OneShotOpen(os::Kind::InitializedDigest)))],
    ),
    c(
        SEC,
        os::RANDOM_DATA_ONE_SHOT,
        "javacard.security.RandomData.OneShot",
        Some((SEC, st::RANDOM_DATA)),
        0,
        &[(5, N::Crypto(C::OneShotClose))],
        &[(0, N::Crypto(C::OneShotOpen(os::Kind::Random)))],
    ),
    c(
        SEC,
        os::SIGNATURE_ONE_SHOT,
        "javacard.security.Signature.OneShot",
        Some((SEC, st::SIGNATURE)),
        0,
        &[
            (6, N::Crypto(C::OneShotUpdate(4))),
            (14, N::Crypto(C::OneShotClose)),
        ],
        &[(0, N::Crypto(C::OneShotOpen(os::Kind::Signature)))],
    ),
    c(
        CRYPTO,
        os::CIPHER_ONE_SHOT,
        "javacardx.crypto.Cipher.OneShot",
        Some((CRYPTO, cipher::CIPHER)),
        0,
        &[
            (5, N::Crypto(C::OneShotUpdate(6))),
            (8, N::Crypto(C::OneShotClose)),
        ],
        &[(0, N::Crypto(C::OneShotOpen(os::Kind::Cipher)))],
    ),
    // AEADCipher (security::aead): Cipher's methods and its own four.
    c(
        CRYPTO,
        crate::security::aead::AEAD_CIPHER,
        "javacardx.crypto.AEADCipher",
        Some((CRYPTO, cipher::CIPHER)),
        0,
        &[
            (8, N::Crypto(C::AeadInit)),
            (9, N::Crypto(C::AeadUpdateAad)),
            (10, N::Crypto(C::AeadRetrieveTag)),
            (11, N::Crypto(C::AeadVerifyTag)),
        ],
        &[],
    ),
    c(
        UTIL,
        0,
        "javacardx.framework.util.ArrayLogic",
        OBJ,
        0,
        &[],
        &[
            (0, N::Util(U::CopyRepack { atomic: true })),
            (1, N::Util(U::CopyRepack { atomic: false })),
            (2, N::Util(U::FillGeneric { atomic: false })),
            (3, N::Util(U::CompareGeneric)),
            (4, N::Util(U::FindGeneric)),
            (5, N::Util(U::FillGeneric { atomic: true })),
        ],
    ),
    c(
        UTIL,
        crate::fwutil::UTIL_EXCEPTION,
        "javacardx.framework.util.UtilException",
        Some((FW, 5)),
        0,
        &[],
        &[(0, N::ExceptionInit), (1, N::Util(U::UtilThrowIt))],
    ),
    c(
        INTX,
        0,
        "javacardx.framework.util.intx.JCint",
        OBJ,
        0,
        &[],
        &[
            (0, N::Util(U::MakeIntBytes)),
            (1, N::Util(U::MakeIntShorts)),
            (2, N::Util(U::GetInt)),
            (3, N::Util(U::SetInt)),
            (4, N::Util(U::MakeTransientIntArray)),
        ],
    ),
    i(GP, 1, "org.globalplatform.CVM", &[(FW, 2)], 11),
    i(GP, 2, "org.globalplatform.SecureChannel", &[(FW, 2)], 7),
    i(GP, 4, "org.globalplatform.GPRegistryEntry", &[(FW, 2)], 8),
    gp_impl(
        0xF0,
        crate::gpapi::impl_class::CVM,
        &[
            (1, N::Gp(G::CvmIsActive)),
            (2, N::Gp(G::CvmIsSubmitted)),
            (3, N::Gp(G::CvmIsVerified)),
            (4, N::Gp(G::CvmIsBlocked)),
            (5, N::Gp(G::CvmTriesRemaining)),
            (6, N::Gp(G::CvmUpdate)),
            (7, N::Gp(G::CvmResetState)),
            (8, N::Gp(G::CvmBlockState)),
            (9, N::Gp(G::CvmResetAndUnblock)),
            (10, N::Gp(G::CvmSetTryLimit)),
            (11, N::Gp(G::CvmVerify)),
        ],
        &[
            ((GP, 1), &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
            ((FW, 2), &[]),
        ],
    ),
    gp_impl(
        0xF1,
        crate::gpapi::impl_class::SECURE_CHANNEL,
        &[
            (1, N::Gp(G::ScProcessSecurity)),
            (2, N::Gp(G::ScWrap)),
            (3, N::Gp(G::ScUnwrap)),
            (4, N::Gp(G::ScDecrypt)),
            (5, N::Gp(G::ScEncrypt)),
            (6, N::Gp(G::ScResetSecurity)),
            (7, N::Gp(G::ScSecurityLevel)),
        ],
        &[((GP, 2), &[1, 2, 3, 4, 5, 6, 7]), ((FW, 2), &[])],
    ),
    gp_impl(
        0xF2,
        crate::gpapi::impl_class::REGISTRY_ENTRY,
        &[
            (1, N::Gp(G::RegService)),
            (2, N::Gp(G::RegGetAid)),
            (3, N::Gp(G::RegGetPrivileges)),
            (4, N::Gp(G::RegGetState)),
            (5, N::Gp(G::RegIsAssociated)),
            (6, N::Gp(G::RegIsPrivileged)),
            (7, N::Gp(G::RegService)),
            (8, N::Gp(G::RegSetState)),
        ],
        &[((GP, 4), &[1, 2, 3, 4, 5, 6, 7, 8]), ((FW, 2), &[])],
    ),
];

/// A JCRE class implementing one org.globalplatform interface: interface
/// method token t is virtual token t + 1 (Object.equals keeps 0).
const fn gp_impl(
    token: u8,
    name: &'static str,
    virtuals: &'static [(u8, N)],
    imaps: &'static [((u16, u8), &'static [u8])],
) -> ApiClass {
    ApiClass {
        pkg: GP,
        token,
        name,
        super_class: OBJ,
        interface: false,
        interfaces: &[],
        cells: 0,
        virtuals,
        statics: &[],
        imaps,
        interface_methods: 0,
    }
}

/// Name of an API static method for error messages.
pub fn class_name(pkg: u16, token: u8) -> Option<&'static str> {
    CLASSES
        .iter()
        .find(|c| c.pkg == pkg && c.token == token)
        .map(|c| c.name)
}
