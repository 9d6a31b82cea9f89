"""A kubelet that really runs a fake pod's containers, as local processes.

Images are ignored: each container's command runs on this machine's /bin/sh with
its environment resolved the way the kubelet does it (plain values, Secret and
ConfigMap keys, the pod's UID from the downward API) and its volumes as local
directories (Secret volumes as files with their mode). Output becomes the
container's log in the fake, and the exit code its terminated state.

One image is played, not ignored: a container whose argv runs `/kaniko/executor`
gets a stand-in for it (no kaniko can run here). `fake_kaniko` reads kaniko's flags
and builds and pushes with a real `buildah bud` + `buildah push` against the real test
registry, with the config.json mounted at /kaniko/.docker as its auth file. The log
therefore shows buildah's steps and errors, not kaniko's; what kaniko itself would
print is only tested on samples (tests/test_kaniko.py).
"""
from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.fakekube.routes import BY_KEY

ROOT = Path(__file__).resolve().parents[2]
KANIKO = "/kaniko/executor"


def _resolve_env(fake, ns: str, pod: dict, container: dict) -> dict:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp"}
    for var in container.get("env", []):
        src = var.get("valueFrom")
        if src is None:
            env[var["name"]] = var.get("value", "")
        elif "secretKeyRef" in src:
            ref = src["secretKeyRef"]
            data = fake.store.get(BY_KEY["secrets"], ns, ref["name"])["data"]
            env[var["name"]] = base64.b64decode(data[ref["key"]]).decode()
        elif "configMapKeyRef" in src:
            ref = src["configMapKeyRef"]
            env[var["name"]] = fake.store.get(BY_KEY["configmaps"], ns, ref["name"])["data"][ref["key"]]
        elif src.get("fieldRef", {}).get("fieldPath") == "metadata.uid":
            env[var["name"]] = pod["metadata"]["uid"]
    return env


def _volumes(fake, ns: str, pod: dict, root: Path) -> dict[str, Path]:
    dirs = {}
    for vol in pod["spec"].get("volumes", []):
        path = root / vol["name"]
        path.mkdir(parents=True, exist_ok=True)
        if "secret" in vol:
            data = fake.store.get(BY_KEY["secrets"], ns, vol["secret"]["secretName"])["data"]
            items = vol["secret"].get("items") or [{"key": k, "path": k} for k in data]
            for item in items:
                target = path / item["path"]
                target.write_bytes(base64.b64decode(data[item["key"]]))
                target.chmod(item.get("mode", vol["secret"].get("defaultMode", 0o644)))
        dirs[vol["name"]] = path
    return dirs


def _local(arg: str, mounts: list[tuple[str, Path]]) -> str:
    """A path inside the container as a local one; also `dir:///path` and `name=/path` (kaniko's flags)."""
    found = re.match(r"^(dir://|[^/=]+=)?(/.*)$", arg)
    if found:
        head, path = found.group(1) or "", found.group(2)
        for mount_path, local in mounts:
            if path == mount_path or path.startswith(mount_path + "/"):
                return head + str(local) + path[len(mount_path):]
    return arg


def _kaniko_image(root: Path, mounts: list[tuple[str, Path]]) -> tuple[str, Path]:
    """/kaniko of a played kaniko image: `executor` runs `fake_kaniko` with this machine's buildah."""
    image = root / "kaniko-image"
    image.mkdir(parents=True, exist_ok=True)
    docker = dict(mounts).get("/kaniko/.docker")
    env = {k: v for k, v in os.environ.items() if k.startswith("CONTAINERS_")}   # the tests' storage and config
    (image / "executor").write_text(
        f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        f"from tests.fakekube.kubelet import fake_kaniko\n"
        f"sys.exit(fake_kaniko(sys.argv[1:], {str(docker) if docker else None!r}, {env!r}))\n")
    (image / "executor").chmod(0o755)
    return "/kaniko", image


def run_container(fake, ns: str, pod: dict, container: dict, volumes: dict[str, Path]) -> int:
    mounts = sorted(((m["mountPath"], volumes[m["name"]]) for m in container.get("volumeMounts", [])),
                    key=lambda m: -len(m[0]))
    argv = container.get("command", []) + container.get("args", [])
    if KANIKO in argv:
        mounts = sorted(mounts + [_kaniko_image(next(iter(volumes.values())).parent, mounts)], key=lambda m: -len(m[0]))
    command = [_local(a, mounts) for a in argv]
    # The script files also name their mount paths ("$1/script"), which arrive as args: mapped above.
    proc = subprocess.run(command, env=_resolve_env(fake, ns, pod, container), stdin=subprocess.DEVNULL,
                          cwd=_local(container.get("workingDir", "/"), mounts), capture_output=True,
                          timeout=300 if KANIKO in argv else 60)
    name = pod["metadata"]["name"]
    lines = (proc.stdout + proc.stderr).decode(errors="replace").splitlines()
    fake.log(name, *lines, container=container["name"], namespace=ns)
    return proc.returncode


