"""Part (e) of bench/logs.py: the stored format's choice, measured (docs/architecture.md,
"Log storage"). The same log text as log_chunk-like rows of plain text, zlib-1 and zstd-1:
bytes on disk per byte of log, write and read MB/s.
"""
from __future__ import annotations

import sqlite3
import time
import zlib
from pathlib import Path

import zstandard

from bench.log_lines import build_log_lines
from models import logs


def formats(sample_bytes: int, tmp: Path) -> dict:
    """(e): one log's text as chunks of ≤ 5000 lines / 256 KiB, stored in each format."""
    chunks, current, size, total = [], [], 0, 0
    for line in build_log_lines(10 ** 8, seed=3):
        current.append(line)
        size += len(line) + 1
        if len(current) >= 5000 or size >= 256 * 1024:
            chunks.append("\n".join(current) + "\n")
            total += size
            current, size = [], 0
            if total >= sample_bytes:
                break
    zc, zd = zstandard.ZstdCompressor(level=logs.ZSTD_LEVEL), zstandard.ZstdDecompressor()
    codecs = {"rows": (lambda s: s, lambda v: v),
              "zlib1": (lambda s: zlib.compress(s.encode(), 1), lambda v: zlib.decompress(v).decode()),
              "zstd1": (lambda s: zc.compress(s.encode()), lambda v: zd.decompress(v).decode())}
    out = {}
    for name, (enc, dec) in codecs.items():
        path = tmp / f"format-{name}.db"
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=wal")
        db.execute("PRAGMA synchronous=normal")
        db.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, task INTEGER, first INTEGER, n INTEGER, content)")
        start, first = time.perf_counter(), 1
        for text in chunks:
            n = text.count("\n")
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO c (task, first, n, content) VALUES (1, ?, ?, ?)", (first, n, enc(text)))
            db.execute("COMMIT")
            first += n
        write = time.perf_counter() - start
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        disk = path.stat().st_size
        start, count = time.perf_counter(), 0
        for (content,) in db.execute("SELECT content FROM c ORDER BY first"):
            count += len(dec(content).split("\n")) - 1
        read = time.perf_counter() - start
        db.close()
        assert count == first - 1
        out[name] = {"disk_ratio": disk / total, "write_mb_s": total / write / 1e6, "read_mb_s": total / read / 1e6}
    return out
