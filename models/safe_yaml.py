"""Reading YAML that comes from a user, a checkout or a server without letting it explode.

A YAML alias re-uses an anchored node: nine levels of nine aliases ("billion laughs", under
1 KB of text) stand for ~400 million values. PyYAML builds them as shared references, so
loading alone is cheap, but whatever walks the value afterwards (validation, `str()`, JSON,
a request to Kubernetes, a YAML dump) expands it: minutes of CPU and gigabytes of memory.
So every document is checked while it is composed, before anything is built from it:

- `load()` is for Millrace's own format, pipeline definitions: anchors and aliases are
  refused, naming the line of the first one. Nothing in a definition needs them, the
  editor never writes them, and the canonical round trip (`dump_yaml`) could not keep them.
- `load_bounded()` / `load_all_bounded()` are for other tools' formats (Kubernetes
  manifests, Helm charts and rendered templates, chart indexes, kubeconfigs): those
  legitimately use anchors (`<<: *defaults` in manifests and values files), and kubectl
  and Helm accept them, so refusing would reject working files. There the aliases are
  allowed but the document's size *as expanded* is capped (`MAX_NODES`), computed on the
  composed node graph (each shared node counted once per use, memoised, so the check
  itself costs no more than the text) — a bomb is refused in milliseconds.

Both cap the text's size before parsing and the nesting depth (expanded, too), and raise
`YamlRefused`, a `yaml.YAMLError`, so any handler of YAML errors also catches it; its
message says what the limit is and, where it can, names the line. `describe()` words any
YAML error in one line. Parsing uses libyaml's C parser when PyYAML was built with it.
"""
from __future__ import annotations

from typing import Iterator

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, SequenceNode
from yaml.resolver import Resolver

from models.i18n import N_

try:
    from yaml.cyaml import CParser as _CParser
except ImportError:        # PyYAML without libyaml: the pure-Python reader, scanner and parser
    _CParser = None
    from yaml.parser import Parser as _Parser
    from yaml.reader import Reader as _Reader
    from yaml.scanner import Scanner as _Scanner

MiB = 1 << 20
PIPELINE_MAX_BYTES = 1 * MiB      # a definition with hundreds of tasks is tens of KB
KUBECONFIG_MAX_BYTES = 1 * MiB    # a kubeconfig with embedded certificates is a few KB
MANIFEST_MAX_BYTES = 16 * MiB     # a manifest file or rendered template (an object is at most ~1.5 MiB in etcd)
INDEX_MAX_BYTES = 32 * MiB        # a chart repository's index.yaml grows with every published version
# Values a bounded document may stand for once its aliases are expanded: ten times what a
# manifest at the size cap holds written out, far below what a bomb expands to.
MAX_NODES = 2_000_000
# Nesting (expanded) deeper than this is refused: real CRD schemas reach ~30 levels, and
# what comes after (composing, JSON, the Kubernetes client) recurses once per level.
MAX_DEPTH = 100


