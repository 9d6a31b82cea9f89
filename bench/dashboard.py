"""Server time of the dashboard's heaviest requests on a big database.

Fills a fresh data directory with 200 pipelines and 100,000 runs (and one task with a
200,000-line log), then times, through Flask's test client signed in as an administrator
(Dash's real request path, the door included, JSON in and out, a database connection per
request as in production):
  list     — rendering /pipelines (the page-routing callback)
  detail   — rendering /pipelines/<id> of a pipeline with 500 runs
  log_tail — one poll of the live log that receives 5 new lines
Goals (median): list ≤ 150 ms, detail ≤ 150 ms, log_tail ≤ 30 ms.

Then, in headless Chromium against a real `run.py dashboard` process (bench/browser_log.py),
a 1,000,000-line log: the time from the click on its task to its last lines in the DOM
(goal ≤ 1 s), and from each of 10 clicks on "Earlier" to that page's lines in the DOM
(goal ≤ 0.5 s each, and constant: the 10th no slower than twice the 1st).
Run: .venv/bin/python bench/dashboard.py [--repeat N] [--no-browser]. The last line is `RESULT key=value …`.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models import home, logs  # noqa: E402
from models.db import database, utcnow, write_transaction  # noqa: E402
from bench.support import signed_in  # noqa: E402

PIPELINES, RUNS, LOG_LINES = 200, 100_000, 200_000
GOALS = {"list": 150.0, "detail": 150.0, "log_tail": 30.0}
STATUSES = ["succeeded"] * 7 + ["failed", "stopped", "timed_out"]


def fill() -> dict:
    """Bulk rows with plain SQL: the point is the reading side, not peewee's insert speed."""
    from models import pipelines, spec
    from models.tables import Run, StageRun, TaskRun
    draft = spec.new_pipeline("pipe-000")      # a pipeline needs a task to be saved
    draft["stages"][1]["tasks"] = [{"name": "build", "type": "script", "image": "alpine", "script": "true"}]
    first = pipelines.create(draft, "bench")
    definition = pipelines.current_version(first).definition_json
    now = utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")
    rnd = random.Random(7)
    with write_transaction():
        for i in range(1, PIPELINES):
            pid = database.execute_sql(
                "INSERT INTO pipeline (name, description, owner, project, is_active, created_at, updated_at, "
                "concurrency_policy) VALUES (?, '', 'bench', 'default', 1, ?, ?, 'allow')",
                (f"pipe-{i:03d}", now, now)).lastrowid
            vid = database.execute_sql("INSERT INTO pipeline_version (pipeline_id, version_number, definition_json, "
                                       "created_by, created_at) VALUES (?, 1, ?, 'bench', ?)",
                                       (pid, definition.replace('"pipe-000"', f'"pipe-{i:03d}"'), now)).lastrowid
            database.execute_sql("UPDATE pipeline SET current_version_id = ? WHERE id = ?", (vid, pid))
        versions = dict(database.execute_sql("SELECT pipeline_id, id FROM pipeline_version").fetchall())
        rows = []
        for pid in versions:
            for n in range(1, RUNS // PIPELINES + 1):
                rows.append((pid, n, versions[pid], "manual", rnd.choice(STATUSES), now, now, now))
        database.cursor().executemany(
            "INSERT INTO run (pipeline_id, number, version_id, cause, status, queued_at, started_at, finished_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    run = Run.select().where(Run.pipeline == first).order_by(Run.number.desc()).first()
    with write_transaction():
        stage = StageRun.create(run=run, position=1, name="Build", mode="serial")
        task = TaskRun.create(run=run, stage_run=stage, position=0, name="flood", task_type="script", status="running")
        for start in range(0, LOG_LINES, 5000):
            logs.append(task, [f"\x1b[32mline\x1b[0m {n} <b>text</b>" for n in range(start + 1, start + 5001)], None)
    return {"pipeline": first.id, "task": task.id}


def dash_call(client, deps, output_marker: str, inputs: dict, state: dict, changed: str) -> dict:
    """POST one callback the way the browser does; returns the JSON response. The callback is
    the one writing `output_marker` that `changed` triggers (two may write the same output)."""
    dep = next(d for d in deps if output_marker in d["output"]
               and any(f"{i['id']}.{i['property']}" == changed for i in d["inputs"]))
    outputs = [{"id": o.split(".")[0], "property": o.split(".", 1)[1]}
               for o in dep["output"].strip(".").split("...")]
    body = {"output": dep["output"], "outputs": outputs if dep["output"].startswith("..") else outputs[0],
            "inputs": [dict(i, value=inputs.get(f"{i['id']}.{i['property']}")) for i in dep["inputs"]],
            "state": [dict(s, value=state.get(f"{s['id']}.{s['property']}")) for s in dep["state"]],
            "changedPropIds": [changed]}
    response = client.post("/_dash-update-component", json=body)
    if response.status_code not in (200, 204):
        raise RuntimeError(f"{output_marker}: HTTP {response.status_code}: {response.data[:500]!r}")
    return response.get_json() if response.status_code == 200 else {}


def timed(fn, repeat: int) -> list[float]:
    fn()                                  # warm-up: imports, first-request hooks, SQLite cache
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-browser", action="store_true", help="skip the 1,000,000-line log in Chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home.open_home(tmp, migrate=True)
        started = time.perf_counter()
        ids_ = fill()
        print(f"filled {PIPELINES} pipelines, {RUNS} runs, a {LOG_LINES}-line log in {time.perf_counter() - started:.1f}s")
        from dashboard import ids
        from dashboard.app import create_app
        client = signed_in(create_app().server.test_client())
        client.get("/")
        deps = json.loads(client.get("/_dash-dependencies").data)
        database.close()                  # from here on each request opens its own connection

        def page(path):
            return lambda: dash_call(client, deps, "_pages_content.children",
                                     {"_pages_location.pathname": path, "_pages_location.search": ""}, {},
                                     "_pages_location.pathname")

        def log_tail():
            from models.tables import TaskRun
            task = TaskRun.get_by_id(ids_["task"])
            last = task.log_lines
            with write_transaction():
                logs.append(task, [f"new line {last + k}" for k in range(1, 6)], None)
            database.close()
            reply = dash_call(client, deps, f"{ids.LOG_DATA}.data",
                              {f"{ids.LOG_POLL}.n_intervals": 1},
                              {f"{ids.LOG_TASK}.data": task.id,
                               f"{ids.LOG_WINDOW}.data": {"task": task.id, "first": last - 10, "last": last,
                                                          "live": True, "status": "running", "mark": None},
                               f"{ids.LOG_AUTO}.data": True},
                              f"{ids.LOG_POLL}.n_intervals")
            assert f"new line {last + 5}" in json.dumps(reply), "the poll did not carry the new lines"

        # The floor: the same server answering Dash's cheapest request (the app shell's layout).
        floor = statistics.median(timed(lambda: client.get("/_dash-layout"), args.repeat))
        print(f"floor     median {floor:7.1f} ms   (GET /_dash-layout on the same server)")
        results = {}
        for key, fn in (("list", page("/pipelines")), ("detail", page(f"/pipelines/{ids_['pipeline']}")),
                        ("log_tail", log_tail)):
            times = timed(fn, args.repeat)
            results[key] = (statistics.median(times), sorted(times)[int(len(times) * 0.95) - 1])
            print(f"{key:9s} median {results[key][0]:7.1f} ms   p95 {results[key][1]:7.1f} ms   goal ≤ {GOALS[key]:.0f} ms"
                  f"   {results[key][0] / floor:.1f}× the floor")
        database.close()
    met = all(results[k][0] <= GOALS[k] for k in GOALS)
    browser = ""
    if not args.no_browser:
        from bench import browser_log
        found = browser_log.measure()
        met = met and found.pop("met")
        browser = " " + " ".join(f"{k}={v}" for k, v in found.items())
    print("RESULT " + " ".join(f"{k}_median_ms={v[0]:.1f} {k}_p95_ms={v[1]:.1f} {k}_floor_ratio={v[0] / floor:.1f}"
                               for k, v in results.items())
          + f" floor_median_ms={floor:.1f}{browser} goals_met={'yes' if met else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
