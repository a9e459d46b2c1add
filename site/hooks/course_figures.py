"""Figures: numbers in the course text come from committed results files, never typed by hand.

`make numbers` (`tools/course_numbers.py`) runs the project's own benchmark scripts and writes
`course/_data/<set>.json`: `{"meta": {command, preset, seed, revision, versions, date, ...},
"figures": {...}}`. Lessons, flashcards and quiz explanations insert a figure with a placeholder:

    {{ models_full.logreg.ap }}                     0.671   (default format: .3f)
    {{ models_full.logreg.ap | .2f }}               0.67    (any Python format spec)
    {{ models_full.data.base_rate_count | .2% }}    0.70 %  (a spec ending in % writes value × 100
                                                              and " %", the course's style)
    {{ models_full.random_forest.ap - models_full.logreg.ap | .2f }}
                                                    arithmetic (+ - * /, parentheses, abs, min,
                                                    max) on figures and plain numbers

The first name is the results file (`course/_data/models_full.json`), the rest a dotted path in its
`figures` (or `meta.seed`: numbers of its provenance). An unknown file or figure, a malformed
placeholder or a bad format is a FiguresError `path:line: what is wrong`, so the build fails
where the text is. No mkdocs import here: the site
hook, the Anki and QTI exporters and the tests share this module.
"""

from __future__ import annotations

import ast
import difflib
import json
import operator
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = "_data"  # under the docs dir (course/)
# `{{` + a space, or `{{name.`: mermaid's hexagon nodes (`{{Label}}`, `{{Label:<br/>x}}`) never
# match; anything else that opens like this is meant as a figure and must parse.
# `${{ … }}` (GitHub Actions expressions in a lesson's YAML) is left alone too.
PLACEHOLDER = re.compile(r"(?<!\$)\{\{((?:\s|[A-Za-z_]\w*\.)[^{}]*?)\}\}")
OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


FUNCTIONS = {"abs": abs, "min": min, "max": max}


class FiguresError(ValueError):
    """A placeholder or a results file is wrong; str() is `path:line: what is wrong`."""


@dataclass(frozen=True)
class ResultsFile:
    name: str
    path: Path
    meta: dict[str, Any]
    figures: dict[str, Any]


def load_results(docs_dir: Path) -> dict[str, ResultsFile]:
    """Every `course/_data/*.json` results file, by name; FiguresError on a malformed one."""
    out: dict[str, ResultsFile] = {}
    for path in sorted((Path(docs_dir) / DATA_DIR).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise FiguresError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
        if not isinstance(data, dict) or not isinstance(data.get("figures"), dict):
            raise FiguresError(f"{path}:1: a results file needs a `figures` mapping")
        if not isinstance(data.get("meta"), dict) or not data["meta"].get("command"):
            raise FiguresError(f"{path}:1: a results file needs `meta.command` (what wrote it)")
        out[path.stem] = ResultsFile(path.stem, path, data["meta"], data["figures"])
    return out


def _flat(figures: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in figures.items():
        if isinstance(value, dict):
            keys += _flat(value, f"{prefix}{key}.")
        else:
            keys.append(f"{prefix}{key}")
    return keys


def lookup(results: dict[str, ResultsFile], ref: str) -> float:
    """The number `file.dotted.key` names; FiguresError (without location) if there is none."""
    name, _, key = ref.partition(".")
    if name not in results:
        known = ", ".join(sorted(results)) or "none"
        raise FiguresError(f"unknown results file {name!r} in {ref!r} (course/_data has: {known})")
    value: Any = {**results[name].figures, "meta": results[name].meta}
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            close = difflib.get_close_matches(key, _flat(results[name].figures), n=3)
            hint = f"; did you mean {', '.join(f'{name}.{c}' for c in close)}?" if close else ""
            raise FiguresError(f"unknown figure {ref!r} in {results[name].path.name}{hint}")
        value = value[part]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FiguresError(f"figure {ref!r} is {value!r}, not a number")
    return float(value)


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _evaluate(node: ast.AST, results: dict[str, ResultsFile]) -> float:
    ref = _dotted(node)
    if ref is not None:
        if "." not in ref:
            raise FiguresError(f"{ref!r} names no figure (write file.key)")
        return lookup(results, ref)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in OPS:
        left, right = _evaluate(node.left, results), _evaluate(node.right, results)
        try:
            return float(OPS[type(node.op)](left, right))
        except ZeroDivisionError:
            raise FiguresError("division by zero") from None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand, results)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in FUNCTIONS
        and node.args
        and not node.keywords
    ):
        return float(FUNCTIONS[node.func.id](*(_evaluate(a, results) for a in node.args)))
    raise FiguresError(
        "only figures, numbers, + - * /, parentheses, abs, min and max are allowed, "
        f"not {ast.unparse(node)!r}"
    )


def format_value(value: float, spec: str) -> str:
    """`spec` is a Python format spec; one ending in `%` gives `value × 100` and ` %`."""
    try:
        if spec.endswith("%"):  # `.1%` → 41.2 % (fixed-point unless the spec names a type)
            inner = spec[:-1] or ".1"
            inner += "" if inner[-1] in "eEfFgGn" else "f"
            return f"{value * 100:{inner}} %"
        return f"{value:{spec}}"
    except ValueError:
        raise FiguresError(f"bad format {spec!r} (use a format spec like .3f or .1%)") from None


def render_one(body: str, results: dict[str, ResultsFile]) -> str:
    """The text of one placeholder body (`expression [| format]`)."""
    expression, bar, spec = body.partition("|")
    spec = spec.strip() if bar else ".3f"
    if bar and not spec:
        raise FiguresError("empty format after `|`")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise FiguresError(f"cannot read placeholder {{{{{body}}}}}") from None
    return format_value(_evaluate(tree.body, results), spec)


def render(text: str, results: dict[str, ResultsFile], *, where: str, first_line: int = 1) -> str:
    """`text` with its placeholders filled in; FiguresError `where:line: ...` if one is bad."""

    def replace(match: re.Match[str]) -> str:
        try:
            return render_one(match.group(1), results)
        except FiguresError as exc:
            line = first_line + text.count("\n", 0, match.start())
            raise FiguresError(f"{where}:{line}: {exc}") from None

    return PLACEHOLDER.sub(replace, text)


def references(text: str) -> list[str]:
    """The figure references (`file.key`) the placeholders of `text` use."""
    refs = []
    for match in PLACEHOLDER.finditer(text):
        expression = match.group(1).partition("|")[0]
        refs += re.findall(r"[A-Za-z_]\w*(?:\.\w+)+", expression)
    return refs
