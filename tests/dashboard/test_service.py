"""The systemd unit of `make install-service`, as generated (no systemd here to load it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import service


def settings_of(unit: str) -> dict[str, list[str]]:
    """KEY → its values, in order (a key such as ExecStartPre may repeat)."""
    found: dict[str, list[str]] = {}
    for line in unit.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_the_unit_runs_the_launcher_of_the_checkout_as_the_user() -> None:
    root = Path("/home/pi/ewelink-dashboard")
    python = str(root / ".venv/bin/python")
    unit = settings_of(service.unit_file("pi", root=root, python=python))
    assert unit["ExecStart"] == [f"{python} -m dashboard.launcher"]
    assert unit["WorkingDirectory"] == [str(root)]
    assert unit["User"] == ["pi"]
    # Optional, like .env for `make run` (the leading dash).
    assert unit["EnvironmentFile"] == [f"-{root}/.env"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["WantedBy"] == ["multi-user.target"]  # started at boot once enabled
    assert unit["StandardOutput"] == ["journal"]
    assert unit["StandardError"] == ["journal"]
    # What `make run` does before the launcher, in the same order.
    manage = f"{python} {root}/manage.py"
    assert unit["ExecStartPre"] == [
        f"{manage} migrate --noinput",
        f"{manage} collectstatic --noinput -v 0",
        f"{manage} bootstrap_demo",
    ]
    # The launcher stops its children in order itself; systemd signals it alone first.
    assert unit["KillMode"] == ["mixed"]


def test_paths_with_spaces_are_quoted() -> None:
    root = Path("/srv/my dash")
    unit = service.unit_file("pi", root=root, python="/srv/my dash/.venv/bin/python")
    assert "ExecStart='/srv/my dash/.venv/bin/python' -m dashboard.launcher" in unit


def test_the_command_prints_the_unit_for_the_sudo_user(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUDO_USER", "alice")
    service.main(["unit"])
    assert "User=alice\n" in capsys.readouterr().out


def test_root_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUDO_USER", raising=False)
    with pytest.raises(SystemExit):
        service.main(["unit", "--user", "root"])


def test_the_makefile_installs_and_removes_that_unit(project_root: Path) -> None:
    makefile = (project_root / "Makefile").read_text()
    assert "install-service:" in makefile
    assert "uninstall-service:" in makefile
    assert "$(PY) -m dashboard.service unit" in makefile
    assert "systemctl enable --now $(SERVICE)" in makefile
    assert "systemctl disable --now $(SERVICE)" in makefile
    assert f"SERVICE := {service.SERVICE_NAME}" in makefile
