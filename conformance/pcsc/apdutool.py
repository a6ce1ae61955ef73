"""Oracle apdutool scripts, read and printed as apdutool does, written from
the apdutool syntax alone (not from Hydra's own parser, which it checks).

A script is statements ending in ';': 'powerup', 'powerdown', 'echo ...',
'output on|off', 'delay N', or a command 'CLA INS P1 P2 Lc [data] Le' whose
numbers are 0x-prefixed hex or bare decimal. A command whose Lc byte is 0
and that has more than one byte after it is extended: 'CLA INS P1 P2 00 Lc1
Lc2 [data] Le1 Le2'.
"""

from dataclasses import dataclass


class ScriptError(Exception):
    pass


@dataclass
class Command:
    line: int
    raw: list  # the statement's bytes, as written

    @property
    def extended(self):
        return len(self.raw) > 6 and self.raw[4] == 0

    def body(self):
        """(data, le) as written: le is the Le field's value (0 = maximum)."""
        if self.extended:
            lc = (self.raw[5] << 8) | self.raw[6]
            return self.raw[7:7 + lc], (self.raw[7 + lc] << 8) | self.raw[8 + lc]
        lc = self.raw[4]
        return self.raw[5:5 + lc], self.raw[5 + lc]

    def wire(self):
        """The bytes a reader sends: Lc only with data, Le always."""
        data, le = self.body()
        out = list(self.raw[:4])
        if self.extended:
            out.append(0)
            if data:
                out += [len(data) >> 8, len(data) & 0xFF] + data
            out += [le >> 8, le & 0xFF]
        else:
            if data:
                out += [len(data)] + data
            out.append(le)
        return out

    def format(self, data, sw1, sw2):
        """apdutool's output line for this command and its response."""
        cmd_data, _ = self.body()
        width = 4 if self.extended else 2
        parts = ["CLA: %02x" % self.raw[0], "INS: %02x" % self.raw[1],
                 "P1: %02x" % self.raw[2], "P2: %02x" % self.raw[3],
                 "Lc: %0*x" % (width, len(cmd_data))]
        parts += ["%02x" % b for b in cmd_data]
        parts.append("Le: %0*x" % (width, len(data)))
        parts += ["%02x" % b for b in data]
        parts += ["SW1: %02x" % sw1, "SW2: %02x" % sw2]
        return ", ".join(parts)


def number(token, line):
    try:
        if token.lower().startswith("0x"):
            value = int(token[2:], 16)
        else:
            value = int(token, 10)
    except ValueError:
        raise ScriptError(f"line {line}: '{token}' is not a number") from None
    if not 0 <= value <= 255:
        raise ScriptError(f"line {line}: {token} is not a byte")
    return value


def parse(text):
    """The statements of a script: ('powerup',), ('powerdown',),
    ('echo', text), ('output', bool), ('delay', ms), ('scp03', level, kvn,
    key) or a Command."""
    stmts, tokens, start = [], [], 1
    for no, raw in enumerate(text.splitlines(), 1):
        code = raw.split("//", 1)[0]
        while code.strip():
            if not tokens:
                start = no
            head, sep, code = code.partition(";")
            tokens += head.split()
            if not sep:
                break
            stmts.append(statement(tokens, start))
            tokens = []
    if tokens:
        raise ScriptError(f"line {start}: statement without ';'")
    return stmts


def statement(tokens, line):
    word = tokens[0].lower() if tokens else ""
    if word in ("powerup", "powerdown"):
        return (word,)
    if word == "echo":
        return ("echo", " ".join(tokens[1:]).strip('"'))
    if word == "output":
        return ("output", len(tokens) > 1 and tokens[1].lower() == "on")
    if word == "delay":
        return ("delay", int(tokens[1]) if len(tokens) > 1 else 0)
    if word == "scp03":
        # Hydra's extension: scp03 LEVEL [KVN [KEY]] (see hydra_host::script).
        if not 2 <= len(tokens) <= 4:
            raise ScriptError(f"line {line}: scp03 LEVEL [KVN [KEY]]")
        level = number(tokens[1], line)
        kvn = number(tokens[2], line) if len(tokens) > 2 else 0
        key = bytes.fromhex(tokens[3].removeprefix("0x")) if len(tokens) > 3 else bytes(range(0x40, 0x50))
        return ("scp03", level, kvn, key)
    raw = [number(t, line) for t in tokens]
    cmd = Command(line, raw)
    if len(raw) < 6:
        raise ScriptError(f"line {line}: a command needs CLA INS P1 P2 Lc ... Le")
    if cmd.extended:
        lc = (raw[5] << 8) | raw[6]
        if len(raw) != 9 + lc:
            raise ScriptError(f"line {line}: extended Lc {lc} does not match the command")
    elif len(raw) != 6 + raw[4]:
        raise ScriptError(f"line {line}: Lc {raw[4]} does not match the command")
    return cmd


def first_difference(actual, expected):
    """(line, expected, actual) of the first differing response, or None;
    blank lines of the expected file are ignored."""
    a = actual.splitlines()
    e = [l for l in expected.splitlines() if l.strip()]
    for i in range(max(len(a), len(e))):
        x = a[i] if i < len(a) else "<end of output>"
        y = e[i] if i < len(e) else "<end of expected output>"
        if x.rstrip() != y.rstrip():
            return i + 1, y, x
    return None
