r"""Secrets at rest and in output: the key file, sealing/opening values, and log masking.

The key lives in `<home>/secret.key` (created on first start, mode 0600) and never in
the database, so a copied database file reveals no secret. `Masker` replaces every
occurrence of a secret value with `***`; the log shipper feeds it whole lines, so a
value split across two writes of the task is still masked.

What is masked, for each secret (`masked_forms`; README.md, "Secrets", says the same):
- the value, and each line of a multi-line value (a PEM key), surrounding spaces and a
  trailing CR not counted, when the line has at least MIN_SECRET_LENGTH characters;
- the whole value JSON-escaped (`json.dumps(v)[1:-1]`, ASCII-only and not) and
  percent-encoded (`quote(v)`, `quote(v, safe="")`, `quote_plus(v)`, `quote_plus(v, safe="/")`);
- base64 of the value, of value + "\n" (and, for a value ending in newlines, of it
  without them, with and without one "\n"), standard and URL-safe alphabets, padded and
  unpadded, each 76-column line of the wrapped form, and the three alignment cores: what
  the value looks like inside the base64 of a longer text at any offset, minus the at
  most two bytes at each end that share a base64 group with their neighbours.
Not masked: values (or lines of a multi-line value) shorter than MIN_SECRET_LENGTH (a
secret with no longer line is refused at save: `secret_problem`), base64 fragments
shorter than MIN_FRAGMENT_LENGTH, and every other transformation: hex, lower-case
percent escapes, JSON's `\/`, shell quoting of special characters, a value split over
log lines other than at its own newlines, compressed or encrypted forms.
"""
from __future__ import annotations

import base64
import bisect
import itertools
import json
import os
import re
from pathlib import Path
from urllib.parse import quote, quote_plus

from cryptography.fernet import Fernet, InvalidToken

from models.i18n import N_

MASK = "***"
_fernet: Fernet | None = None


class SecretError(RuntimeError):
    pass


def load_key(home: Path) -> None:
    """Read (or create, owner-only) the key file of this data directory."""
    global _fernet
    path = Path(home) / "secret.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(Fernet.generate_key())
    _fernet = Fernet(path.read_bytes().strip())


def _key() -> Fernet:
    if _fernet is None:
        raise SecretError(N_("secret key not loaded (models.secrets.load_key was not called)"))
    return _fernet


def seal(value: str) -> str:
    return _key().encrypt(value.encode()).decode()


def unseal(token: str) -> str:
    try:
        return _key().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretError(N_("a stored secret cannot be decrypted with this data directory's secret.key")) from None


MIN_SECRET_LENGTH = 6         # shorter values cannot be masked without mangling the log around them
MIN_FRAGMENT_LENGTH = 8       # base64 pieces (alignment cores, wrapped lines) shorter than this are not masked
BASE64_LINE = 76              # where `base64`, MIME and Python's encodebytes wrap their output


def secret_problem(value: str):
    """Why `value` cannot be stored as a secret, or None when it can.

    A secret is masked in logs line by line; a value with no line of at least
    MIN_SECRET_LENGTH characters (surrounding spaces not counted) would never be masked,
    and masking a shorter one would hide every such run of letters in the log."""
    if any(len(line.strip()) >= MIN_SECRET_LENGTH for line in value.split("\n")):
        return None
    if "\n" in value.strip():
        return N_("too short to be masked in logs: a secret needs at least {min} characters on one of its lines",
                  min=MIN_SECRET_LENGTH)
    return N_("too short to be masked in logs: a secret needs at least {min} characters", min=MIN_SECRET_LENGTH)


def _text_forms(unit: str) -> set[str]:
    """`unit` as it is, JSON-escaped, and percent-encoded (quote and quote_plus)."""
    return {unit, json.dumps(unit)[1:-1], json.dumps(unit, ensure_ascii=False)[1:-1],
            quote(unit), quote(unit, safe=""), quote_plus(unit), quote_plus(unit, safe="/")}


