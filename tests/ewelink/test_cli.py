"""``python -m ewelink`` against a cloudsim subprocess started with --demo."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudsim.testing import RunningCloudsim, start_cloudsim
from ewelink.cli import parse_assignments, save_tokens
from ewelink.tokens import Tokens

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_cloud() -> Iterator[RunningCloudsim]:
    running = start_cloudsim("--demo")
    running.control("POST", "/settings", {"behaviour_rate": 0})  # devices change when told
    yield running
    running.stop()


def run_cli(sim: RunningCloudsim, tokens: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "EWELINK_APP_ID": sim.appid,
        "EWELINK_APP_SECRET": sim.secret,
        "EWELINK_BASE_URL": sim.api_template,
    }
    return subprocess.run(
        [sys.executable, "-m", "ewelink", "--tokens", str(tokens), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=30,
        check=False,
    )


def lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_login_homes_things_get_set(demo_cloud: RunningCloudsim, tmp_path: Path) -> None:
    demo = demo_cloud.info["demo"][0]
    tokens = tmp_path / "tokens.json"
    login = run_cli(
        demo_cloud,
        tokens,
        "login",
        "--email",
        demo["email"],
        "--password",
        demo["password"],
        "--country-code",
        demo["countryCode"],
    )
    assert login.returncode == 0, login.stderr
    assert lines(login.stdout)[0]["apikey"] == demo["apikey"]
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    assert json.loads(tokens.read_text())["region"] == demo["region"]
    homes = lines(run_cli(demo_cloud, tokens, "homes").stdout)
    assert any(home["current"] for home in homes)
    things = lines(run_cli(demo_cloud, tokens, "things").stdout)
    plug = next(t for t in things if t.get("uiid") == 1 and t.get("online"))
    result = run_cli(demo_cloud, tokens, "set", plug["id"], "switch=on", "pulseWidth=1000")
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout)[0]["sent"] == {"switch": "on", "pulseWidth": 1000}
    got = lines(run_cli(demo_cloud, tokens, "get", plug["id"], "switch").stdout)
    assert got == [{"deviceid": plug["id"], "params": {"switch": "on"}}]


def test_watch_prints_events_as_json_lines(demo_cloud: RunningCloudsim, tmp_path: Path) -> None:
    demo = demo_cloud.info["demo"][1]
    tokens = tmp_path / "tokens.json"
    run_cli(
        demo_cloud,
        tokens,
        "login",
        "--email",
        demo["email"],
        "--password",
        demo["password"],
        "--country-code",
        demo["countryCode"],
    )
    things = lines(run_cli(demo_cloud, tokens, "things").stdout)
    target = next(t for t in things if "params" in t and t.get("uiid") == 1)
    env = {
        **os.environ,
        "EWELINK_APP_ID": demo_cloud.appid,
        "EWELINK_APP_SECRET": demo_cloud.secret,
        "EWELINK_BASE_URL": demo_cloud.api_template,
    }
    watcher = subprocess.Popen(
        [sys.executable, "-m", "ewelink", "--tokens", str(tokens), "watch", "--seconds", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert watcher.stdout is not None
    first = watcher.stdout.readline()  # the watch prints "connected" once its socket is up
    demo_cloud.control("POST", f"/devices/{target['id']}/params", {"params": {"switch": "on"}})
    out, err = watcher.communicate(timeout=20)
    assert watcher.returncode == 0, err
    events = lines(first + out)
    assert events[0]["event"] == "connected"
    assert any(e["event"] == "params" and e["deviceid"] == target["id"] for e in events)


def test_missing_tokens_and_credentials(demo_cloud: RunningCloudsim, tmp_path: Path) -> None:
    result = run_cli(demo_cloud, tmp_path / "none.json", "homes")
    assert result.returncode == 2
    assert "login" in result.stderr
    bare = subprocess.run(
        [sys.executable, "-m", "ewelink", "homes"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("EWELINK_")},
        timeout=30,
        check=False,
    )
    assert bare.returncode == 1
    assert "app credentials" in bare.stderr


def test_assignments_are_json_when_possible() -> None:
    assert parse_assignments(["switch=on", "bright=50", 'switches=[{"outlet":0}]', "x=true"]) == {
        "switch": "on",
        "bright": 50,
        "switches": [{"outlet": 0}],
        "x": True,
    }
    with pytest.raises(ValueError, match="key=value"):
        parse_assignments(["novalue"])


def test_token_file_is_private_even_if_it_existed(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text("{}")
    path.chmod(0o644)
    save_tokens(path, Tokens(at="a", rt="r", region="eu", apikey="k"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Tokens.from_dict(json.loads(path.read_text())) == Tokens(
        at="a", rt="r", region="eu", apikey="k"
    )


def test_oauth_link_flow(demo_cloud: RunningCloudsim, tmp_path: Path) -> None:
    demo = demo_cloud.info["demo"][1]
    tokens = tmp_path / "linked.json"
    redirect = "https://dash.example/cb"
    url = lines(run_cli(demo_cloud, tokens, "link-url", "--redirect-url", redirect).stdout)[0]
    assert url["url"].startswith(demo_cloud.info["oauth_page"] + "?clientId=")
    grant = demo_cloud.control(
        "POST", "/oauth/code", {"apikey": demo["apikey"], "redirectUrl": redirect, "state": "x"}
    )
    linked = run_cli(
        demo_cloud,
        tokens,
        "link",
        grant["code"],
        "--region",
        grant["region"],
        "--redirect-url",
        redirect,
    )
    assert linked.returncode == 0, linked.stderr
    assert lines(linked.stdout)[0]["apikey"] == demo["apikey"]
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    assert run_cli(demo_cloud, tokens, "homes").returncode == 0
