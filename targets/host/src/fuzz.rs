//! The harness of the `apdu` fuzz target (`targets/host/fuzz`): a card with
//! every package and applet of the conformance suite, raw command APDUs of
//! every length the syntax allows at `Card::process`, power cycles between
//! them, and the card checked afterwards. The suite is loaded once into a
//! template NVM image; every run boots a copy of it, so runs are
//! independent.
//!
//! Input framing (all lengths big-endian):
//!
//! - byte 0: what to SELECT before the first command: `b % (n + 1)`, 0 the
//!   ISD, `k` the k-th applet instance of the suite (in suite order);
//! - then records, each starting with a tag byte `t`:
//!   - `00`..=`FB`: a command of `t` bytes, which follow;
//!   - `FC s`: SELECT by AID, `s` chosen as byte 0 is;
//!   - `FD`: power cycle: the card is powered down and booted again from
//!     its NVM;
//!   - `FE L(3)`: a command of `L` bytes, which follow (`L` capped at
//!     [`MAX_COMMAND`]);
//!   - `FF L(3) H(1) head(H) T(1) tail(T) f`: a command of `L` bytes (capped
//!     likewise): `head`, then byte `f` repeated, then `tail` (truncated to
//!     `L` when head and tail are longer), so that a short input reaches the
//!     longest extended APDU (`CLA INS P1 P2 00 Lc(2) data(65535) Le(2)`,
//!     65,544 bytes).
//!
//! A record cut short by the end of the input is sent as far as it goes.
//! After the input the ISD and every applet must answer SELECT as on the
//! template card (the applets 6A82 once an applet locked the card), and so
//! again after a boot from the resulting NVM.

use std::borrow::Cow;
use std::path::Path;

use hydra_runtime::cardmgr::{CARD_LOCKED, DEFAULT_ISD_AID};
use hydra_runtime::{Card, Config, RamNvm};

use crate::{read_cap, read_suite, HostError, InstallSpec, NVM_SIZE};

/// The longest command the framing builds: the longest legal extended APDU
/// and a few bytes more, to reach the parser's refusal of longer ones.
pub const MAX_COMMAND: usize = 65_544 + 8;

/// One step of a decoded input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<'a> {
    Command(Cow<'a, [u8]>),
    /// SELECT of target `k` (0: the ISD).
    Select(usize),
    PowerCycle,
}

/// Splits an input into the target selected first and the steps; `targets`
/// is the number of SELECT targets (the ISD and the applets).
pub fn decode(input: &[u8], targets: usize) -> (usize, Vec<Step<'_>>) {
    let targets = targets.max(1);
    let Some((&first, mut rest)) = input.split_first() else {
        return (0, Vec::new());
    };
    let mut steps = Vec::new();
    while let Some((&tag, r)) = rest.split_first() {
        rest = r;
        match tag {
            0x00..=0xFB => {
                let (cmd, r) = take(rest, usize::from(tag));
                steps.push(Step::Command(Cow::Borrowed(cmd)));
                rest = r;
            }
            0xFC => {
                let (s, r) = take(rest, 1);
                steps.push(Step::Select(
                    usize::from(s.first().copied().unwrap_or(0)) % targets,
                ));
                rest = r;
            }
            0xFD => steps.push(Step::PowerCycle),
            0xFE => {
                let (len, r) = length(rest);
                let (cmd, r) = take(r, len);
                steps.push(Step::Command(Cow::Borrowed(cmd)));
                rest = r;
            }
            0xFF => {
                let (len, r) = length(rest);
                let (h, r) = take(r, 1);
                let (head, r) = take(r, usize::from(h.first().copied().unwrap_or(0)));
                let (t, r) = take(r, 1);
                let (tail, r) = take(r, usize::from(t.first().copied().unwrap_or(0)));
                let (f, r) = take(r, 1);
                let fill = f.first().copied().unwrap_or(0);
                let mut cmd = Vec::with_capacity(len);
                cmd.extend_from_slice(&head[..head.len().min(len)]);
                let tail = &tail[..tail.len().min(len - cmd.len())];
                cmd.resize(len - tail.len(), fill);
                cmd.extend_from_slice(tail);
                steps.push(Step::Command(Cow::Owned(cmd)));
                rest = r;
            }
        }
    }
    (usize::from(first) % targets, steps)
}

