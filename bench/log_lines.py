#!/usr/bin/env python3
"""The build-like log lines bench/logs.py stores, and a producer that prints them.

`python bench/log_lines.py BYTES` prints lines, one `write` each (as a program that logs
does), until BYTES bytes: the same bytes `bench/logs.py` writes to its log file. It is the
bench's realistic baseline — a task that makes its output rather than `cat`-ing a file from
the page cache — so it imports nothing but the standard library (it starts fast).
"""
from __future__ import annotations

import random
import sys

WORDS = ("Compiling", "Downloading", "Building", "Running", "warning:", "PASSED", "ok", "src/app/module",
         "tests/test_api.py::test_create", "Collecting", "requirements", "wheel", "cache", "layer", "sha256:")


def build_log_lines(count: int, seed: int = 7):
    """Build-like lines (timestamps, paths, hashes, counters): compresses about 4× with zstd,
    less than most real CI logs do (they repeat more)."""
    rnd = random.Random(seed)
    pool = rnd.randbytes(1 << 16).hex()      # from the seed: the producer prints the file's very bytes
    for i in range(count):
        kind, word, h = i % 6, WORDS[rnd.randrange(len(WORDS))], pool[(i * 37) % 130000:][:16]
        if kind == 0:
            yield f"2026-03-01T12:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d}Z INFO [worker-{i % 8}] request id={h} took {rnd.random() * 100:.2f}ms"
        elif kind == 1:
            yield f"  Compiling crate-{word}-{i % 300} v0.{i % 20}.{i % 7} (/build/src/{word}/{i % 50}.rs)"
        elif kind == 2:
            yield f"{word} src/{WORDS[i % len(WORDS)]}_{i}.py:{i % 400}: {word} unused variable 'x{h[:6]}'"
        elif kind == 3:
            yield f"sha256:{h}{pool[(i * 11) % 130000:][:48]} {rnd.randint(1, 10 ** 7)} bytes"
        elif kind == 4:
            yield f"tests/test_{i % 90}.py::test_case_{i} PASSED                                  [{i % 100:3d}%]"
        else:
            yield f"[{i:>7}/{count}] {word} {h}.o"


def lines_up_to(target_bytes: int, seed: int = 7):
    """build_log_lines until `target_bytes` have been yielded (newlines counted)."""
    size = 0
    for line in build_log_lines(10 ** 8, seed):
        yield line
        size += len(line) + 1
        if size >= target_bytes:
            return


def produce(target_bytes: int) -> None:
    write = sys.stdout.write
    for line in lines_up_to(target_bytes):
        write(line + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    produce(int(sys.argv[1]))