def _base64_forms(data: bytes) -> set[str]:
    """Base64 of `data` in the standard and URL-safe alphabets, padded and not; the lines
    of its 76-column wrapped form; and the three alignment cores: the encoding of
    data[k:] (k = 0, 1, 2) cut to whole 3-byte groups — what `data` looks like inside the
    base64 of any longer text, whatever its offset there (only the groups it shares with
    its neighbours, at most two bytes of it at each end, are not covered)."""
    whole = base64.b64encode(data).decode()
    forms = {whole, whole.rstrip("=")}
    forms.update(whole[i:i + BASE64_LINE] for i in range(0, len(whole), BASE64_LINE))
    for k in range(3):
        part = data[k:]
        forms.add(base64.b64encode(part[:len(part) // 3 * 3]).decode())
    forms |= {f.translate(_URLSAFE) for f in forms}
    return forms


_URLSAFE = str.maketrans("+/", "-_")


def masked_forms(value: str) -> set[str]:
    """Every string Masker hides for the secret `value` (see README, "What is masked")."""
    lines = {line.strip() for line in value.split("\n")}
    units = {line for line in lines if len(line) >= MIN_SECRET_LENGTH}
    if not units:
        return set()          # refused at save (secret_problem); never masked piecemeal
    forms = set(units)
    for whole in {value, value.strip()}:
        forms |= _text_forms(whole)
    body = value.rstrip("\n")
    for data in {value, value + "\n", body, body + "\n"}:
        forms |= _base64_forms(data.encode())
    # A log line never holds a newline: forms with one could never match.
    return {f for f in forms if "\n" not in f and (f in units or len(f) >= MIN_FRAGMENT_LENGTH)}


def _trie_pattern(words) -> str:
    """One regular expression matching any of `words`, longest first at each position: the
    words as a prefix tree, so a line is scanned once however many words there are."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node) -> str:
        literal = []
        while "" not in node and len(node) == 1:        # a chain of single children: one literal
            (ch, node), = node.items()
            literal.append(re.escape(ch))
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return "".join(literal)
        group = "(?:" + "|".join(branches) + ")"
        return "".join(literal) + (group + "?" if "" in node else group)   # greedy: the longer word wins

    return build(root)


LINE_NEEDLES = 24        # up to this many, a line is tested with `in` before the regular expression runs
BATCH_NEEDLES = 128      # the same for a batch of lines (mask_lines), joined


def _needles(forms) -> list[str]:
    """The forms no shorter form is part of: a text holds some form only if it holds one of these."""
    out = []
    for form in sorted(forms, key=len):
        if not any(needle in form for needle in out):
            out.append(form)
    return out


def _compile(forms: list[str]):
    try:
        return re.compile(_trie_pattern(forms))
    except (RecursionError, re.error):       # a tree nested too deep (forms each a prefix of the next)
        return re.compile("|".join(map(re.escape, forms)))     # longest first, as `forms` are sorted


class Masker:
    """Replaces every form of every secret (masked_forms) in a line with `***`.

    All forms of all secrets are one compiled regular expression (a prefix tree, longest
    form first at each position); where two occurrences overlap, the union of both is
    masked, so no part of either shows. Before it runs, a line (or a batch of lines,
    `mask_lines`) is tested with `str.__contains__` for the forms no other one contains,
    which is several times faster than the expression on text without a secret, as long
    as there are few. Values with no line of at least MIN_SECRET_LENGTH characters are
    ignored (they are refused at save: secret_problem)."""

    def __init__(self, values=()):
        self.secrets: set[str] = set()
        self.values: list[str] = []          # the masked strings, longest first (empty: nothing to mask)
        self._needles: list[str] = []
        self._byte_needles: list[bytes] = []
        self._regex = None
        self.add(values)

    def add(self, values) -> None:
        new = {v for v in values if v and v not in self.secrets}
        if not new:
            return
        self.secrets |= new
        forms = set(self.values)
        for value in new:
            forms |= masked_forms(value)
        self.values = sorted(forms, key=lambda f: (-len(f), f))
        self._needles = _needles(forms)
        self._byte_needles = [needle.encode() for needle in self._needles]
        self._regex = _compile(self.values) if self.values else None

    def __call__(self, text: str) -> str:
        if self._regex is None:
            return text
        if len(self._needles) <= LINE_NEEDLES and not any(needle in text for needle in self._needles):
            return text
        return self._mask(text)

    def mask_lines(self, lines: list[str]) -> list[str]:
        """`[self(line) for line in lines]` for lines without a newline: the batch is scanned as
        one text, and only the lines where a form was found are masked."""
        if self._regex is None or not lines:
            return list(lines)
        joined = "\n".join(lines)
        if len(self._needles) <= BATCH_NEEDLES:
            hits = []
            for needle in self._needles:
                at = joined.find(needle)
                while at >= 0:
                    hits.append(at)
                    at = joined.find(needle, at + 1)
        else:
            hits = [m.start() for m in self._regex.finditer(joined)]
        if not hits:
            return list(lines)
        starts = [0, *itertools.accumulate(len(line) + 1 for line in lines)]
        if starts[-1] != len(joined) + 1:              # a line held a newline: line by line
            return [self(line) for line in lines]
        out = list(lines)
        for i in {bisect.bisect_right(starts, at) - 1 for at in hits}:
            out[i] = self._mask(out[i])
        return out

    def mask_block(self, block: bytes) -> bytes:
        """mask_lines for lines as UTF-8 bytes, each ending in "\\n": the block itself, not
        decoded nor copied, unless a form occurs in it (UTF-8 is self-synchronizing, so a
        form's bytes occur in the block exactly where the form occurs in its text)."""
        if self._regex is None or not block:
            return block
        if len(self._byte_needles) <= BATCH_NEEDLES and not any(n in block for n in self._byte_needles):
            return block
        return ("\n".join(self.mask_lines(block.decode("utf-8")[:-1].split("\n"))) + "\n").encode()

    def _mask(self, text: str) -> str:
        regex = self._regex
        found = regex.search(text)
        if found is None:
            return text
        out, done = [], 0
        span_start, span_end = found.span()
        while True:
            found = regex.search(text, found.start() + 1)
            if found is not None and found.start() < span_end:     # overlaps the span so far: widen it
                span_end = max(span_end, found.end())
                continue
            out += [text[done:span_start], MASK]
            done = span_end
            if found is None:
                break
            span_start, span_end = found.span()
        out.append(text[done:])
        return "".join(out)

    @property
    def longest(self) -> int:
        return len(self.values[0]) if self.values else 0
