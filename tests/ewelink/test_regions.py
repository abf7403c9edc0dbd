"""Region hosts and the template override used to point at cloudsim."""

from __future__ import annotations

import pytest

from ewelink.regions import Endpoints, as_region, region_for_country


def test_real_hosts() -> None:
    real = Endpoints()
    assert real.api("cn") == "https://cn-apia.coolkit.cn"
    assert real.api("eu") == "https://eu-apia.coolkit.cc"
    assert real.dispatch("us") == "https://us-dispa.coolkit.cc/dispatch/app"
    assert real.dispatch("cn") == "https://cn-dispa.coolkit.cn/dispatch/app"
    assert real.get_region() == "https://apia.coolkit.cn/v2/utils/get-region"
    assert real.oauth_page() == "https://c2ccdn.coolkit.cc/oauth/index.html"
    assert real.websocket("eu-pconnect5.coolkit.cc", 8080, "eu") == (
        "wss://eu-pconnect5.coolkit.cc:8080/api/ws"
    )


def test_template_layout() -> None:
    sim = Endpoints("http://127.0.0.1:8181/{region}")
    assert sim.api("as") == "http://127.0.0.1:8181/as"
    assert sim.dispatch("eu") == "http://127.0.0.1:8181/eu/dispatch/app"
    assert sim.get_region() == "http://127.0.0.1:8181/v2/utils/get-region"
    assert sim.oauth_page() == "http://127.0.0.1:8181/oauth/index.html"
    assert sim.websocket("127.0.0.1", 8181, "eu") == "ws://127.0.0.1:8181/api/ws"


def test_template_needs_region_placeholder() -> None:
    with pytest.raises(ValueError, match="region"):
        Endpoints("http://127.0.0.1:8181")


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("+1", "us"),
        ("+44", "eu"),
        ("49", "eu"),
        ("+7", "eu"),
        ("+61", "us"),
        ("+55", "us"),
        ("+91", "as"),
        ("+86", "cn"),
        ("+81", "as"),
        ("+971", "as"),
        ("+999", "eu"),
    ],
)
def test_country_table(code: str, region: str) -> None:
    assert region_for_country(code) == region


def test_as_region_rejects_unknown() -> None:
    assert as_region("eu") == "eu"
    with pytest.raises(ValueError, match="unknown"):
        as_region("test")