fn take(b: &[u8], n: usize) -> (&[u8], &[u8]) {
    b.split_at(n.min(b.len()))
}

fn length(b: &[u8]) -> (usize, &[u8]) {
    let (l, r) = take(b, 3);
    let n = l.iter().fold(0usize, |a, &x| a << 8 | usize::from(x));
    (n.min(MAX_COMMAND), r)
}

/// Encodes a command as one record of the framing (the inverse of
/// [`decode`] for seeds): short ones with their length byte, longer ones
/// behind `FE`.
pub fn encode_command(cmd: &[u8], out: &mut Vec<u8>) {
    if cmd.len() <= 0xFB {
        out.push(cmd.len() as u8);
    } else {
        out.push(0xFE);
        out.extend_from_slice(&(cmd.len() as u32).to_be_bytes()[1..]);
    }
    out.extend_from_slice(cmd);
}

/// What the harness demands of the card and found otherwise.
#[derive(Debug, thiserror::Error)]
pub enum Broken {
    #[error("boot after {after} refused: {source}")]
    Boot {
        after: &'static str,
        source: hydra_runtime::LoadError,
    },
    #[error("SELECT {aid} {when} answered {got:04X}, the template card {want:04X}")]
    Select {
        aid: String,
        when: &'static str,
        got: u16,
        want: u16,
    },
}

/// The suite on a card, as NVM bytes, and what its SELECTs answer.
pub struct Template {
    nvm: RamNvm,
    config: Config,
    /// The ISD then every applet instance, with the SW of its SELECT.
    pub targets: Vec<(Vec<u8>, u16)>,
}

/// Deterministic "entropy", so that a failing input replays the same way.
fn fixed_entropy(out: &mut [u8]) -> bool {
    for (i, b) in out.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(0x9D) ^ 0x5A;
    }
    true
}

fn select(aid: &[u8]) -> Vec<u8> {
    let mut c = vec![0x00, 0xA4, 0x04, 0x00, aid.len() as u8];
    c.extend_from_slice(aid);
    c.push(0x00);
    c
}

impl Template {
    /// Loads every package of `suite.json` (in the order its entries name
    /// them, libraries first) and installs every applet it names, with its
    /// parameters and privileges.
    pub fn from_suite(suite: &Path) -> Result<Template, HostError> {
        let config = Config {
            // Ends looping applet code quickly (6F00), as a watchdog would.
            budget: 200_000,
            entropy: Some(fixed_entropy),
            ..Config::default()
        };
        let mut card = Card::boot(RamNvm::new(NVM_SIZE), config)?;
        let entries = read_suite(suite)?;
        let mut installs: Vec<&InstallSpec> = Vec::new();
        for e in &entries {
            for p in &e.caps {
                let cap = read_cap(p)?;
                if card
                    .live_package(cap.header.package.aid.as_bytes())
                    .is_none()
                {
                    card.load_package(&cap)?;
                }
            }
            for i in &e.installs {
                let inst = i.instance_aid.as_deref().unwrap_or(&i.class_aid);
                if card.registry.find_exact(inst).is_none() {
                    card.install(
                        &i.class_aid,
                        i.instance_aid.as_deref(),
                        &i.privileges,
                        &i.params,
                    )?;
                    installs.push(i);
                }
            }
        }
        let mut aids = vec![DEFAULT_ISD_AID.to_vec()];
        aids.extend(installs.iter().map(|i| {
            i.instance_aid
                .clone()
                .unwrap_or_else(|| i.class_aid.clone())
        }));
        // The template is the NVM as installed, before any SELECT ran
        // applet code; a copy of it answers the SELECTs the checks expect.
        let nvm = card.power_down();
        let mut probe = Card::boot(nvm.clone(), config)?;
        let targets = aids
            .into_iter()
            .map(|a| {
                let sw = probe.process(&select(&a)).sw;
                (a, sw)
            })
            .collect();
        Ok(Template {
            nvm,
            config,
            targets,
        })
    }

