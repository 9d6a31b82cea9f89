"""The daemon runs pipelines end to end with real git, real processes and real SQLite."""
import json
import time

from models import logs, pipelines, runs
from models.status import is_terminal
from models.tables import AuditEvent, TaskRun
from tests.conftest import pipeline_spec, run_until_done, script_task, tick_until, wait_for


def tasks_of(run):
    return {t.name: t for t in TaskRun.select().where(TaskRun.run == run.id)}


def test_sample_like_pipeline_checks_out_substitutes_and_passes_dynamic_parameters(home, repo, daemon):
    sha = repo.commit({"data.txt": "payload\n"}, "data")
    repo.push()
    p = pipelines.create(pipeline_spec("app", source={"repository": repo.url, "branch": "main"},
                                       parameters={"GREETING": "hi"}, stages=[
        {"name": "Build", "mode": "serial", "tasks": [
            script_task("make", 'cat data.txt; echo "VERSION=1.$BUILD_ID" >> "$MILLRACE_ENV"',
                        env=[{"name": "LABEL", "value": "build-${BUILD_ID}-${GREETING}"}])]},
        {"name": "Ship", "mode": "serial", "tasks": [
            script_task("ship", 'echo "label=$LABEL version=$VERSION commit=$MILLRACE_COMMIT_SHA"',
                        env=[{"name": "LABEL", "value": "ship-${VERSION}"}])]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    done = run_until_done(daemon, run.id)
    assert done.status == "succeeded", done.reason
    assert done.commit_sha == sha
    t = tasks_of(done)
    assert "payload" in logs.text(t["make"].id)
    assert f"label=ship-1.1 version=1.1 commit={sha}" in logs.text(t["ship"].id)


def test_first_failing_task_ends_the_run(home, daemon):
    p = pipelines.create(pipeline_spec(stages=[
        {"name": "A", "mode": "serial", "tasks": [script_task("ok", "echo fine"), script_task("bad", "echo oops; exit 3"),
                                                  script_task("never", "echo never")]},
        {"name": "B", "mode": "serial", "tasks": [script_task("later", "echo later")]}]), "tester")
    done = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    t = tasks_of(done)
    assert done.status == "failed"
    assert done.reason == "task 'bad' in stage 'A' failed: exit code 3"
    assert (t["ok"].status, t["bad"].status, t["never"].status, t["later"].status) == \
        ("succeeded", "failed", "skipped", "skipped")
    assert "oops" in logs.text(t["bad"].id)


def test_parallel_tasks_overlap_in_time(home, daemon, tmp_path):
    # Each task marks its start, then waits (up to 60 s) until all three have started. Run in
    # parallel they all see three marks and end together; run one after another, the first
    # would wait out its 60 s alone and end before the others started. The proof is in the
    # recorded times, not in how long the run took (a loaded machine may be slow at anything).
    marks = tmp_path / "marks"
    marks.mkdir()
    # the mark appears only once it holds its time (a plain `date > file` creates it empty first)
    body = ('date +%s.%N > "$MARKS/$MILLRACE_TASK_NAME.tmp"; mv "$MARKS/$MILLRACE_TASK_NAME.tmp" '
            '"$MARKS/$MILLRACE_TASK_NAME.start"; i=0\n'
            'while [ "$(ls "$MARKS" | grep -c start)" -lt 3 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n'
            'date +%s.%N > "$MARKS/$MILLRACE_TASK_NAME.end"')
    tasks = [script_task(n, body, env=[{"name": "MARKS", "value": str(marks)}, {"name": "MILLRACE_TASK_NAME", "value": n}])
             for n in ("one", "two", "three")]
    p = pipelines.create(pipeline_spec(stages=[{"name": "Par", "mode": "parallel", "tasks": tasks}]), "tester")
    done = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id, timeout=300)
    assert done.status == "succeeded"
    starts = [float((marks / f"{n}.start").read_text()) for n in ("one", "two", "three")]
    ends = [float((marks / f"{n}.end").read_text()) for n in ("one", "two", "three")]
    assert max(starts) < min(ends), "all three were running at the same moment"


def test_serial_tasks_do_not_overlap(home, daemon, tmp_path):
    log = tmp_path / "order"
    tasks = [script_task(n, f'echo start-{n} >> "{log}"; sleep 0.1; echo end-{n} >> "{log}"') for n in ("a", "b")]
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": tasks}]), "tester")
    run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert log.read_text().split() == ["start-a", "end-a", "start-b", "end-b"]


def test_stop_ends_the_process_group_and_marks_stopped(home, daemon, tmp_path):
    child_pid = tmp_path / "child.pid"
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("sleepy", f'sleep 300 & echo $! > "{child_pid}"; wait'), script_task("after", "echo no")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    tick_until(daemon, lambda: child_pid.exists() and child_pid.read_text().strip(), message="the task's child pid")
    assert runs.request_stop(run, "alice")
    done = run_until_done(daemon, run.id)
    t = tasks_of(done)
    assert done.status == "stopped" and done.reason == "stopped by alice"
    assert t["sleepy"].status == "stopped" and t["after"].status == "skipped"
    pid = int(child_pid.read_text())
    # the signal is sent; the child's exit follows when the kernel gets to it
    wait_for(lambda: not _alive(pid), message="the task's background child to be killed with its group")
    assert AuditEvent.select().where(AuditEvent.action == "stop", AuditEvent.actor == "alice").count() == 1


def _alive(pid):
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_timeout_counts_execution_time_only(home, daemon, clock):
    p = pipelines.create(pipeline_spec(timeout_minutes=1, stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("forever", "sleep 300")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    daemon.tick(clock.now())                   # claim
    daemon.tick(clock.advance(1))              # start the task
    daemon.tick(clock.advance(29))
    assert runs.Run.get_by_id(run.id).status == "running"
    clock.advance(32)                          # 62 s: past the minute; TERM ends `sleep`

    def timed_out():
        daemon.tick(clock.now())
        return runs.Run.get_by_id(run.id).status == "timed_out"
    wait_for(timed_out, message=lambda: f"the run to time out (is {runs.Run.get_by_id(run.id).status})", ignore=())
    done = runs.Run.get_by_id(run.id)
    assert done.reason == "timed out after 1 minute of execution"     # was "1 minutes" (the dashboard issue)
    assert tasks_of(done)["forever"].status == "timed_out"


def test_slot_limit_makes_extra_tasks_wait_visibly(home, daemon):
    from models import daemon_state
    daemon_state.set_setting("task_slots", "1", "tester")
    p = pipelines.create(pipeline_spec(stages=[{"name": "P", "mode": "parallel", "tasks": [
        script_task("a", "sleep 0.3"), script_task("b", "sleep 0.3")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    seen = set()

    def ended():
        seen.update((t.status, t.reason) for t in TaskRun.select().where(TaskRun.run == run.id))
        return is_terminal(runs.Run.get_by_id(run.id).status)
    tick_until(daemon, ended, message="the run to end")
    assert ("waiting", "waiting: 1/1 task slots busy") in seen
    assert runs.Run.get_by_id(run.id).status == "succeeded"


def test_missing_branch_fails_with_a_clear_message(home, repo, daemon):
    p = pipelines.create(pipeline_spec(source={"repository": repo.url, "branch": "gone"}, stages=[
        {"name": "S", "mode": "serial", "tasks": [script_task("t", "echo hi")]}]), "tester")
    done = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert done.status == "failed"
    assert done.reason == f"branch 'gone' not found in repository '{repo.url}'"


def test_rerun_runs_the_old_version_after_an_edit(home, daemon):
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("t", "echo version-one")]}]), "tester")
    first = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    pipelines.save(p, pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("t", "echo version-two")]}]), "tester")
    again = run_until_done(daemon, runs.rerun(first, "tester").id)
    fresh = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert (again.number, again.cause) == (2, "rerun")
    assert "version-one" in logs.text(tasks_of(again)["t"].id)
    assert "version-two" in logs.text(tasks_of(fresh)["t"].id)


def test_task_without_its_configuration_fails_naming_what_it_needs(home, daemon):
    p = pipelines.create(pipeline_spec(stages=[{"name": "D", "mode": "serial", "tasks": [
        {"name": "apply", "type": "deploy_yaml", "file": "app.yaml", "namespace": "prod"}]}]), "tester")
    done = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert done.status == "failed"
    assert done.reason.startswith("task 'apply' in stage 'D' failed: ")
    assert "cluster" in done.reason, "the message says which configuration the task needs"


def test_undefined_dynamic_variable_fails_at_run_time_naming_it(home, daemon):
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("a", "true"), script_task("b", "true", env=[{"name": "X", "value": "${NEVER_SET}"}])]}]), "tester")
    done = run_until_done(daemon, runs.enqueue_run(p, "manual", "tester").id)
    assert done.status == "failed"
    assert "undefined variable ${NEVER_SET} in stages[0].tasks[1].env[0].value" in done.reason


