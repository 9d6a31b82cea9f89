"""Build & publish image: build the Dockerfile of a checkout and push it to a registry.

`plan_build()` turns the task into a `BuildPlan`: steps as argv lists whose user values
are `$NAME` tokens, and an env dict holding those values.
`BuildPlan.script` renders the steps as a fixed shell script that only says "$NAME",
so the engine can run it as a durable local process; `run_build()` runs that same
script here. The script marks its progress with `millrace: step|image|registry|pushed|error`
lines, so the outcome can be read from the output alone: `parse_digest()` finds the
pushed digest and `explain_failure()` says what went wrong, naming the failing step.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from daemon.tasks.lib import paths, registry as reg
from daemon.tasks.lib.registry import Registry
from models.variables import substitute

BUILDERS = ("buildah", "podman", "docker")


class BuildError(Exception):
    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


def build_fields(task: dict, values: dict, where: str) -> dict[str, str]:
    """A build & publish image task's fields, substituted, with their defaults."""
    return {k: substitute(task.get(k) or default, values, f"{where}.{k}")
            for k, default in (("image", ""), ("tag", ""), ("workspace", ""), ("dockerfile", "Dockerfile"),
                               ("context", "."))}


def detect_builder(which=shutil.which, preferred: str | None = None) -> str:
    for name in ([preferred] if preferred else BUILDERS):
        if which(name):
            return name
    looked = preferred or ", ".join(BUILDERS)
    raise BuildError(f"no image builder found on this machine (looked for {looked} on PATH): "
                     "install buildah or podman, or a docker engine")


@dataclass
class Step:
    name: str                       # login | build | push | digest
    argv: list[str]                 # literals, and "$NAME" tokens filled from the plan's env
    stdin_env: str | None = None    # env var piped to stdin (passwords never go on argv)
    stdout_env: str | None = None   # env var naming a file that receives stdout


@dataclass
class BuildPlan:
    builder: str
    image: str
    steps: list[Step]
    env: dict[str, str]
    work_dir: Path
    secret_values: list[str] = field(default_factory=list)

    @property
    def script(self) -> str:
        lines = ["#!/bin/sh", "# Millrace image build. Every value comes from the environment.", "set -eu",
                 # the login's auth file holds the password (base64): never leave it behind
                 'trap \'rm -f "$MILLRACE_AUTH_FILE"\' EXIT',
                 'if [ ! -f "$MILLRACE_DOCKERFILE" ]; then',
                 "  printf 'millrace: error: Dockerfile %s not found in the checkout\\n' "
                 '"$MILLRACE_DOCKERFILE_PATH" >&2',
                 "  exit 3", "fi",
                 'mkdir -p "$MILLRACE_WORK_DIR"',
                 'if [ -n "${MILLRACE_REGISTRY_CA:-}" ]; then',
                 '  mkdir -p "$MILLRACE_CERT_DIR"',
                 "  printf '%s\\n' \"$MILLRACE_REGISTRY_CA\" > \"$MILLRACE_CERT_DIR/ca.crt\"", "fi",
                 "printf 'millrace: registry %s\\n' \"$MILLRACE_REGISTRY\"",
                 "[ -z \"$MILLRACE_REGISTRY_USERNAME\" ] || "
                 "printf 'millrace: user %s\\n' \"$MILLRACE_REGISTRY_USERNAME\"",
                 "printf 'millrace: image %s\\n' \"$MILLRACE_IMAGE\""]
        for step in self.steps:
            line = " ".join(_word(t) for t in step.argv)
            if step.stdin_env:
                line = f"printf '%s' {_word('$' + step.stdin_env)} | {line}"
            if step.stdout_env:
                line += f" > {_word('$' + step.stdout_env)}"
            lines += [f"printf 'millrace: step %s\\n' {step.name}", line]
        lines.append("printf 'millrace: pushed %s\\n' \"$(cat \"$MILLRACE_DIGEST_FILE\")\"")
        return "\n".join(lines) + "\n"


def _word(token: str) -> str:
    return f'"${{{token[1:]}}}"' if token.startswith("$") else shlex.quote(token)


