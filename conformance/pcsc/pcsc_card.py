"""A Hydra card (`hydra card`) in pcscd's vpcd reader, and a PC/SC client
for it built on pyscard's thin layer over the PC/SC API (smartcard.scard),
so that every call is one that a PC/SC application makes."""

import os
import sys
import signal
import subprocess
import tempfile
import time

from smartcard import scard

DEFAULT_READER = "Virtual PCD 00 00"
DEFAULT_VPCD = "127.0.0.1:35963"


class PcscError(Exception):
    pass


def check(hresult, what):
    if hresult != scard.SCARD_S_SUCCESS:
        raise PcscError(f"{what}: {scard.SCardGetErrorMessage(hresult).strip()} ({hresult & 0xFFFFFFFF:#010x})")


class Context:
    """A PC/SC context, watching one reader."""

    def __init__(self, reader=DEFAULT_READER):
        hresult, self.hcontext = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        check(hresult, "SCardEstablishContext (is pcscd running?)")
        self.reader = reader
        hresult, readers = scard.SCardListReaders(self.hcontext, [])
        check(hresult, "SCardListReaders")
        if reader not in readers:
            raise PcscError(f"no reader '{reader}' (readers: {readers}); is vpcd configured?")

    def reader_index(self):
        """The reader's position among PC/SC's readers (opensc-tool -r)."""
        hresult, readers = scard.SCardListReaders(self.hcontext, [])
        check(hresult, "SCardListReaders")
        return readers.index(self.reader)

    def state(self, timeout_ms=0, known=scard.SCARD_STATE_UNAWARE):
        hresult, states = scard.SCardGetStatusChange(self.hcontext, timeout_ms, [(self.reader, known)])
        if hresult == scard.SCARD_E_TIMEOUT:
            return known, None
        check(hresult, "SCardGetStatusChange")
        _, event, atr = states[0]
        return event & ~scard.SCARD_STATE_CHANGED, atr

    def wait_for(self, present, timeout_s, alive=lambda: True):
        """Waits until the reader has (or has no) card; returns the ATR."""
        deadline = time.monotonic() + timeout_s
        known = scard.SCARD_STATE_UNAWARE
        while time.monotonic() < deadline:
            event, atr = self.state(200, known)
            if present and event & scard.SCARD_STATE_PRESENT:
                return bytes(atr or [])
            if not present and event & scard.SCARD_STATE_EMPTY:
                return None
            if not alive():
                raise PcscError("the card process exited")
            known = event
        raise PcscError(f"reader '{self.reader}' still {'empty' if present else 'holds a card'} after {timeout_s} s")

    def connect(self):
        return Connection(self)

    def release(self):
        scard.SCardReleaseContext(self.hcontext)


class Connection:
    """A T=1 connection to the card in the reader."""

    def __init__(self, ctx):
        self.ctx = ctx
        hresult, self.hcard, self.protocol = scard.SCardConnect(
            ctx.hcontext, ctx.reader, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T1)
        check(hresult, "SCardConnect")

    def transmit(self, apdu):
        """Sends a command; returns (data, sw1, sw2)."""
        hresult, response = scard.SCardTransmit(self.hcard, self.protocol, list(apdu))
        check(hresult, "SCardTransmit")
        if len(response) < 2:
            raise PcscError(f"response {bytes(response).hex()} has no status word")
        return response[:-2], response[-2], response[-1]

    def reset(self):
        hresult, self.protocol = scard.SCardReconnect(
            self.hcard, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T1, scard.SCARD_RESET_CARD)
        check(hresult, "SCardReconnect (reset)")

    def close(self, disposition=scard.SCARD_UNPOWER_CARD):
        if self.hcard is not None:
            check(scard.SCardDisconnect(self.hcard, disposition), "SCardDisconnect")
            self.hcard = None


class HydraCard:
    """`hydra card` as a child process: started, then stopped with SIGTERM
    (which must end it with exit code 0)."""

    def __init__(self, hydra, engine, caps=(), installs=(), state=None, vpcd=DEFAULT_VPCD, extra=(), ctx=None):
        self.argv = [hydra, "card", "--engine", engine, "--vpcd", vpcd]
        for c in caps:
            self.argv += ["--cap", c]
        for i in installs:
            self.argv += ["--install", i]
        if state:
            self.argv += ["--state", state]
        self.argv += list(extra)
        self.proc = None
        self.log = None
        # The reader to watch: leaving the `with` block waits until it is
        # empty, so a failure does not leave a stale card for the next one.
        self.ctx = ctx

    def start(self):
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self, timeout_s=30):
        """SIGTERM; returns the exit code (killing it if it does not end)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "killed after SIGTERM was ignored"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.ctx is not None:
            try:
                self.ctx.wait_for(False, 30)
            except PcscError:
                pass


def install_spec(entry):
    """A suite.json install entry as `hydra card --install` takes it."""
    if isinstance(entry, str):
        return entry
    cls = entry.get("class_aid") or entry["applet"]
    inst = entry.get("instance_aid", "")
    params = entry.get("install_parameters", "")
    privileges = entry.get("privileges", "")
    if privileges.strip("0"):
        return f"{cls}:{inst}:{params}:{privileges}"
    return f"{cls}:{inst}:{params}" if inst or params else cls


def hydra_binary(path=None):
    path = path or os.environ.get("HYDRA") or "target/release/hydra"
    if not os.access(path, os.X_OK):
        raise SystemExit(f"no hydra binary at {path}: build it (cargo build --release -p hydra) or pass --hydra")
    return path


class CheckFailed(Exception):
    """A check of a PC/SC test script did not hold."""


def check_args(doc, engines=("interp", "thumb")):
    """The command line every check script takes: --hydra, --engine
    (repeatable), --reader, --vpcd. Returns (args, hydra, context, engines)."""
    import argparse

    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--hydra", help="the hydra binary (default: $HYDRA or target/release/hydra)")
    ap.add_argument("--engine", action="append", help=f"engine (repeatable; default: {' '.join(engines)})")
    ap.add_argument("--reader", default=DEFAULT_READER)
    ap.add_argument("--vpcd", default=DEFAULT_VPCD)
    args = ap.parse_args()
    return args, hydra_binary(args.hydra), Context(args.reader), args.engine or list(engines)


def on_card(ctx, card, body):
    """Starts `card`, connects, runs `body(conn)` (which may return a new
    connection), disconnects, and demands exit code 0 at SIGTERM."""
    with card:
        ctx.wait_for(True, 900, card.alive)
        conn = body(ctx.connect()) or None
        if conn is not None:
            conn.close()
        code = card.stop()
        if code != 0:
            raise CheckFailed(f"hydra card exited with {code} after SIGTERM:\n{card.output()}")


def per_engine(engines, check, errors=()):
    """Runs `check(engine)` (returning what passed) for each engine, prints
    pass/FAIL lines; the exit code."""
    failed = 0
    for engine in engines:
        try:
            print(f"pass {engine}: {check(engine)}")
        except (CheckFailed, PcscError, *errors) as e:
            failed += 1
            print(f"FAIL {engine}: {e}")
        sys.stdout.flush()
    return 1 if failed else 0
