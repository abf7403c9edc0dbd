"""Settings come from the environment; production values pass `check --deploy` cleanly."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from dashboard.env_parsing import KEY_COMMANDS

ROOT = Path(__file__).resolve().parents[2]


def _manage(
    args: list[str], env: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE"))}
    clean.update({"VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "dashboard.settings"})
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "DEBUG": "false",
    "HTTPS": "true",
    "SECRET_KEY": "p" * 20 + "roduction-secret-key-with-plenty-of-entropy-1234567890",
    "ALLOWED_HOSTS": "dash.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://dash.example.com",
    "TRUSTED_PROXY_COUNT": "1",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "GENERATED_KEYS": "false",  # as in the container image
}


def test_check_deploy_with_production_values_prints_no_warning(tmp_path):
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_flags_the_insecure_embedded_default(tmp_path):
    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], {}, tmp_path)
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG must be a boolean"),
        ("TRUSTED_PROXY_COUNT", "two", "TRUSTED_PROXY_COUNT must be an integer"),
        ("TRUSTED_PROXY_COUNT", "-1", "TRUSTED_PROXY_COUNT must be 0 or more"),
        ("EWELINK_BASE_URL", "http://127.0.0.1:8181", "must contain {region}"),
        ("DATABASE_URL", "nosuchdb://x/y", "DATABASE_URL"),
        ("SECRET_KEY_FILE", "/nonexistent/secret", "SECRET_KEY_FILE"),
    ],
)
def test_a_malformed_value_is_a_clear_startup_error(tmp_path, name, value, message):
    result = _manage(["check"], {name: value}, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_dev_secrets_are_generated_once_and_kept(tmp_path):
    first = _manage(
        ["shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)"],
        {},
        tmp_path,
    )
    second = _manage(
        ["shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)"],
        {},
        tmp_path,
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert len(first.stdout.strip()) >= 50
    # Keys have their own private directory, apart from the SQLite database in var/.
    keys = tmp_path / "var" / "keys"
    assert oct(keys.stat().st_mode & 0o777) == "0o700"
    for name in ("secret_key", "field_encryption_key"):
        assert oct((keys / name).stat().st_mode & 0o777) == "0o600"
    assert not (tmp_path / "var" / "secret_key").exists()


RACE = """
import sys, time
from pathlib import Path
from dashboard.env_parsing import persistent_secret
start = float(sys.argv[2])
while time.time() < start:  # every process asks at the same moment
    pass
print(persistent_secret(Path(sys.argv[1]), kind="fernet"))
"""


def test_processes_that_start_together_share_one_generated_key(tmp_path):
    """A fresh install's processes start at once (web, worker, Celery; the tests'
    collectstatic beside migrate): each gets the key that is in the file, never an empty
    read or a key of its own that another overwrote. Run for several files, since one
    round may not race."""
    for round_ in range(5):
        path = tmp_path / f"keys{round_}" / "field_encryption_key"
        start = f"{__import__('time').time() + 1.0:.3f}"
        racers = [
            subprocess.Popen(
                [sys.executable, "-c", RACE, str(path), start],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(8)
        ]
        got = {racer.communicate(timeout=60)[0].strip() for racer in racers}
        assert got == {path.read_text()}
        Fernet(path.read_text().encode())  # whole, and a key Fernet takes
        assert [f.name for f in path.parent.iterdir()] == [path.name]  # nothing left aside
        assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_keys_generated_before_they_had_a_directory_are_moved_not_replaced(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    old = Fernet.generate_key().decode()
    (var / "field_encryption_key").write_text(old)
    result = _manage(
        ["shell", "-c", "from django.conf import settings; print(settings.FIELD_ENCRYPTION_KEYS)"],
        {},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert old in result.stdout
    assert (var / "keys" / "field_encryption_key").read_text() == old
    assert not (var / "field_encryption_key").exists()


@pytest.mark.parametrize(
    "served",
    [
        {"HTTPS": "true"},
        {"ALLOWED_HOSTS": "dash.example.com"},
        {"GENERATED_KEYS": "false"},  # what the container image sets
    ],
)
@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS"])
def test_a_site_served_to_others_refuses_to_start_without_its_keys(tmp_path, served, missing):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SECRET_KEY": PRODUCTION["SECRET_KEY"],
        "FIELD_ENCRYPTION_KEYS": PRODUCTION["FIELD_ENCRYPTION_KEYS"],
        **served,  # each alone says the site is served beyond this machine
        missing: "",
    }
    result = _manage(["check"], env, tmp_path)
    assert result.returncode != 0
    assert f"ImproperlyConfigured: Set {missing}" in result.stderr
    assert "Generate one with" in result.stderr
    assert KEY_COMMANDS[missing] in result.stderr
    assert not (tmp_path / "var" / "keys").exists()  # nothing generated behind its back


def test_a_key_fernet_cannot_use_stops_start_up(tmp_path):
    result = _manage(["check"], {"FIELD_ENCRYPTION_KEYS": "not-a-key"}, tmp_path)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS: key 1 is not a Fernet key" in result.stderr


def test_the_printed_key_commands_make_keys_that_start_a_production_site(tmp_path):
    made = {}
    for name, command in KEY_COMMANDS.items():
        argv = [sys.executable, *shlex.split(command)[1:]]
        made[name] = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
    env = {**PRODUCTION, **made, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_variable_read_by_settings_is_documented_in_env_example():
    import re

    source = (ROOT / "dashboard" / "settings.py").read_text()
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', source))
    read |= set(re.findall(r'read_file_secret\(env, "([A-Z_]+)"\)', source))
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read - documented == set()


def test_a_copy_of_env_example_starts(tmp_path):
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    result = _manage(["check"], values, tmp_path)
    assert result.returncode == 0, result.stderr


def test_a_key_is_made_once_where_the_file_system_has_no_hard_links(tmp_path, monkeypatch):
    from dashboard import env_parsing

    def no_links(src, dst):  # e.g. a FAT drive
        raise PermissionError("hard links not supported")

    monkeypatch.setattr(env_parsing.os, "link", no_links)
    path = tmp_path / "keys" / "secret_key"
    first = env_parsing.persistent_secret(path, kind="django")
    assert len(first) >= 50
    assert env_parsing.persistent_secret(path, kind="django") == first
    assert [f.name for f in path.parent.iterdir()] == ["secret_key"]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
