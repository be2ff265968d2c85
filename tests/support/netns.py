"""Run the test process inside a private network namespace that holds only `lo`.

WebRTC stacks gather candidates on every interface; in a namespace whose only interface is the
loopback, nothing a test does can leave the machine. `ensure_loopback_namespace(config)` is meant
for a `pytest_configure` hook: when the process is not in such a namespace yet, it re-runs
`python -m pytest <the same arguments>` inside a new one (as root, through `unshare --net`).
The environment variable `WEBPHONE_TEST_NETNS` marks the re-run, so it never loops.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import pytest

ENV_MARKER = "WEBPHONE_TEST_NETNS"
"""Set (to "1") in the environment of a process re-run inside the namespace."""


# `sh -c SCRIPT sh ARGV...`: SCRIPT brings the loopback up and execs ARGV unchanged ("$@"),
# so no argument is ever re-parsed by the shell.
_SHELL_SCRIPT = 'ip link set lo up && exec "$@"'


class NamespaceError(RuntimeError):
    """The process cannot be moved into a loopback-only network namespace."""


def network_interfaces() -> list[str]:
    """Names of the network interfaces of this process's network namespace.

    Asked from the kernel (if_nameindex), not read from /sys/class/net: sysfs shows the
    namespace it was mounted in, so after `unshare --net` without remounting /sys it still
    lists the host's interfaces.
    """
    return sorted(name for _, name in socket.if_nameindex())


def in_loopback_namespace(interfaces: Sequence[str] | None = None) -> bool:
    """True when the process's network namespace has no interface but `lo`."""
    names = network_interfaces() if interfaces is None else sorted(interfaces)
    return names == ["lo"]


def namespace_command(argv: Sequence[str], unshare: str = "unshare") -> list[str]:
    """The command line that runs `argv` in a new network namespace with `lo` up."""
    if not argv:
        raise ValueError("argv must not be empty")
    return [unshare, "--net", "sh", "-c", _SHELL_SCRIPT, "sh", *argv]


def _check_can_unshare() -> str:
    """Path of `unshare`, after checking that a namespace can really be made here."""
    if ENV_MARKER in os.environ:
        raise NamespaceError(
            f"{ENV_MARKER} is set, so this process was already re-run inside a new network "
            "namespace, yet interfaces other than `lo` are visible: "
            f"{network_interfaces()}"
        )
    unshare = shutil.which("unshare")
    if unshare is None:
        raise NamespaceError(
            "`unshare` (Debian package util-linux) is missing: it is needed to run the tests in "
            "a loopback-only network namespace; run scripts/install --test"
        )
    if shutil.which("ip") is None and not os.path.exists("/usr/sbin/ip"):
        raise NamespaceError(
            "`ip` (Debian package iproute2) is missing: it is needed to bring up `lo` in the "
            "tests' network namespace; run scripts/install --test"
        )
    if os.geteuid() != 0:
        raise NamespaceError(
            "the tests must run in a loopback-only network namespace, and only root can create "
            "one: run them as root (or with sudo), or run them already inside one:\n"
            "  unshare --net sh -c 'ip link set lo up && exec .venv/bin/python -m pytest'"
        )
    probe = subprocess.run(
        namespace_command(["true"], unshare),
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    if probe.returncode != 0:
        raise NamespaceError(
            "`unshare --net` failed here (a container without CAP_SYS_ADMIN?): "
            f"exit {probe.returncode}: {probe.stderr.strip()}"
        )
    return unshare


def reexec_in_namespace(argv: Sequence[str]) -> NoReturn:
    """Replace this process by `argv` run inside a new loopback-only network namespace.

    Raises NamespaceError (without exec) when that is impossible: not root, `unshare` or `ip`
    missing, `unshare --net` refused, or the process was already re-run once (ENV_MARKER).
    """
    unshare = _check_can_unshare()
    env = dict(os.environ)
    env[ENV_MARKER] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    command = namespace_command(argv, unshare)
    os.execve(unshare, command, env)


def ensure_loopback_namespace(config: pytest.Config) -> None:
    """For `pytest_configure`: re-run pytest in a loopback-only namespace unless already in one.

    The re-run is `sys.executable -m pytest <the original arguments>` from the original
    directory; it replaces this process (same PID, same terminal, its exit status is pytest's).
    Raises `pytest.UsageError` with the reason when the namespace cannot be made.
    """
    if in_loopback_namespace():
        return
    import pytest  # noqa: PLC0415 - only needed here; keeps the module importable without it

    try:
        _check_can_unshare()
    except NamespaceError as error:
        raise pytest.UsageError(str(error)) from None
    # pytest may be capturing fds 1 and 2 into temporary files; give them back first.
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        capture.stop_global_capturing()
    os.chdir(config.invocation_params.dir)
    reexec_in_namespace([sys.executable, "-m", "pytest", *config.invocation_params.args])
