//! Instructions the conformance applets do not produce (jsr/ret, swap_x,
//! dup_x forms, sinc_w, nop), edge cases of the arithmetic, and calls
//! between verified and unverified packages, run on hand-assembled methods.

use std::rc::Rc;

use hydra_runtime::card::{Card, Config, Package};
use hydra_runtime::class::{Method, MethodKind};
use hydra_runtime::interp::{Exc, Ret};
use hydra_runtime::RamNvm;

/// Runs `code` as a static method with `nargs` argument words and `locals`
/// extra locals, in the checking loop; code that runs there also runs in
/// the trusting loop (as a verified package's), which must agree.
fn run(code: &[u8], nargs: u8, locals: u8, args: &[i16]) -> Result<Ret, Exc> {
    let checked = run_in(code, nargs, locals, args, false);
    if checked.is_ok() {
        let trusted = run_in(code, nargs, locals, args, true);
        assert_eq!(trusted, checked, "trusting loop on {code:02X?}");
    }
    checked
}

fn run_in(code: &[u8], nargs: u8, locals: u8, args: &[i16], verified: bool) -> Result<Ret, Exc> {
    let mut card = Card::boot(RamNvm::new(256 * 1024), Config::default()).unwrap();
    let m = add_method(&mut card, code, nargs, locals, verified);
    card.ctx = Package::context(card.packages.len() as u16 - 1);
    card.invoke(m, args)
}

fn short(code: &[u8], args: &[i16]) -> i16 {
    run(code, args.len() as u8, 4, args).unwrap().short()
}

fn int(code: &[u8], args: &[i16]) -> i32 {
    run(code, args.len() as u8, 4, args).unwrap().int()
}

const SRETURN: u8 = 0x78;
const IRETURN: u8 = 0x79;

#[test]
fn nop_and_constants() {
    assert_eq!(short(&[0x00, 0x02, SRETURN], &[]), -1);
    assert_eq!(short(&[0x11, 0x80, 0x00, SRETURN], &[]), i16::MIN);
    assert_eq!(
        int(&[0x14, 0x12, 0x34, 0x56, 0x78, IRETURN], &[]),
        0x1234_5678
    );
    assert_eq!(int(&[0x12, 0xFF, IRETURN], &[]), -1); // bipush sign-extends
}

#[test]
fn swap_x_and_dup_x() {
    // a b -> swap_x 0x11 -> b a; a - b computed after the swap: b - a.
    assert_eq!(
        short(&[0x1C, 0x1D, 0x40, 0x11, 0x43, SRETURN], &[10, 3]),
        3 - 10
    );
    // int (2 words) under a short: swap_x 0x12 moves the short below it.
    // stack: i(hi,lo) s  -> s i(hi,lo); then pop2 leaves s.
    assert_eq!(
        short(&[0x14, 0, 1, 0, 0, 0x1C, 0x40, 0x12, 0x3C, SRETURN], &[7]),
        7
    );
    // dup_x 0x12: a b -> b a b; sum of the three = a + 2b.
    assert_eq!(
        short(&[0x1C, 0x1D, 0x3F, 0x12, 0x41, 0x41, SRETURN], &[5, 100]),
        205
    );
    // dup_x 0x20 duplicates two words (an int): 2 * i.
    assert_eq!(
        int(&[0x14, 0, 1, 0, 2, 0x3F, 0x20, 0x42, IRETURN], &[]),
        0x0002_0004
    );
    // dup_x 0x13: a b c -> c a b c; c - (b + ... ) checks the order: c a b c
    // -> sadd (b+c) -> sadd (a+b+c) -> ssub (c - (a+b+c)) = -(a+b).
    assert_eq!(
        short(
            &[0x1C, 0x1D, 0x1E, 0x3F, 0x13, 0x41, 0x41, 0x43, SRETURN],
            &[1, 2, 30]
        ),
        -3
    );
}

#[test]
fn jsr_and_ret() {
    // 0: jsr +6 -> 6; 3: sload_1; 4: sreturn; (5: nop)
    // 6: astore_2 (return address); sinc 1 5; ret 2
    let code = [
        0x71, 0x00, 0x06, 0x1D, SRETURN, 0x00, 0x2D, 0x59, 0x01, 0x05, 0x72, 0x02,
    ];
    assert_eq!(run(&code, 1, 3, &[0]).unwrap().short(), 5);
}

#[test]
fn sinc_w_and_iinc_w() {
    assert_eq!(short(&[0x96, 0x00, 0x03, 0xE8, 0x1C, SRETURN], &[1]), 1001);
    assert_eq!(
        short(&[0x96, 0x00, 0x80, 0x00, 0x1C, SRETURN], &[0]),
        i16::MIN
    );
    assert_eq!(int(&[0x97, 0x00, 0xFF, 0xFF, 0x20, IRETURN], &[0, 0]), -1);
}

#[test]
fn arithmetic_edges() {
    // MIN / -1 wraps, MIN % -1 is 0.
    assert_eq!(
        short(&[0x1C, 0x1D, 0x47, SRETURN], &[i16::MIN, -1]),
        i16::MIN
    );
    assert_eq!(short(&[0x1C, 0x1D, 0x49, SRETURN], &[i16::MIN, -1]), 0);
    // Shift counts use the low 5 bits; sushr works on the sign-extended value.
    assert_eq!(short(&[0x1C, 0x1D, 0x4D, SRETURN], &[1, 33]), 2);
    assert_eq!(short(&[0x1C, 0x1D, 0x51, SRETURN], &[-1, 4]), -1);
    assert_eq!(short(&[0x1C, 0x1D, 0x51, SRETURN], &[-16, 20]), 0x0FFF);
    assert_eq!(short(&[0x1C, 0x1D, 0x4F, SRETURN], &[-16, 2]), -4);
    // Division by zero throws (ArithmeticException).
    assert!(matches!(
        run(&[0x1C, 0x1D, 0x47, SRETURN], 2, 0, &[1, 0]),
        Err(Exc::Throw(_))
    ));
    // i2b, i2s, s2b, icmp
    assert_eq!(
        short(&[0x14, 0x12, 0x34, 0x56, 0x80, 0x5D, SRETURN], &[]),
        -128
    );
    assert_eq!(
        short(&[0x14, 0x12, 0x34, 0x56, 0x78, 0x5E, SRETURN], &[]),
        0x5678
    );
    assert_eq!(short(&[0x1C, 0x5B, SRETURN], &[0x1FF]), -1);
    assert_eq!(short(&[0x0B, 0x0F, 0x5F, SRETURN], &[]), -1);
}