def _inside(root: Path, rel: str, what: str) -> Path:
    try:
        return paths.inside(root, rel, what)      # symlinks followed, and kept in the checkout
    except paths.PathOutside as e:
        raise BuildError(str(e)) from None


def plan_build(checkout: Path, dockerfile: str, registry: Registry, workspace: str, name: str, tag: str,
               work_dir: Path, *, context: str = ".", builder: str | None = None,
               which=shutil.which, retries: int = 3, retry_delay: str = "2s") -> BuildPlan:
    """Plan building `<checkout>/<dockerfile>` and pushing `<registry>/<workspace>/<name>:<tag>`."""
    builder = detect_builder(which, builder)
    try:
        image = reg.image_ref(registry, workspace, name, tag)
    except reg.RegistryError as e:
        raise BuildError(str(e)) from None
    work_dir = Path(work_dir)
    env = {"MILLRACE_IMAGE": image, "MILLRACE_REGISTRY": registry.host,
           "MILLRACE_REGISTRY_USERNAME": registry.username,
           "MILLRACE_DOCKERFILE": str(_inside(checkout, dockerfile, "Dockerfile path")),
           "MILLRACE_DOCKERFILE_PATH": dockerfile,
           "MILLRACE_CONTEXT": str(_inside(checkout, context, "build context")),
           "MILLRACE_WORK_DIR": str(work_dir),
           "MILLRACE_DIGEST_FILE": str(work_dir / "image-digest"),
           "MILLRACE_AUTH_FILE": str(work_dir / "registry-auth.json")}
    secrets = []
    # the registry's settings decide TLS for login and push, not the machine's registries.conf
    tls = ["--tls-verify=true"] if registry.verify_tls else ["--tls-verify=false"]
    if registry.ca_cert and registry.verify_tls:
        env["MILLRACE_REGISTRY_CA"] = registry.ca_cert
        env["MILLRACE_CERT_DIR"] = str(work_dir / "registry-certs")
        tls += ["--cert-dir", "$MILLRACE_CERT_DIR"]
    if registry.has_credentials:
        env["MILLRACE_REGISTRY_PASSWORD"] = registry.password
        secrets.append(registry.password)
    if builder == "docker":
        # docker keeps logins in DOCKER_CONFIG; TLS and insecure registries are engine settings
        env["DOCKER_CONFIG"] = str(work_dir / "docker-config")
        tls = []
    steps = _STEPS[builder](tls, registry.has_credentials, ["--retry", str(retries), "--retry-delay", retry_delay])
    return BuildPlan(builder, image, steps, env, work_dir, [s for s in secrets if s])


def _containers_steps(tool: str, build_verb: str, push_retries: bool):
    def steps(tls, login, retry):
        auth = ["--authfile", "$MILLRACE_AUTH_FILE"] if login else []
        out = []
        if login:
            out.append(Step("login", [tool, "login", *auth, "--username", "$MILLRACE_REGISTRY_USERNAME",
                                      "--password-stdin", *tls, "$MILLRACE_REGISTRY"],
                            stdin_env="MILLRACE_REGISTRY_PASSWORD"))
        # base images may come from other registries: only loosen TLS for them, never tighten
        build_tls = [t for t in tls if t == "--tls-verify=false"]
        out.append(Step("build", [tool, build_verb, "--isolation", "chroot", *retry, *auth,
                                  *build_tls, "-f", "$MILLRACE_DOCKERFILE", "-t", "$MILLRACE_IMAGE",
                                  "$MILLRACE_CONTEXT"]))
        out.append(Step("push", [tool, "push", *(retry if push_retries else []), *auth, *tls,
                                 "--digestfile", "$MILLRACE_DIGEST_FILE", "$MILLRACE_IMAGE"]))
        return out
    return steps


