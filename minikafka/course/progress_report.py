"""The progress report for learners and instructors: as text, JSON and one HTML page, the
notebooks' closing cell, a room's summary, and the command line.

    python -m minikafka.course progress                     every exercise's status, as text
    python -m minikafka.course progress --json              the same as JSON (one learner's record)
    python -m minikafka.course progress --json r.json --html r.html
                                                            the text, and the record and one page saved
    python -m minikafka.course progress --strict --assigned 2,4.1
                                                            exit 1 while an assigned exercise is todo or fail
    python -m minikafka.course progress --room a.json b.json
                                                            a room's records side by side
    python -m minikafka.course reset 2.1                    put exercise 2.1 back to its stub

Rules:
1. Text lines fit 100 columns (the checks' rule 5): a long detail is wrapped, continuations
   indented. The notebook cell prints no absolute path, so its stored output is the same on
   every machine.
2. JSON is one object: `format` (1), `learner`, `exercises` (number, notebook, function, file,
   status, detail, in course order), `counts` per status, `assigned` (the numbers) and
   `passed` (every assigned exercise ok). A room summary reads these records and nothing else.
3. The learner's name is `--learner`, else `MINIKAFKA_LEARNER`, else the login name.
4. Strict mode prints the report, then one line naming what is not done, and exits 1 unless
   every assigned exercise is ok; 0 otherwise. Bad arguments exit 2 with a message.
"""
from __future__ import annotations

import argparse
import getpass
import html
import json
import os
import sys
from pathlib import Path

from minikafka.course.checks import wrap_report
from minikafka.course.progress import STATUSES, Status, discover, find_root, report, reset, select, status_of

FORMAT = 1


def _title(root: Path, notebook: str) -> str:
    """"02 partitions and keys", from the notebook's file name when the notebooks are there."""
    found = sorted((root / "notebooks").glob(f"{notebook}-*.ipynb"))
    return f"{notebook} " + (found[0].stem.split("-", 1)[1].replace("-", " ") if found else "exercises")


def _line(s: Status, name_width: int = 0) -> str:
    label = f"[{s.status}]".ljust(6)
    name = f"{s.exercise.number} {s.exercise.function}()"
    if s.status == "todo":
        return wrap_report(f"  {label} {name}")
    return wrap_report(f"  {label} {(name + ':').ljust(name_width + 1)} {s.detail}")


def counts(statuses: list[Status]) -> dict[str, int]:
    return {name: sum(s.status == name for s in statuses) for name in STATUSES}


def as_text(statuses: list[Status], root: Path, learner: str | None = None) -> str:
    out = [f"Course progress in {root}" + (f" (learner: {learner})" if learner else "")]
    notebook = None
    width = max((len(f"{s.exercise.number} {s.exercise.function}()") for s in statuses), default=0)
    for s in statuses:
        if s.exercise.notebook != notebook:
            notebook = s.exercise.notebook
            out.append(_title(root, notebook))
        out.append(_line(s, width))
    c = counts(statuses)
    out.append(f"{len(statuses)} exercises: {c['ok']} ok, {c['fail']} fail, {c['todo']} todo")
    return "\n".join(out)


def not_done(statuses: list[Status], assigned: list[str]) -> list[Status]:
    """Rule 4: the assigned exercises that are not ok."""
    chosen = set(assigned)
    return [s for s in statuses if s.exercise.number in chosen and s.status != "ok"]


def as_json(statuses: list[Status], learner: str, assigned: list[str]) -> dict:
    """Rule 2."""
    return {
        "format": FORMAT,
        "learner": learner,
        "exercises": [{"number": s.exercise.number, "notebook": s.exercise.notebook, "function": s.exercise.function,
                       "file": s.exercise.file, "status": s.status, "detail": s.detail} for s in statuses],
        "counts": counts(statuses),
        "assigned": assigned,
        "passed": not not_done(statuses, assigned),
    }


_STYLE = ("body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}"
          ".ok{background:#d9f2d9}.fail{background:#f8d0d0}.todo{background:#eee}td.detail{font-family:monospace}")


def as_html(statuses: list[Status], root: Path, learner: str) -> str:
    """One self-contained page: no script, no external file."""
    c = counts(statuses)
    rows = []
    for s in statuses:
        e = s.exercise
        rows.append(f"<tr class=\"{s.status}\"><td>{html.escape(_title(root, e.notebook))}</td><td>{e.number}</td>"
                    f"<td>{html.escape(e.function)}()</td><td>{s.status}</td>"
                    f"<td class=\"detail\">{html.escape(s.detail if s.status != 'todo' else '')}</td></tr>")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>minikafka course progress: "
            f"{html.escape(learner)}</title><style>{_STYLE}</style></head><body>\n"
            f"<h1>Course progress: {html.escape(learner)}</h1>\n"
            f"<p>{len(statuses)} exercises: {c['ok']} ok, {c['fail']} fail, {c['todo']} todo</p>\n"
            "<table><tr><th>notebook</th><th>exercise</th><th>function</th><th>status</th><th>detail</th></tr>\n"
            + "\n".join(rows) + "\n</table></body></html>\n")