    /// Runs one input on a copy of the template card and checks it after.
    pub fn run(&self, input: &[u8]) -> Result<(), Broken> {
        let boot = |nvm, after| {
            Card::boot(nvm, self.config).map_err(|source| Broken::Boot { after, source })
        };
        let mut card = boot(self.nvm.clone(), "nothing")?;
        let (first, steps) = decode(input, self.targets.len());
        card.process(&select(&self.targets[first].0));
        for s in steps {
            match s {
                Step::Command(c) => {
                    card.process(&c);
                }
                Step::Select(k) => {
                    card.process(&select(&self.targets[k].0));
                }
                Step::PowerCycle => card = boot(card.power_down(), "a power cycle")?,
            }
        }
        self.check(&mut card, "after the input")?;
        let mut card = boot(card.power_down(), "the input")?;
        self.check(&mut card, "after a reboot")
    }

    fn check(&self, card: &mut Card<RamNvm>, when: &'static str) -> Result<(), Broken> {
        // An applet with the Card Lock privilege may lock the card: then
        // only the ISD answers SELECT.
        let locked = card.cardmgr.life_cycle == CARD_LOCKED;
        for (i, (aid, want)) in self.targets.iter().enumerate() {
            let want = if locked && i > 0 { &0x6A82 } else { want };
            let got = card.process(&select(aid)).sw;
            if got != *want {
                return Err(Broken::Select {
                    aid: crate::hex(aid),
                    when,
                    got,
                    want: *want,
                });
            }
        }
        Ok(())
    }
}

/// Seed inputs: the commands and power cycles of every conformance script
/// (secure channels left out: their cryptograms depend on the session),
/// named after the script; and extended APDUs of the boundary lengths at
/// the `apdu` applet, built with the `FF` record.
pub fn seeds(suite: &Path) -> Result<Vec<(String, Vec<u8>)>, HostError> {
    let mut out = Vec::new();
    for e in read_suite(suite)? {
        let text = std::fs::read_to_string(&e.script).map_err(|source| HostError::Io {
            path: e.script.display().to_string(),
            source,
        })?;
        let stmts = crate::script::parse(&text).map_err(|source| HostError::Script {
            path: e.script.display().to_string(),
            source,
        })?;
        let mut input = vec![0];
        let mut powered = true;
        for (_, s) in stmts {
            match s {
                crate::script::Stmt::Apdu(b) if b.len() >= 6 => {
                    encode_command(&crate::script::command(&b).to_bytes(), &mut input);
                }
                crate::script::Stmt::PowerDown => powered = false,
                crate::script::Stmt::PowerUp if !powered => {
                    input.push(0xFD);
                    powered = true;
                }
                _ => {}
            }
        }
        let name = e
            .script
            .file_stem()
            .map_or_else(String::new, |n| n.to_string_lossy().into());
        out.push((name, input));
    }
    let mut ext = vec![0];
    encode_command(
        &select(&[0xF0, 0x48, 0x59, 0x44, 0x52, 0x41, 0x0B, 0x01]),
        &mut ext,
    );
    for lc in [1u16, 255, 256, 257, 32767, 32768, 65534, 65535] {
        // B4 answers the incoming length and the byte sum; Le 00 00.
        ext.push(0xFF);
        ext.extend_from_slice(&(usize::from(lc) + 9).to_be_bytes()[5..]);
        let [h, l] = lc.to_be_bytes();
        ext.extend_from_slice(&[7, 0x80, 0xB4, 0, 0, 0, h, l, 2, 0, 0, 0xA5]);
    }
    out.push(("extended".into(), ext));
    Ok(out)
}