_KANIKO_FLAGS = {"dockerfile", "context", "destination", "digest-file", "push-retry", "insecure-registry",
                 "skip-tls-verify-registry", "registry-certificate"}
_KANIKO_SWITCHES = {"insecure", "skip-tls-verify", "insecure-pull", "skip-tls-verify-pull"}


def fake_kaniko(argv: list[str], docker_dir: str | None, env: dict) -> int:
    """Stand-in for /kaniko/executor: its flags become `buildah bud` + `buildah push` here."""
    flags: dict[str, list[str]] = {}
    args = iter(argv)
    for arg in args:
        name, eq, value = arg.removeprefix("--").partition("=")
        if not arg.startswith("--") or name not in _KANIKO_FLAGS | _KANIKO_SWITCHES:
            print(f"Error: unknown flag: {arg}", flush=True)
            return 1
        flags.setdefault(name, []).append(value if eq or name in _KANIKO_SWITCHES else next(args, ""))
    print("fake kaniko (tests): building with buildah bud and pushing with buildah push on this machine", flush=True)
    work = Path(tempfile.mkdtemp(prefix="fake-kaniko-"))
    try:
        auth = Path(docker_dir or "/nonexistent") / "config.json"
        if not auth.is_file():
            auth = work / "auth.json"
            auth.write_text('{"auths": {}}')       # kaniko without a config.json: no credentials at all
        tls = ["--tls-verify=false"] if _KANIKO_SWITCHES & set(flags) or "insecure-registry" in flags \
            or "skip-tls-verify-registry" in flags else ["--tls-verify=true"]
        for i, pair in enumerate(flags.get("registry-certificate", [])):
            (work / "certs").mkdir(exist_ok=True)
            shutil.copy(pair.split("=", 1)[1], work / "certs" / f"ca{i}.crt")
        certs = ["--cert-dir", str(work / "certs")] if (work / "certs").is_dir() else []
        common = ["--authfile", str(auth), *tls, *certs]
        first, full = flags["destination"][0], {**os.environ, **env}
        steps = [["buildah", "bud", "--isolation", "chroot", *common, "-f", flags["dockerfile"][0], "-t", first,
                  flags["context"][0].removeprefix("dir://")]]
        steps += [["buildah", "push", *common, "--digestfile", flags.get("digest-file", [str(work / "d")])[0], d]
                  for d in flags["destination"]]
        for step in steps:
            code = subprocess.call(step, env=full, stdin=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            if code:
                return code
        return 0
    finally:
        subprocess.call(["buildah", "rmi", *flags.get("destination", [])[:1]], env={**os.environ, **env},
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


def run_pod(fake, name: str, root: Path, namespace: str | None = None, timings: dict | None = None) -> int:
    """Start the pod, run its init containers then its main container; finish it with the exit code.
    `timings[name]` gets how long the main container's process ran, in seconds."""
    ns = fake._ns(name, namespace)
    if not fake.start_pod(name, ns):
        raise RuntimeError(f"pod {name} cannot start: {fake.pod(name, ns)['status']}")
    pod = fake.pod(name, ns)
    volumes = _volumes(fake, ns, pod, Path(root))
    for init in pod["spec"].get("initContainers", []):
        code = run_container(fake, ns, pod, init, volumes)
        if code != 0:
            raise RuntimeError(f"init container {init['name']} exited {code}")
    began = time.monotonic()
    code = run_container(fake, ns, pod, pod["spec"]["containers"][0], volumes)
    if timings is not None:
        timings[name] = time.monotonic() - began
    fake.finish_pod(name, exit_code=code, namespace=ns)
    return code


class AutoKubelet:
    """Runs every new pod of a namespace as soon as it is created, each in its own thread
    (for benchmarks and end-to-end tests). With `run=False` pods are only started and
    left running, idle, until something else ends them."""

    def __init__(self, fake, namespace: str, root: Path, run: bool = True):
        self.fake, self.namespace, self.root, self.run = fake, namespace, Path(root), run
        self.runtimes: dict[str, float] = {}      # pod → seconds its main container ran
        self.lifetimes: dict[str, float] = {}     # pod → seconds from its creation being seen to its end
        self._created: dict[str, float] = {}
        self._seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="auto-kubelet", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        store, version = self.fake.store, -1
        while not self._stop.is_set():
            with store.cond:
                store.cond.wait_for(lambda: store.rv != version, timeout=0.2)
                version = store.rv
                names = [n for (key, ns, n) in store.objects if key == "pods" and ns == self.namespace]
            for name in names:
                if name not in self._seen:
                    self._seen.add(name)
                    self._created[name] = time.monotonic()
                    threading.Thread(target=self._one, args=(name,), daemon=True).start()

    def _one(self, name: str) -> None:
        try:
            if not self.run:
                self.fake.start_pod(name, self.namespace)
                return
            run_pod(self.fake, name, self.root / name, self.namespace, self.runtimes)
            self.lifetimes[name] = time.monotonic() - self._created[name]
        except Exception:  # noqa: BLE001 — a pod deleted under us (stop, sweeper) simply ends
            pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
