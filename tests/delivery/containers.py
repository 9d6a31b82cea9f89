"""Container tooling set up for this machine: config files, private storage, a base image.

`ContainersConfig` writes CONTAINERS_CONF (runc, cgroupfs, file events, ulimits the
kernel accepts), CONTAINERS_STORAGE_CONF (overlay in a temp runroot/graphroot) and
CONTAINERS_REGISTRIES_CONF (test registries marked insecure), and exposes them as an
env dict to pass to buildah/podman. `make_busybox()` builds a ~2 MB base image from
Debian's busybox-static, since no public registry is reachable.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

BUSYBOX_IMAGE = "localhost/busybox:latest"

_CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


class ContainersConfig:
    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "containers.conf").write_text(_CONTAINERS_CONF)
        (directory / "storage.conf").write_text(
            '[storage]\ndriver = "overlay"\n'
            f'runroot = "{directory / "runroot"}"\ngraphroot = "{directory / "graphroot"}"\n')
        self.insecure: list[str] = []
        self._write_registries()
        (directory / "auth.json").write_text('{"auths": {}}\n')
        self.env = {
            "CONTAINERS_CONF": str(directory / "containers.conf"),
            "CONTAINERS_STORAGE_CONF": str(directory / "storage.conf"),
            "CONTAINERS_REGISTRIES_CONF": str(directory / "registries.conf"),
            # keep logins made by tests out of root's real auth file
            "REGISTRY_AUTH_FILE": str(directory / "auth.json"),
        }

    def mark_insecure(self, host: str) -> None:
        """Let plain-HTTP pulls/pushes to `host` through (tools read the file on every call)."""
        if host not in self.insecure:
            self.insecure.append(host)
            self._write_registries()

    def _write_registries(self) -> None:
        # no unqualified search: `FROM nosuch` must fail at once, not try a public hub
        text = "unqualified-search-registries = []\n"
        for host in self.insecure:
            text += f'\n[[registry]]\nlocation = "{host}"\ninsecure = true\n'
        (self.directory / "registries.conf").write_text(text)

    def cleanup(self) -> None:
        """Remove working containers and unmount what the storage left mounted under the
        temp dir (overlay layers, the driver's own bind mount), so the dir can be deleted."""
        self.run(["buildah", "rm", "--all"])
        self.run(["podman", "rm", "--all", "--force"])
        prefix = str(self.directory) + "/"
        with open("/proc/self/mountinfo") as f:
            mounts = [line.split()[4] for line in f]
        for point in sorted((m for m in mounts if m.startswith(prefix)), key=len, reverse=True):
            subprocess.run(["umount", point], capture_output=True)

    def run(self, argv: list[str], **kw) -> subprocess.CompletedProcess:
        return subprocess.run(argv, env={**os.environ, **self.env}, capture_output=True, text=True, **kw)


def make_busybox(config: ContainersConfig, name: str = BUSYBOX_IMAGE) -> str:
    """Commit a scratch image holding /bin/busybox and a link per applet; returns `name`."""
    busybox = shutil.which("busybox") or "/bin/busybox"
    ctr = config.run(["buildah", "from", "scratch"], check=True).stdout.strip()
    try:
        root = Path(config.run(["buildah", "mount", ctr], check=True).stdout.strip())
        (root / "bin").mkdir()
        (root / "tmp").mkdir(mode=0o1777)
        shutil.copy2(busybox, root / "bin" / "busybox")
        applets = subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True).stdout.split()
        for applet in applets:
            if applet != "busybox":
                (root / "bin" / applet).symlink_to("busybox")
        config.run(["buildah", "umount", ctr], check=True)
        config.run(["buildah", "config", "--cmd", "/bin/sh", "--env", "PATH=/bin", ctr], check=True)
        config.run(["buildah", "commit", "--quiet", ctr, name], check=True)
    finally:
        config.run(["buildah", "rm", ctr])
    return name