def test_every_intent_writes_an_audit_row(home, daemon):
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [script_task("t", "true")]}]), "bob")
    pipelines.save(p, pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [script_task("t", "echo edited")]}]),
                   "bob")
    run = run_until_done(daemon, runs.enqueue_run(p, "manual", "bob").id)
    runs.rerun(run, "bob")
    actions = [a.action for a in AuditEvent.select().where(AuditEvent.actor == "bob").order_by(AuditEvent.id)]
    assert actions == ["create", "edit", "run", "rerun"]


def test_deactivated_pipeline_refuses_to_run(home):
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [script_task("t", "true")]}]),
                         "tester")
    pipelines.set_active(p, False, "tester")
    try:
        runs.enqueue_run(p, "manual", "tester")
    except runs.RunError as exc:
        assert "deactivated" in str(exc)
    else:
        raise AssertionError("a deactivated pipeline was queued")


def test_stop_kills_a_task_that_ignores_term_after_the_grace_period(home, daemon, tmp_path, clock):
    ready = tmp_path / "ready"
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("stubborn", f"trap '' TERM; touch {ready}; sleep 300")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    tick_until(daemon, ready.exists, clock, message="the script to ignore TERM")
    runs.request_stop(run, "alice")
    daemon.tick(clock.advance(5))                      # TERM is sent, and ignored
    time.sleep(0.3)                                    # (a chance to die, were TERM not ignored)
    daemon.tick(clock.advance(1))
    assert runs.Run.get_by_id(run.id).status == "running", "still within the grace period"
    clock.advance(10)                                  # grace over: KILL the whole group
    tick_until(daemon, lambda: runs.Run.get_by_id(run.id).status == "stopped", clock, message="the run to stop")
    pid = json.loads(tasks_of(run)["stubborn"].handle_json)["pid"]
    # KILL is sent; under load the kernel can take a moment to end every process of the group
    wait_for(lambda: not _group_alive(pid), message="the task's process group to be gone after KILL")


