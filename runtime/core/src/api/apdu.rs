//! Natives of `javacard.framework.APDU`: the buffer, the incoming and outgoing data.

use super::*;

impl<N: Nvm> Card<N> {
    #[inline(always)]
    pub(super) fn native_apdu(&mut self, n: Native, base: usize) -> Result<usize, Exc> {
        use Native::*;
        let a = |i: usize| self.stack.get(base + i).copied().unwrap_or(0);
        let (a0, a1, a2, a3) = (a(0), a(1), a(2), a(3));
        match n {
            ApduGetBuffer => {
                self.check_apdu_this(a0 as Ref)?;
                Ok(self.ret1(base, self.jcre.buffer as i16))
            }
            ApduGetCurrentApdu => Ok(self.ret1(base, self.jcre.apdu as i16)),
            ApduGetCurrentApduBuffer => Ok(self.ret1(base, self.jcre.buffer as i16)),
            ApduGetNad => Ok(self.ret1(base, 0)),
            ApduGetInBlockSize | ApduGetOutBlockSize => Ok(self.ret1(base, 254)),
            ApduGetProtocol => Ok(self.ret1(base, 1)), // PROTOCOL_T1
            ApduWaitExtension => Ok(0),
            ApduGetClaChannel => Ok(self.ret1(base, i16::from(self.channel))),
            ApduGetCurrentState => Ok(self.ret1(base, i16::from(self.apdu.state))),
            ApduSetIncomingAndReceive => {
                if self.apdu.state != STATE_INITIAL {
                    return Err(self.cre(tok::APDU_EXCEPTION, reason::APDU_ILLEGAL_USE));
                }
                let n = self.apdu_receive(usize::from(self.apdu.cdata))?;
                Ok(self.ret1(base, n as i16))
            }
            ApduReceiveBytes => {
                let off = a1;
                if self.apdu.state != STATE_PARTIAL_INCOMING
                    && self.apdu.state != STATE_FULL_INCOMING
                {
                    return Err(self.cre(tok::APDU_EXCEPTION, reason::APDU_ILLEGAL_USE));
                }
                if off < 0 || off as u16 >= crate::link::APDU_BUFFER_SIZE {
                    return Err(self.cre(tok::APDU_EXCEPTION, reason::APDU_BUFFER_BOUNDS));
                }
                let n = self.apdu_receive(off as usize)?;
                Ok(self.ret1(base, n as i16))
            }
            ApduGetIncomingLength => Ok(self.ret1(base, self.apdu.lc() as i16)),
            ApduGetOffsetCdata => Ok(self.ret1(base, self.apdu.cdata as i16)),
            ApduSetOutgoing | ApduSetOutgoingNoChaining => {
                let le = self.apdu_set_outgoing()?;
                Ok(self.ret1(base, le as i16))
            }
            ApduSetOutgoingLength => {
                self.apdu_set_outgoing_length(a1)?;
                Ok(0)
            }
            ApduSendBytes => {
                let (off, len) = (a1, a2);
                if off < 0
                    || len < 0
                    || off as u32 + len as u32 > u32::from(crate::link::APDU_BUFFER_SIZE)
                {
                    return Err(self.cre(tok::APDU_EXCEPTION, reason::APDU_BUFFER_BOUNDS));
                }
                let buf = *self
                    .store
                    .obj(self.jcre.buffer)
                    .ok_or(Exc::Fault(Fault::Corrupt("APDU buffer")))?;
                let bytes = self.store.data(&buf)[off as usize..(off + len) as usize].to_vec();
                self.apdu_send(&bytes)?;
                Ok(0)
            }
            ApduSendBytesLong => {
                let (arr, off, len) = (a1 as Ref, a2, a3);
                let o = self.byte_range(arr, off, len)?;
                let bytes = self.store.data(&o)[off as usize..(off + len) as usize].to_vec();
                self.apdu_send(&bytes)?;
                Ok(0)
            }
            ApduSetOutgoingAndSend => {
                let (off, len) = (a1, a2);
                self.apdu_buffer_bounds(off, len)
                    .map_err(|_| self.cre(tok::APDU_EXCEPTION, reason::APDU_BUFFER_BOUNDS))?;
                self.apdu_set_outgoing()?;
                self.apdu_set_outgoing_length(len)?;
                let buf = *self
                    .store
                    .obj(self.jcre.buffer)
                    .ok_or(Exc::Fault(Fault::Corrupt("APDU buffer")))?;
                let bytes = self.store.data(&buf)[off as usize..(off + len) as usize].to_vec();
                self.apdu_send(&bytes)?;
                Ok(0)
            }
            ApduIsCommandChainingCla => Ok(self.bool_ret(base, self.apdu.cmd.cla() & 0x10 != 0)),
            ApduIsSecureMessagingCla => {
                let cla = self.apdu.cmd.cla();
                let sm = if cla & 0x40 != 0 {
                    cla & 0x20 != 0
                } else {
                    cla & 0x0C != 0
                };
                Ok(self.bool_ret(base, sm))
            }
            ApduIsIsoInterindustryCla => Ok(self.bool_ret(base, self.apdu.cmd.cla() & 0x80 == 0)),
            ApduIsValidCla => Ok(self.bool_ret(base, self.apdu.cmd.cla() != 0xFF)),
            _ => Err(Exc::Fault(NOT_THIS_CLASS)),
        }
    }
}
