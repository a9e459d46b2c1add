"""nbgrader parity on real courses: the same public source notebooks graded by nbgrader and by us.

For every notebook of `benchmarks/nbgrader_corpus.yml` (repository + commit + path), copied from a
local mirror into ``build/parity/corpus/`` (the notebooks never enter git): each engine releases it
itself, three submissions are made from that engine's release (``solved``: the source's solutions;
``blank``: the release as is; ``half``: solutions for the first half of the answer cells), both
engines grade them, and every autograder test cell is compared. Prints (and writes to
``build/parity/real_courses.md``; per-cell points in ``real_courses.json``) test cells equal
overall, on correct submissions, per variant, per course and per pattern of issue 15 (classified
from the test cell's code), the differing cells, and the wall time per notebook submission of
each engine. A notebook with one answer cell has a ``half`` submission equal to ``blank``.

    python benchmarks/nbgrader_parity.py                       # whole manifest
    python benchmarks/nbgrader_parity.py --mirrors /work/.mirror --only LU,QR

Mirrors: ``<mirrors>/<owner>+<name>/repo`` (a bare or normal git repository holding the pinned
commit); a missing one is reported with the repository to clone. Notebooks whose imports do not
resolve here, or listed under ``skip`` in the manifest, are reported as skipped with the reason.
Our engine grades in this process with 1 worker (nbgrader grades one notebook at a time); the
wall time of each engine is its whole ``autograde`` run divided by the notebook submissions.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
KIT_PATH = ROOT / "tests" / "graders" / "parity" / "parity_kit.py"
MANIFEST = Path(__file__).resolve().with_name("nbgrader_corpus.yml")
VARIANTS = ("solved", "blank", "half")
MAX_DATA_BYTES = 20 << 20  # data files copied next to a notebook

# Issue 15's patterns, recognised in a test cell's code (first match wins).
PATTERN_RULES = [
    ("P18/19 stubs a library", r"^\s*(np|numpy|scipy|math)\.[\w.]+\s*=\s*"),
    ("P1 del/restore", r"^\s*del\s+\w+"),
    ("P17 magic", r"^\s*[%!]"),
    ("P2 function passed in", r"\blambda\b"),
    ("P14 globals()", r"\bglobals\(\)|\blocals\(\)"),
    ("P15 stdout capture", r"redirect_stdout|capsys|StringIO"),
    ("P10 pyplot state", r"plt\.(gca|gcf)\(|plotchecker"),
    ("P13 random seed", r"random\.seed|default_rng\("),
    ("P11 files", r"\bopen\(|os\.path|np\.load\(|read_csv\("),
    ("P16 timing", r"\btime\.(time|perf_counter)\(|timeit"),
    ("P6 introspection", r"\bisinstance\(|__dict__|\bdir\(|\btype\("),
    ("P4 helper def", r"^\s*def\s+\w+\("),
]


def load_kit() -> ModuleType:
    """The comparison kit shared with the CI suite (a test helper, loaded by path)."""
    spec = importlib.util.spec_from_file_location("parity_kit", KIT_PATH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["parity_kit"] = module
    spec.loader.exec_module(module)
    return module


kit = load_kit()


@dataclass
class Entry:
    course: str
    repo: str
    commit: str
    path: str
    skip: str = ""
    lab_file: str = ""  # name inside the course lab folder
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return Path(self.path).stem


@dataclass
class Outcome:
    entry: Entry
    cells: dict[str, float] = field(default_factory=dict)  # test cell -> points
    sources: dict[str, str] = field(default_factory=dict)  # test cell -> code
    theirs: dict[str, dict[str, float]] = field(default_factory=dict)  # variant -> cell -> pts
    ours: dict[str, dict[str, float]] = field(default_factory=dict)
    why: dict[str, dict[str, str]] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)


def read_manifest(path: Path) -> list[Entry]:
    data = yaml.safe_load(path.read_text())
    out = []
    for c in data["courses"]:
        for nb in c["notebooks"]:
            skip = (c.get("skip") or {}).get(nb, "")
            out.append(Entry(c["name"], c["repo"], c["commit"], nb, skip))
    return out


def git_dir(mirrors: Path, repo: str) -> Path | None:
    base = mirrors / repo.replace("/", "+") / "repo"
    for cand in (base / ".git", base):
        if (cand / "HEAD").is_file():
            return cand
    return None


def git(gd: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", str(gd), *args], check=True, capture_output=True
    ).stdout


def missing_imports(nb: dict[str, Any]) -> list[str]:
    """Top-level modules the notebook imports that this Python cannot find."""
    code = "\n".join(
        kit.cell_text(c.get("source", "")) for c in nb["cells"] if c.get("cell_type") == "code"
    )
    names = set(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", code, re.M))
    return sorted(n for n in names if importlib.util.find_spec(n) is None)


def copy_course(entries: list[Entry], gd: Path, lab_dir: Path) -> None:
    """The pinned notebooks and the data files of their folders, into one lab folder."""
    lab_dir.mkdir(parents=True, exist_ok=True)
    for e in entries:
        folder = str(Path(e.path).parent)
        listing = git(gd, "ls-tree", "-r", "-l", e.commit, "--", folder + "/").decode()
        for line in listing.splitlines():
            meta, name = line.split("\t", 1)
            size = meta.split()[3]
            rel = Path(name).relative_to(folder)
            if name.endswith(".ipynb") or ".ipynb_checkpoints" in rel.parts:
                continue
            if size.isdigit() and int(size) <= MAX_DATA_BYTES:
                data = git(gd, "show", f"{e.commit}:{name}")
                if b"BEGIN SOLUTION" in data:  # an instructor's copy (jupytext pair), not data
                    continue
                dest = lab_dir / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(data)
        nb = json.loads(git(gd, "show", f"{e.commit}:{e.path}"))
        spec = nb.setdefault("metadata", {}).get("kernelspec") or {}
        if spec.get("name") != "python3":  # a course's own kernel name: run it on this Python
            e.notes.append(f"kernelspec {spec.get('name')!r} run as python3")
            nb["metadata"]["kernelspec"] = {
                "name": "python3",
                "language": "python",
                "display_name": "Python 3",
            }
        (lab_dir / e.lab_file).write_text(json.dumps(nb, indent=1))


def classify(code: str) -> str:
    for name, rule in PATTERN_RULES:
        if re.search(rule, code, re.M):
            return name
    return "plain asserts"


def cause(code: str, why: str) -> str:
    """The pattern a differing cell most likely shows: our failure first, then the test's code."""
    m = re.search(r"NameError: name '(\w+)' is not defined", why)
    if m and "your code raised" in why and re.search(rf"^\s*[\w, ]*\b{m[1]}\b[\w, ]*=", code, re.M):
        return "P3 student code reads a test's global"
    return classify(code)