def _docker_steps(tls, login, retry):
    out = []
    if login:
        out.append(Step("login", ["docker", "login", "--username", "$MILLRACE_REGISTRY_USERNAME",
                                  "--password-stdin", "$MILLRACE_REGISTRY"], stdin_env="MILLRACE_REGISTRY_PASSWORD"))
    out += [Step("build", ["docker", "build", "-f", "$MILLRACE_DOCKERFILE", "-t", "$MILLRACE_IMAGE",
                           "$MILLRACE_CONTEXT"]),
            Step("push", ["docker", "push", "$MILLRACE_IMAGE"]),
            Step("digest", ["docker", "inspect", "--format", "{{range .RepoDigests}}{{println .}}{{end}}",
                            "$MILLRACE_IMAGE"], stdout_env="MILLRACE_DIGEST_FILE")]
    return out


# podman 4.3's push has no --retry; buildah's does
_STEPS = {"buildah": _containers_steps("buildah", "bud", True),
          "podman": _containers_steps("podman", "build", False),
          "docker": _docker_steps}


@dataclass
class BuildResult:
    image: str
    digest: str
    output: str


def run_build(plan: BuildPlan, env: dict[str, str] | None = None, timeout: float = 1800) -> BuildResult:
    """Run the plan's script here and now; raises BuildError with `explain_failure()`'s message."""
    plan.work_dir.mkdir(parents=True, exist_ok=True)
    script = plan.work_dir / "build-image.sh"
    script.write_text(plan.script)
    proc = subprocess.Popen(["/bin/sh", str(script)], env={**os.environ, **(env or {}), **plan.env},
                            cwd=plan.work_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)     # the builder's children too, not just sh
        out, _ = proc.communicate()
        raise BuildError(f"image build timed out after {timeout:.0f} s", out.decode(errors="replace")) from None
    output = out.decode(errors="replace")
    if proc.returncode != 0:
        raise BuildError(explain_failure(output), output)
    return BuildResult(plan.image, parse_digest(output) or "", output)


def parse_digest(output: str) -> str | None:
    found = re.findall(r"^millrace: pushed .*?(sha256:[0-9a-f]{64})", output, re.M)
    return found[-1] if found else None


def _last(pattern: str, text: str) -> str:
    found = re.findall(pattern, text, re.M)
    return found[-1].strip() if found else ""


def explain_failure(output: str) -> str:
    """One line saying what went wrong, from the build script's output alone."""
    if own := _last(r"^millrace: error: (.*)$", output):
        return own
    host, user = _last(r"^millrace: registry (.*)$", output), _last(r"^millrace: user (.*)$", output)
    image, step = _last(r"^millrace: image (.*)$", output), _last(r"^millrace: step (\w+)$", output)
    error = _last(r"^(?:Error|error|ERROR):? (.*)$", output) or _last(r"^(.+)$", output)
    if re.search(r"^\S+: \d+: \S+: not found$|command not found", error):
        return f"image builder missing on this machine: {error}"
    if step == "build":
        return _explain_build(output, error)
    if step in ("login", "push", "digest"):
        return reg.explain(error, host, user) or f"{step} of {image} failed: {error}"
    return f"image build failed: {error}"


def _explain_build(output: str, error: str) -> str:
    base = (_last(r"^STEP \d+/\d+: FROM (\S+)", output)
            or _last(r"source metadata for (\S+?):? ", error) or "(unknown)")
    if "creating build container" in error or "failed to resolve source metadata" in error:
        cause = error.rsplit(": ", 1)[-1]
        if re.search(r"manifest unknown|not found|did not resolve|name unknown|does not exist", error):
            return f"base image {base} not found ({cause})"
        host = base.split("/")[0] if "/" in base else "docker.io"
        return f"base image {base} could not be pulled: {reg.explain(error, host) or cause}"
    if m := re.search(r'building at STEP "(.+?)": (.*)$', error):
        numbered = _last(r"^(STEP \d+/\d+: " + re.escape(m.group(1)) + ")$", output) or m.group(1)
        return f"build step failed: {numbered} ({m.group(2)})"
    if m := re.search(r'process "(?:/bin/sh -c )?(.+?)" did not complete successfully: (.*)$', error):
        return f"build step failed: RUN {m.group(1)} ({m.group(2)})"
    return f"image build failed: {error}"
