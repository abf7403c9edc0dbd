from pathlib import Path

from dashboard.launcher import build_plan


def test_embedded_default_runs_private_redis_and_the_simulated_cloud(tmp_path: Path):
    plan = build_plan({}, tmp_path)
    assert set(plan.processes) == {"redis", "cloudsim", "web", "realtime", "worker", "beat"}
    assert str(tmp_path / "run" / "redis.sock") in plan.processes["redis"]
    assert "--demo" in plan.processes["cloudsim"]
    assert plan.env["EWELINK_BASE_URL"] == "http://127.0.0.1:8181/{region}"
    assert plan.env["EWELINK_APP_SECRET"] in plan.processes["cloudsim"]
    # The generated development app secret is stable across runs.
    assert build_plan({}, tmp_path).env["EWELINK_APP_SECRET"] == plan.env["EWELINK_APP_SECRET"]
    assert all(cmd.startswith("exec ") for cmd in plan.processes.values())


def test_configured_services_are_used_instead_of_embedded_ones(tmp_path: Path):
    environ = {
        "REDIS_URL": "redis://redis:6379/0",
        "EWELINK_BASE_URL": "https://{region}-apia.coolkit.cc",
        "PORT": "9000",
    }
    plan = build_plan(environ, tmp_path)
    assert set(plan.processes) == {"web", "realtime", "worker", "beat"}
    assert "-p 9000" in plan.processes["web"]
    assert plan.env["EWELINK_BASE_URL"] == "https://{region}-apia.coolkit.cc"