def show(notebook: str) -> None:
    """The closing cell of a notebook: the learner's progress on its exercises (rule 1)."""
    root = find_root()
    statuses = report(root, notebook=notebook)
    done = sum(s.status == "ok" for s in statuses)
    files = sorted({s.exercise.file for s in statuses})
    print(f"Your exercises in notebook {notebook} ({', '.join(files)}): {done} of {len(statuses)} done")
    for s in statuses:
        print(_line(s))
    print("Every notebook: run `python -m minikafka.course progress` in a terminal.")


def room(paths: list[Path]) -> str:
    """A room's records (rule 2) side by side: one line per learner, then where the room is stuck."""
    records = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    for p, r in zip(paths, records):
        if not isinstance(r, dict) or r.get("format") != FORMAT:
            raise ValueError(f"{p} is not a progress record (made by `progress --json`, format {FORMAT})")
    records.sort(key=lambda r: str(r["learner"]))
    width = max([len(str(r["learner"])) for r in records] + [7])
    out = [f"{'learner'.ljust(width)}  ok  fail  todo  not done yet"]
    for r in records:
        c = r["counts"]
        left = [f"{e['number']}" + ("!" if e["status"] == "fail" else "") for e in r["exercises"] if e["status"] != "ok"]
        shown = " ".join(left[:12]) + (f" (+{len(left) - 12})" if len(left) > 12 else "")
        out.append(wrap_report(f"{str(r['learner']).ljust(width)}  {c['ok']:>2}  {c['fail']:>4}  {c['todo']:>4}  {shown}"))
    numbers = sorted({e["number"] for r in records for e in r["exercises"]}, key=lambda n: tuple(map(int, n.split("."))))
    stuck = []
    for n in numbers:
        tried = [e for r in records for e in r["exercises"] if e["number"] == n and e["status"] != "todo"]
        failing = sum(e["status"] == "fail" for e in tried)
        if failing:
            stuck.append(f"{n} ({failing} of {len(tried)} who tried)")
    out.append("(! = fails its check)  failing now: " + (", ".join(stuck) if stuck else "nothing"))
    return "\n".join(out)


def _learner(name: str | None) -> str:
    """Rule 3."""
    if name:
        return name
    try:
        return os.environ.get("MINIKAFKA_LEARNER") or getpass.getuser()
    except Exception:       # no login name (some containers)
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minikafka.course", description="The course's progress report.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("progress", help="every exercise's status")
    p.add_argument("--root", type=Path, help="the course folder (default: found from the current folder)")
    p.add_argument("--json", nargs="?", const="-", metavar="FILE", help="one JSON record, on stdout or into FILE")
    p.add_argument("--html", type=Path, metavar="FILE", help="write one HTML page")
    p.add_argument("--room", type=Path, nargs="+", metavar="JSON", help="summarise records made by --json")
    p.add_argument("--strict", action="store_true", help="exit 1 unless every assigned exercise is ok")
    p.add_argument("--assigned", help="exercises to grade: 2.1,4 (a notebook number takes all of its own)")
    p.add_argument("--learner", help="the name in the record (default: MINIKAFKA_LEARNER or the login name)")
    r = sub.add_parser("reset", help="put exercises back to their stubs")
    r.add_argument("exercises", help="2.1, or 2 for every exercise of notebook 02, or several: 2.1,4")
    r.add_argument("--root", type=Path)
    args = parser.parse_args(argv)
    try:
        root = find_root() if args.root is None else find_root(args.root)
        if args.command == "reset":
            for e in select(discover(root), args.exercises):
                print(f"{'reset' if reset(root, e) else 'already the stub'}: {e.number} {e.function}() in {e.file}")
            return 0
        if args.room:
            print(room(args.room))
            return 0
        exercises = discover(root)
        chosen = [e.number for e in select(exercises, args.assigned)]
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    statuses = [status_of(e, root) for e in exercises]
    learner = _learner(args.learner)
    record = as_json(statuses, learner, chosen)
    to_stdout = args.json == "-"
    if to_stdout:
        print(json.dumps(record, indent=2))
    else:
        print(as_text(statuses, root, learner))
    if args.json and not to_stdout:
        Path(args.json).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    if args.html:
        args.html.write_text(as_html(statuses, root, learner), encoding="utf-8")
    if not args.strict:
        return 0
    left = [f"{s.exercise.number} [{s.status}]" for s in not_done(statuses, chosen)]
    print(wrap_report(f"strict: {len(left)} of {len(chosen)} assigned exercises not done: {', '.join(left)}" if left
                      else f"strict: all {len(chosen)} assigned exercises pass"), file=sys.stderr if to_stdout else sys.stdout)
    return 1 if left else 0