def make_submissions(course: Path, lab: str, entries: list[Entry]) -> None:
    for e in entries:
        src = json.loads((course / "source" / lab / e.lab_file).read_text())
        rel = json.loads((course / "release" / lab / e.lab_file).read_text())
        for v in VARIANTS:
            dest = course / "submitted" / v / lab / e.lab_file
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(json.dumps(kit.fill(rel, kit.variant_answers(src, v)), indent=1))


def grade_course(
    slug: str, entries: list[Entry], gd: Path, work: Path, timeout: float
) -> tuple[list[Outcome], float, float]:
    """Both engines on one course (one lab, its notebooks); returns outcomes and the walls."""
    lab = slug
    roots = {"ours": work / slug / "ours", "nbgrader": work / slug / "nbgrader"}
    for root in roots.values():
        shutil.rmtree(root, ignore_errors=True)
        copy_course(entries, gd, root / "source" / lab)
    from graders.release import release

    release(course_dir=roots["ours"], lab=lab)
    kit.nbgrader_release(roots["nbgrader"], lab, cell_timeout=timeout)
    for root in roots.values():
        make_submissions(root, lab, entries)
    nb_wall = kit.nbgrader_autograde(roots["nbgrader"], lab)
    theirs = kit.nbgrader_cell_scores(roots["nbgrader"], lab)
    ours = kit.ours_autograde(
        roots["ours"], lab, workers=1, config=kit.ours_config(cell_timeout_s=timeout)
    )
    outcomes = []
    for e in entries:
        src = json.loads((roots["ours"] / "source" / lab / e.lab_file).read_text())
        name = Path(e.lab_file).stem
        o = Outcome(e, cells=kit.test_cells(src))
        o.sources = {
            kit.nbgrader_meta(c)["grade_id"]: kit.cell_text(c["source"])
            for c in src["cells"]
            if kit.nbgrader_meta(c).get("grade_id") in o.cells
        }
        for v in VARIANTS:
            o.theirs[v] = theirs.get(v, {}).get(name, {})
            o.ours[v] = ours.cells.get(v, {}).get(name, {})
            o.why[v] = ours.details.get(v, {}).get(name, {})
            o.status[v] = ours.status.get(v, {}).get(name, "not graded")
        outcomes.append(o)
    return outcomes, nb_wall, ours.wall_s


def pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100 * a / b:.0f} %)" if b else "0/0"


def report(
    outcomes: list[Outcome], skipped: list[tuple[Entry, str]], walls: dict[str, list[float]]
) -> str:
    per_variant = {v: [0, 0] for v in VARIANTS}
    per_course: dict[str, list[int]] = {}
    per_pattern: dict[str, list[int]] = {}
    diffs: list[list[Any]] = []
    rows: list[list[Any]] = []
    for o in outcomes:
        full = sum(o.cells.values())
        row: list[Any] = [o.entry.course.split(" (")[0], o.entry.label, len(o.cells)]
        for v in VARIANTS:
            bad = kit.compare(o.theirs[v], o.ours[v], o.cells)
            per_variant[v][0] += len(o.cells) - len(bad)
            per_variant[v][1] += len(o.cells)
            pc = per_course.setdefault(o.entry.course, [0, 0])
            pc[0] += len(o.cells) - len(bad)
            pc[1] += len(o.cells)
            bad_cells = {c for c, _, _ in bad}
            for cell in o.cells:
                pp = per_pattern.setdefault(classify(o.sources.get(cell, "")), [0, 0])
                pp[0] += cell not in bad_cells
                pp[1] += 1
            for cell, theirs, mine in bad:
                why = o.why[v].get(cell, "")
                diffs.append([o.entry.label, v, cell, cause(o.sources.get(cell, ""), why), theirs,
                              mine, why[:120]])  # fmt: skip
            row.append(f"{len(o.cells) - len(bad)}/{len(o.cells)}")
        solved_nb = sum(o.theirs["solved"].get(c, 0.0) for c in o.cells)
        row.append(f"{solved_nb:g}/{full:g}")
        row.append("; ".join(dict.fromkeys(o.entry.notes)))
        rows.append(row)
    from graders.results import is_ungraded

    ungraded = sorted(
        f"{o.entry.label}/{v}: {o.status[v]}"
        for o in outcomes
        for v in VARIANTS
        if is_ungraded(o.status[v]) or o.status[v] == "not graded"
    )
    total = [sum(x[0] for x in per_variant.values()), sum(x[1] for x in per_variant.values())]
    n_sub = len(outcomes) * len(VARIANTS)
    theirs_s, ours_s = sum(walls["nbgrader"]), sum(walls["ours"])
    courses = sorted({o.entry.course for o in outcomes})
    lines = [
        f"# nbgrader {kit.nbgrader_version()} vs mlops-grade on {len(outcomes)} public notebooks "
        f"from {len(courses)} courses",
        "",
        f"- test cells equal overall: **{pct(*total)}**",
        f"- on correct (solved) submissions: **{pct(*per_variant['solved'])}**",
        f"- blank: {pct(*per_variant['blank'])}; half-done: {pct(*per_variant['half'])}",
        f"- wall time per notebook submission: nbgrader {theirs_s / max(n_sub, 1):.2f} s, "
        f"ours {ours_s / max(n_sub, 1):.2f} s (1 worker; {n_sub} submissions)",
        f"- our submissions without a usable grade (engine failure, not a difference in "
        f"semantics): {len(ungraded)}" + (": " + ", ".join(ungraded[:20]) if ungraded else ""),
        "",
        "## Per notebook (test cells equal: solved, blank, half; nbgrader's score of the solution)",
        "",
        kit.markdown_table(
            ["course", "notebook", "test cells", *VARIANTS, "nbgrader solved", "notes"], rows
        ),
        "",
        "## Per course",
        "",
        kit.markdown_table(["course", "equal"], [[c, pct(*per_course[c])] for c in courses]),
        "",
        "## Per pattern (classified from the test cell's code; all variants)",
        "",
        kit.markdown_table(
            ["pattern", "equal"], [[p, pct(*v)] for p, v in sorted(per_pattern.items())]
        ),
        "",
        "## Differing test cells",
        "",
        kit.markdown_table(
            ["notebook", "variant", "test cell", "likely cause", "nbgrader", "ours", "our failure"],
            diffs,
        )
        if diffs
        else "none",
        "",
        "## Skipped",
        "",
        kit.markdown_table(
            ["course", "notebook", "why"], [[e.course, e.path, why] for e, why in skipped]
        )
        if skipped
        else "none",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "parity" / "corpus")
    parser.add_argument("--timeout", type=float, default=60, help="per-cell timeout, both engines")
    parser.add_argument("--only", default="", help="comma-separated notebook names (stems)")
    args = parser.parse_args()

    from graders.errors import GraderError

    only = {s.strip() for s in args.only.split(",") if s.strip()}
    entries = [e for e in read_manifest(args.manifest) if not only or e.label in only]
    skipped: list[tuple[Entry, str]] = []
    by_course: dict[str, list[Entry]] = {}
    mirrors: dict[str, Path] = {}
    for e in entries:
        gd = git_dir(args.mirrors, e.repo)
        if e.skip:
            skipped.append((e, e.skip))
            continue
        if gd is None:
            skipped.append((e, f"no mirror of {e.repo} under {args.mirrors} (clone it there)"))
            continue
        try:
            nb = json.loads(git(gd, "show", f"{e.commit}:{e.path}"))
        except subprocess.CalledProcessError:
            skipped.append((e, f"{e.commit[:10]}:{e.path} not in the mirror of {e.repo}"))
            continue
        gone = missing_imports(nb)
        if gone:
            skipped.append((e, "imports not available offline: " + ", ".join(gone)))
            continue
        mirrors[e.repo] = gd
        by_course.setdefault(e.repo, []).append(e)
    outcomes: list[Outcome] = []
    walls: dict[str, list[float]] = {"nbgrader": [], "ours": []}
    for repo, group in by_course.items():
        for i, e in enumerate(group):  # unique, shell-friendly names inside the lab
            e.lab_file = f"{i:02d}_" + re.sub(r"[^\w.-]+", "_", Path(e.path).name)
        slug = re.sub(r"\W+", "_", repo.split("/")[1]).strip("_").lower()
        print(f"grading {len(group)} notebooks of {repo} ...", flush=True)
        try:
            got, nb_wall, our_wall = grade_course(
                slug, group, mirrors[repo], args.workdir, args.timeout
            )
        except (GraderError, RuntimeError, subprocess.TimeoutExpired) as exc:
            # An engine refused the course (release or autograde failed): report, go on.
            skipped += [(e, f"{type(exc).__name__}: {exc}"[:300]) for e in group]
            continue
        outcomes += got
        walls["nbgrader"].append(nb_wall)
        walls["ours"].append(our_wall)
    if not outcomes:
        raise SystemExit("no notebook was graded: " + "; ".join(w for _, w in skipped)[:2000])
    text = report(outcomes, skipped, walls)
    out = ROOT / "build" / "parity" / "real_courses.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    kit.write_json(
        out.with_suffix(".json"),
        [
            {"course": o.entry.course, "repo": o.entry.repo, "commit": o.entry.commit,
             "path": o.entry.path, "points": o.cells, "nbgrader": o.theirs, "ours": o.ours,
             "our_failures": o.why, "our_status": o.status}
            for o in outcomes
        ],
    )  # fmt: skip
    print(text)
    print(f"→ {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
