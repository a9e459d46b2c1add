"""The isolating backend: unprivileged slot uid first, then bubblewrap namespaces.

Chain (as root): private mount stage -> `setpriv --reuid=U --regid=U --clear-groups` -> `bwrap
--unshare-all --die-with-parent --new-session ...` -> argv. Inside: a fresh `/proc`, `/dev`, a
size-capped tmpfs `/tmp`, read-only `/usr` (+ `/lib*`, `/bin` as on the host), `ld.so.cache`, a
minimal passwd/group, the Python prefix and venv read-only at their own paths, and the workdir
read-write. No network (only a loopback), no other file of the host. `kill()` SIGKILLs the PID
namespace's init (its pid comes from `--info-fd`): the kernel kills every process inside before
bwrap's launcher can reap it, so `setsid` escapes die too; if the grader itself dies,
`--die-with-parent` does the same. Not root: no uid drop is possible, bwrap runs as the caller in
a user namespace.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from graders.sandbox.cgroups import Cgroup
from graders.sandbox.errors import SandboxUnavailable
from graders.sandbox.info import InitInfo
from graders.sandbox.limits import MIB, Limits, rlimit_setter
from graders.sandbox.mounts import private_binder
from graders.sandbox.process import SandboxedProcess
from graders.sandbox.uids import claim_uid, release
from graders.sandbox.workdir import chown_tree

_SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def python_paths() -> list[Path]:
    """The directories the running interpreter needs: the venv and the real prefix."""
    paths = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    exe = Path(sys.executable).resolve()
    if not any(exe.is_relative_to(p) for p in paths):
        paths.add(exe.parent)
    return sorted(p for p in paths if not p.is_relative_to("/usr"))


def _system_args() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for link in _SYSTEM_LINKS:
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            args += ["--ro-bind", link, link]
    for name in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime"):
        if os.path.exists(name):
            args += ["--ro-bind", name, name]
    return args


class BubblewrapBackend:
    """Runs code in a bubblewrap sandbox as the slot's unprivileged uid (when started as root)."""

    name = "bubblewrap"
    isolating = True

    def __init__(self, *, use_cgroups: bool = True) -> None:
        self.use_cgroups = use_cgroups
        self.bwrap = shutil.which("bwrap")
        self.setpriv = shutil.which("setpriv")
        self.as_root = os.geteuid() == 0
        if self.bwrap is None:
            raise SandboxUnavailable("bubblewrap missing: apt-get install bubblewrap")
        if self.as_root and self.setpriv is None:
            raise SandboxUnavailable("setpriv missing (util-linux): cannot drop to a slot uid")

    def spawn(
        self,
        argv: Sequence[str],
        *,
        workdir: Path,
        limits: Limits | None = None,
        env: Mapping[str, str] | None = None,
        slot: int = 0,
        ro_paths: Sequence[Path] = (),
    ) -> SandboxedProcess:
        """Start `argv` in `workdir` (see `graders/sandbox/INTERFACE.md`).

        Args:
            argv: Command; its program must be visible inside (the venv's python is).
            workdir: The only writable directory; chowned to the slot uid while the process runs.
            limits: Resource limits.
            env: Extra environment variables (the host's environment is not inherited).
            slot: Worker slot, selecting the uid `61000 + slot` (or the next free one up when
                another grader on this host holds it, see `uids`).
            ro_paths: Extra directories or files to show read-only at their own paths.
        """
        limits = limits or Limits()
        workdir = Path(workdir).resolve()
        if not workdir.is_dir():
            raise FileNotFoundError(f"workdir does not exist: {workdir}")
        uid, uid_lock = claim_uid(slot) if self.as_root else (os.getuid(), None)
        owner = workdir.stat()
        sources = [*python_paths(), *(Path(p).resolve() for p in ro_paths)]
        _sweep_stale_stages(_stage_root())
        stage = Path(tempfile.mkdtemp(prefix="mlops-sbx-", dir=_stage_root()))
        cgroup = Cgroup.create(limits) if self.use_cgroups else None
        info = InitInfo()
        try:
            argv_full, pairs = self._command(argv, workdir, sources, stage, limits, env, uid)
            at = argv_full.index("--unshare-all")
            argv_full[at:at] = ["--info-fd", str(info.write_fd)]
            if self.as_root:
                chown_tree(workdir, uid, uid)
            steps = [private_binder(pairs), rlimit_setter(limits)]
            if cgroup is not None:
                steps.insert(0, cgroup.enter_hook())
            preexec = _chain(*steps)
            popen = subprocess.Popen(
                argv_full,
                cwd="/",
                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                preexec_fn=preexec if self.as_root else rlimit_setter(limits),
                pass_fds=(info.write_fd,),
            )
        except BaseException:
            info.close()
            self._give_back(workdir, owner.st_uid, owner.st_gid, stage, cgroup)
            release(uid_lock)
            raise
        info.started()

        def kill_all() -> None:
            # SIGKILL the namespace's init: the kernel kills everything inside before init can be
            # reaped, and bwrap's launcher reaps init and exits. So once the launcher is gone,
            # every process of the sandbox is gone (none left counting against RLIMIT_NPROC).
            init = info.child_pid(timeout=1.0) if popen.poll() is None else None
            if init is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(init, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    popen.wait(5)
            if popen.poll() is None:  # no info (bwrap failed early) or a stuck launcher
                with contextlib.suppress(ProcessLookupError):
                    popen.send_signal(signal.SIGKILL)

        def on_exit() -> None:
            info.child_pid(timeout=0)  # learn the init's pid if bwrap wrote it meanwhile
            if not info.wait_init_gone():
                kill_all()
            info.close()
            self._give_back(workdir, owner.st_uid, owner.st_gid, stage, cgroup)
            release(uid_lock)  # only now: no process of this uid is left

        return SandboxedProcess(
            popen,
            limits,
            kill_all=kill_all,
            on_exit=on_exit,
            uid=uid,
            cgroup=cgroup.description if cgroup else "",
            init_pid=lambda: info.child_pid(timeout=1.0),
        )

    def _give_back(
        self, workdir: Path, uid: int, gid: int, stage: Path, cgroup: Cgroup | None
    ) -> None:
        if self.as_root:
            chown_tree(workdir, uid, gid)
        shutil.rmtree(stage, ignore_errors=True)
        if cgroup is not None:
            cgroup.remove()

    def _command(
        self,
        argv: Sequence[str],
        workdir: Path,
        sources: Sequence[Path],
        stage: Path,
        limits: Limits,
        env: Mapping[str, str] | None,
        uid: int,
    ) -> tuple[list[str], list[tuple[str, str]]]:
        """The full command line, and the `(source, stage)` pairs to bind before the uid drop."""
        _write_stage(stage, uid, [*sources, workdir] if self.as_root else [])
        return build_command(
            argv,
            workdir=workdir,
            sources=sources,
            stage=stage,
            limits=limits,
            env=env,
            uid=uid,
            setpriv=str(self.setpriv) if self.as_root else None,
            bwrap=str(self.bwrap),
        )


def _write_stage(stage: Path, uid: int, staged: Sequence[Path]) -> None:
    """The files `build_command` names: the sandbox's passwd/group, and one empty mount point
    per source reached through the private stage (as root)."""
    os.chmod(stage, 0o711)
    etc = stage / "etc"
    etc.mkdir()
    (etc / "passwd").write_text(f"sandbox:x:{uid}:{uid}:sandbox:/tmp:/usr/sbin/nologin\n")
    (etc / "group").write_text(f"sandbox:x:{uid}:\n")
    for f in etc.iterdir():
        f.chmod(0o644)
    etc.chmod(0o755)
    for index, src in enumerate(staged):
        entry = stage / str(index)
        entry.mkdir() if src.is_dir() else entry.touch()


def build_command(
    argv: Sequence[str],
    *,
    workdir: Path,
    sources: Sequence[Path],
    stage: Path,
    limits: Limits,
    env: Mapping[str, str] | None,
    uid: int,
    setpriv: str | None,
    bwrap: str,
) -> tuple[list[str], list[tuple[str, str]]]:
    """The command line; writes nothing (`_write_stage` made the files it names).

    With ``setpriv`` (as root) each source is reached through its stage entry, and the
    ``(source, entry)`` pairs to bind privately before the uid drop are returned.
    """
    pairs: list[tuple[str, str]] = []
    binds: list[str] = []
    for index, (src, flag) in enumerate(
        [*((s, "--ro-bind") for s in sources), (workdir, "--bind")]
    ):
        if setpriv is not None:  # reach root-only paths through the private stage
            entry = stage / str(index)
            pairs.append((str(src), str(entry)))
            binds += [flag, str(entry), str(src)]
        else:
            binds += [flag, str(src), str(src)]
    run_env = {
        "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/tmp",
        **(env or {}),
    }
    etc = stage / "etc"
    cmd: list[str] = []
    if setpriv is not None:
        cmd += [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
    cmd += [bwrap, "--unshare-all", "--unshare-user", "--disable-userns"]
    cmd += ["--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev"]
    # Writable tmpfs count as memory, outside RLIMIT_AS: each is capped at max_file_mb.
    size = str(limits.max_file_mb * MIB)
    cmd += ["--size", size, "--tmpfs", "/tmp", "--size", size, "--tmpfs", "/dev/shm"]
    cmd += _system_args()
    cmd += ["--ro-bind", str(etc / "passwd"), "/etc/passwd"]
    cmd += ["--ro-bind", str(etc / "group"), "/etc/group"]
    cmd += binds
    # The root tmpfs holds the parents bwrap created for the binds: no writable space there.
    cmd += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", str(workdir), "--clearenv"]
    for key, value in run_env.items():
        cmd += ["--setenv", key, value]
    cmd += ["--", *argv]
    return cmd, pairs


@functools.cache
def _sweep_stale_stages(root: str | None, max_age_s: float = 6 * 3600) -> None:
    """Once per process: remove stages left by graders that died before cleaning up."""
    now = time.time()
    for stale in Path(root or tempfile.gettempdir()).glob("mlops-sbx-*"):
        with contextlib.suppress(OSError):
            if now - stale.stat().st_mtime > max_age_s:
                shutil.rmtree(stale)


def _stage_root(candidates: tuple[str, ...] = ("/tmp", "/var/tmp", "/dev/shm")) -> str | None:
    """A world-traversable temp dir for the stage (TMPDIR may be private to the caller)."""
    for candidate in candidates:
        with contextlib.suppress(OSError):
            if os.stat(candidate).st_mode & 0o001:
                return candidate
    return None


def _chain(*steps: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        for step in steps:
            step()

    return run