class YamlRefused(yaml.YAMLError):
    """YAML that Millrace will not read: too large, too deep, anchors where none are
    accepted, or expanding through its aliases beyond the limit. `.line` is 1-based or None."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def describe(exc: yaml.YAMLError) -> str:
    """One line for any YAML error: what is wrong and where."""
    if isinstance(exc, YamlRefused):
        return exc.args[0] if exc.args else str(exc)
    mark = getattr(exc, "problem_mark", None)
    problem = str(getattr(exc, "problem", None) or exc)
    if mark:
        return N_("not valid YAML at line {line}, column {column}: {problem}", line=mark.line + 1,
                  column=mark.column + 1, problem=problem)
    return N_("not valid YAML: {problem}", problem=problem)


def _check_size(text, max_bytes: int, what: str) -> None:
    # a character is at least one byte: only a text that may fit needs encoding to know
    size = len(text) if isinstance(text, bytes) or len(text) > max_bytes else len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise YamlRefused(N_("{what} is {size} MiB of YAML; the limit is {limit} MiB", what=what,
                             size=format(size / MiB, ".1f"), limit=max_bytes // MiB))


def _line(node_or_event) -> int | None:
    mark = getattr(node_or_event, "start_mark", None)
    return mark.line + 1 if mark is not None else None


_PARSERS = (_CParser,) if _CParser is not None else (_Reader, _Scanner, _Parser)


class _Loader(Composer, *_PARSERS, SafeConstructor, Resolver):
    """SafeLoader's constructor and resolver on libyaml's events, composed in Python so that
    every anchor, alias and level of nesting is seen before a node exists."""

    def __init__(self, stream, what: str, aliases: bool):
        if _CParser is not None:
            _CParser.__init__(self, stream)
        else:
            _Reader.__init__(self, stream)
            _Scanner.__init__(self)
            _Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.what, self.aliases, self.depth = what, aliases, 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None and not self.aliases:
            kind = f"alias *{anchor}" if isinstance(event, AliasEvent) else f"anchor &{anchor}"
            raise YamlRefused(N_("line {line}: YAML anchors and aliases are not accepted in {what} ({kind}); "
                                 "write the value out in full", line=_line(event), what=self.what, kind=kind),
                              _line(event))
        if self.depth >= MAX_DEPTH:
            raise YamlRefused(N_("line {line}: {what} is nested deeper than {depth} levels", line=_line(event),
                                 what=self.what, depth=MAX_DEPTH), _line(event))
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _children(node):
    if isinstance(node, SequenceNode):
        return node.value
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return ()


def _check_expansion(root, budget: int, what: str, limit: int) -> int:
    """The number of values `root` stands for with its aliases expanded (at most `budget`,
    else YamlRefused); also refuses recursive aliases and expanded nesting beyond MAX_DEPTH.
    Iterative and memoised per shared node (size and height): linear in the composed graph,
    whatever it expands to."""
    done: dict[int, tuple[int, int]] = {}             # id(node) -> (expanded size, expanded height)
    on_path = {id(root)}
    stack = [[root, iter(_children(root)), 1, 0]]      # node, children left, size so far, tallest child

    def add(frame, size, height, node):
        frame[2] += size
        frame[3] = max(frame[3], height)
        if frame[2] > budget:
            raise YamlRefused(N_("line {line}: {what} expands through its YAML aliases to more than {limit} "
                                 "values (the limit)", line=_line(node), what=what, limit=format(limit, ",")), _line(node))
        if len(stack) + height > MAX_DEPTH:
            raise YamlRefused(N_("line {line}: {what} is nested (with its aliases expanded) deeper than {depth} "
                                 "levels", line=_line(node), what=what, depth=MAX_DEPTH), _line(node))

    while stack:
        frame = stack[-1]
        child = next(frame[1], None)
        if child is None:
            stack.pop()
            on_path.discard(id(frame[0]))
            done[id(frame[0])] = (frame[2], frame[3] + 1)
            if stack:
                add(stack[-1], *done[id(frame[0])], frame[0])
        elif id(child) in done:
            add(frame, *done[id(child)], child)
        elif id(child) in on_path:
            raise YamlRefused(N_("line {line}: {what} has a YAML alias inside its own anchor (a recursive "
                                 "structure)", line=_line(child), what=what), _line(child))
        else:
            on_path.add(id(child))
            stack.append([child, iter(_children(child)), 1, 0])
    return done[id(root)][0]


def load(text, *, what: str = "a pipeline definition", max_bytes: int = PIPELINE_MAX_BYTES):
    """One document, with anchors and aliases refused (Millrace's own formats)."""
    _check_size(text, max_bytes, what)
    loader = _Loader(text, what, aliases=False)
    try:
        node = loader.get_single_node()
        return None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


def load_all_bounded(text, *, what: str, max_bytes: int = MANIFEST_MAX_BYTES,
                     max_nodes: int = MAX_NODES) -> Iterator:
    """Every document of a stream, aliases allowed, the expanded size capped across the stream."""
    _check_size(text, max_bytes, what)
    loader = _Loader(text, what, aliases=True)
    budget = max_nodes
    try:
        while loader.check_node():
            node = loader.get_node()
            budget -= _check_expansion(node, budget, what, max_nodes)
            yield loader.construct_document(node)
    finally:
        loader.dispose()


def load_bounded(text, *, what: str, max_bytes: int = MANIFEST_MAX_BYTES, max_nodes: int = MAX_NODES):
    """One document (None when empty), aliases allowed, its expanded size capped."""
    _check_size(text, max_bytes, what)
    loader = _Loader(text, what, aliases=True)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, max_nodes, what, max_nodes)
        return loader.construct_document(node)
    finally:
        loader.dispose()
