"""Dialling code → region, like the cloud's get-region and the clients' tables (notes §1.5)."""

from __future__ import annotations

EXACT = {
    "1": "us",
    "44": "eu",
    "49": "eu",
    "7": "eu",
    "61": "us",
    "64": "us",
    "55": "us",
    "91": "as",
    "86": "cn",
    "81": "as",
    "82": "as",
    "971": "as",
    "65": "as",
    "852": "as",
    "33": "eu",
    "34": "eu",
    "39": "eu",
    "31": "eu",
    "48": "eu",
    "52": "us",
    "54": "us",
}
BY_FIRST_DIGIT = {
    "1": "us",
    "2": "eu",
    "3": "eu",
    "4": "eu",
    "5": "us",
    "6": "as",
    "7": "eu",
    "8": "as",
    "9": "as",
}


def region_for_country(country_code: str) -> str:
    digits = country_code.strip().lstrip("+")
    for length in (3, 2, 1):
        if digits[:length] in EXACT and len(digits) == length:
            return EXACT[digits[:length]]
    return BY_FIRST_DIGIT.get(digits[:1], "eu")