#[test]
fn switches() {
    // stableswitch default +16, low -1, high 1, targets +16 (for -1), +18, +20
    // at 16: sconst_0 sreturn; 18: sconst_1 sreturn; 20: sconst_2 sreturn
    let mut code = vec![
        0x1C, 0x73, 0x00, 0x0F, 0xFF, 0xFF, 0x00, 0x01, 0x00, 0x0F, 0x00, 0x11, 0x00, 0x13, 0x00,
        0x00,
    ];
    code.extend_from_slice(&[0x03, SRETURN, 0x04, SRETURN, 0x05, SRETURN]);
    assert_eq!(short(&code, &[-1]), 0);
    assert_eq!(short(&code, &[0]), 1);
    assert_eq!(short(&code, &[1]), 2);
    assert_eq!(short(&code, &[2]), 0);
    assert_eq!(short(&code, &[i16::MIN]), 0);
    // ilookupswitch: default +14 (-> 0), one pair 0x10000 -> +16 (-> 1)
    let mut code = vec![
        0x20, 0x76, 0x00, 0x0E, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
    ];
    code.truncate(13);
    code.push(0x00);
    code.extend_from_slice(&[0x00, 0x03, SRETURN, 0x04, SRETURN]);
    let c = code.clone();
    let r = run(&c, 2, 0, &[1, 0]).unwrap().short();
    assert_eq!(r, 1);
    assert_eq!(run(&c, 2, 0, &[0, 1]).unwrap().short(), 0);
}

#[test]
fn bad_code_faults_instead_of_panicking() {
    // Stack underflow, invalid opcode, running off the end, bad dup_x/swap_x.
    // (Locals outside the frame are refused when a package is linked.)
    for code in [
        &[0x3B, 0x3B, 0x3B, SRETURN][..],
        &[0xFE],
        &[0x00],
        &[0x3F, 0x44, SRETURN],
        &[0x40, 0x33, SRETURN],
    ] {
        assert!(run(code, 0, 0, &[]).is_err(), "{code:02X?}");
    }
}

/// Links a package of one static method (`nargs` argument words,
/// `locals` more locals) onto `card`, verified or not; its method id.
fn add_method(card: &mut Card<RamNvm>, code: &[u8], nargs: u8, locals: u8, verified: bool) -> u16 {
    let pkg = card.packages.len() as u16;
    card.packages.push(Package {
        aid: vec![0xF0, 1, 2, 3, pkg as u8],
        major: 1,
        name: format!("test{pkg}"),
        code: Rc::from(code.to_vec()),
        deleted: false,
        verified,
        ..Package::vacant()
    });
    let m = card.methods.len() as u16;
    card.methods.push(Method {
        kind: MethodKind::Bytecode,
        pkg,
        code: 0,
        code_end: code.len() as u32,
        nargs,
        max_locals: locals,
        max_stack: 16,
        handlers: (0, 0),
    });
    m
}

/// Calls and returns between a verified and an unverified package switch
/// between the interpreter's two loops, every way round, with the same
/// results (and the same uncaught exception).
#[test]
fn calls_cross_between_the_trusting_and_the_checking_loop() {
    for caller_verified in [false, true] {
        for callee_verified in [false, true] {
            let mut card = Card::boot(RamNvm::new(256 * 1024), Config::default()).unwrap();
            // b(x, y) = x - y;  c(x, y) = x / y
            let b = add_method(
                &mut card,
                &[0x1C, 0x1D, 0x43, SRETURN],
                2,
                0,
                callee_verified,
            );
            let c = add_method(
                &mut card,
                &[0x1C, 0x1D, 0x47, SRETURN],
                2,
                0,
                callee_verified,
            );
            // a(x, y) = b(x, y) + 1, via invokestatic by method id (0xD0).
            let [bh, bl] = b.to_be_bytes();
            let a = add_method(
                &mut card,
                &[0x1C, 0x1D, 0xD0, bh, bl, 0x04, 0x41, SRETURN],
                2,
                0,
                caller_verified,
            );
            let [ch, cl] = c.to_be_bytes();
            let d = add_method(
                &mut card,
                &[0x1C, 0x1D, 0xD0, ch, cl, 0x04, 0x41, SRETURN],
                2,
                0,
                caller_verified,
            );
            card.ctx = Package::context(card.packages.len() as u16 - 1);
            let which = format!("caller verified {caller_verified}, callee {callee_verified}");
            assert_eq!(card.invoke(a, &[10, 3]).unwrap().short(), 8, "{which}");
            assert_eq!(card.invoke(d, &[12, 4]).unwrap().short(), 4, "{which}");
            assert!(
                matches!(card.invoke(d, &[1, 0]), Err(Exc::Throw(_))),
                "{which}"
            );
            // The card runs on after the exception.
            assert_eq!(card.invoke(a, &[0, 1]).unwrap().short(), 0, "{which}");
        }
    }
}