def test_a_script_trapping_term_gets_to_clean_up(home, daemon, tmp_path):
    ready = tmp_path / "ready"
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("polite", f"trap 'echo cleaning up; exit 0' TERM; touch {ready}; "
                              "while :; do sleep 0.1; done")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    tick_until(daemon, ready.exists, message="the script's TERM trap to be set")
    runs.request_stop(run, "alice")
    done = run_until_done(daemon, run.id)
    assert done.status == "stopped"
    assert "cleaning up" in logs.text(tasks_of(done)["polite"].id)


def _group_alive(pgid):
    import os
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                return True
    return False


def test_a_task_that_cannot_be_started_fails_with_the_reason_and_the_daemon_goes_on(home, daemon):
    p = pipelines.create(pipeline_spec(stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("t", "echo never")]}]), "tester")
    run = runs.enqueue_run(p, "manual", "tester")
    from daemon import run_layout
    blocker = run_layout.run_dir(run.id) / "tasks"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where the task directories should be")
    done = run_until_done(daemon, run.id)
    assert done.status == "failed"
    assert "could not start the task" in tasks_of(done)["t"].reason
    other = pipelines.create(pipeline_spec("other", stages=[{"name": "S", "mode": "serial", "tasks": [
        script_task("t", "echo fine")]}]), "tester")
    assert run_until_done(daemon, runs.enqueue_run(other, "manual", "tester").id).status == "succeeded"
