"""daemon.log_blocks: the whole-block path gives what the definition of a line gives.

The definition, written out line by line here: a line ends in "\\n"; a "\\r" right before
it is part of the ending; invalid UTF-8 is U+FFFD; a line over MAX_LINE_BYTES is stored in
marked pieces; a chunk holds whole lines, at most MAX_LINES_PER_CHUNK of them.
"""
import random

from daemon import log_blocks
from daemon.executors.base import CONTINUES, MAX_LINE_BYTES
from daemon.shipping import safe_cut
from models.secrets import Masker

MARKER = CONTINUES.rstrip(b"\n").decode()


def by_line(data: bytes) -> list[str]:
    lines = data.decode("utf-8", errors="replace").split("\n")
    if lines[-1] == "":
        lines.pop()
    out = []
    for line in (ln[:-1] if ln.endswith("\r") else ln for ln in lines):
        raw = line.encode()
        while len(raw) > MAX_LINE_BYTES:
            cut = MAX_LINE_BYTES
            while (raw[cut] & 0xC0) == 0x80:
                cut -= 1
            out.append(raw[:cut].decode() + MARKER)
            raw = raw[cut:]
        out.append(raw.decode())
    return out


def by_block(data: bytes, masker=Masker()) -> list[str]:
    body = log_blocks.clean(data)
    if log_blocks.has_long_line(body):
        body = log_blocks.split_long_lines(body, lambda raw, at: safe_cut(masker, raw, at))
    chunks = log_blocks.chunks(masker.mask_block(body))
    assert b"".join(text for text, _ in chunks) == body
    for text, count in chunks:
        assert text.endswith(b"\n") and text.count(b"\n") == count <= log_blocks.MAX_LINES_PER_CHUNK
        assert len(text) <= log_blocks.CHUNK_BYTES or count == 1
    return body.decode()[:-1].split("\n")


def test_endings_control_characters_and_invalid_utf8_match_the_definition():
    samples = [b"a\r\nb\rc\r\r\nd\x0ce\x0b\n", b"no newline at the end\r", b"\xff\xfe bad \xc3\n\xc3\xa9 ok\n",
               "日本語\u2028é\n".encode(), b"\n\n\r\n", b"x"]
    for data in samples:
        assert by_block(data) == by_line(data), data


def test_long_lines_short_lines_and_lines_just_under_the_limit_match_the_definition():
    rnd = random.Random(5)
    parts = []
    for _ in range(300):
        kind = rnd.randrange(5)
        size = {0: rnd.randrange(0, 200), 1: MAX_LINE_BYTES - rnd.randrange(0, 3), 2: MAX_LINE_BYTES + rnd.randrange(1, 3),
                3: rnd.randrange(MAX_LINE_BYTES, 5 * MAX_LINE_BYTES), 4: 0}[kind]
        parts.append(("é" if kind == 3 else "x") * (size // (2 if kind == 3 else 1)) + "\n")
    parts.append("y\n" * 12000)           # more lines than one chunk may hold
    data = "".join(parts).encode()
    assert by_block(data) == by_line(data)
    assert log_blocks.has_long_line(b"x" * (MAX_LINE_BYTES + 1) + b"\n")
    assert not log_blocks.has_long_line((b"x" * (MAX_LINE_BYTES // 2 - 1) + b"\n") * 40)


def test_a_block_is_masked_only_where_a_form_occurs_and_cut_to_whole_lines_at_the_cap():
    masker = Masker(["s3cr3t-TOKEN-0123"])
    clear = b"nothing to hide\n" * 100
    assert masker.mask_block(clear) is clear          # not decoded, not copied
    assert masker.mask_block(b"a s3cr3t-TOKEN-0123 b\nc\n") == b"a *** b\nc\n"
    body = b"12345\n" * 10
    assert log_blocks.within(body, 20) == b"12345\n" * 3 and log_blocks.within(body, 5) == b""
