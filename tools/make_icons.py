"""Draw the home-screen icons (static/icons/*.png) from the favicon's shapes, stdlib only.

Run once after changing the design: `python tools/make_icons.py`. The PNGs are committed.
"any" icons are the favicon's rounded square; maskable ones fill the square edge to edge and
keep the house inside the middle 80 % (the safe zone a launcher's mask never cuts).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
BLUE = (0x0B, 0x63, 0xCE)
WHITE = (0xFF, 0xFF, 0xFF)
# The favicon's house, in its 64-unit box: M32 12 12 30h6v20h10V38h8v12h10V30h6z
HOUSE = [(32, 12), (12, 30), (18, 30), (18, 50), (28, 50), (28, 38), (36, 38), (36, 50),
         (46, 50), (46, 30), (52, 30)]  # fmt: skip
SAMPLES = ((0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75))


def inside(polygon: list[tuple[float, float]], x: float, y: float) -> bool:
    """Even-odd rule: does a ray to the right cross the outline an odd number of times?"""
    crossings = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            crossings = not crossings
    return crossings


def in_rounded_square(x: float, y: float, radius: float) -> bool:
    """Inside the 64-unit square with corners of the given radius."""
    cx = min(max(x, radius), 64 - radius)
    cy = min(max(y, radius), 64 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2 and 0 <= x <= 64 and 0 <= y <= 64


def render(size: int, maskable: bool) -> list[list[tuple[int, int, int, int]]]:
    """RGBA rows; each pixel averages four samples so the edges are smooth."""
    # Maskable: the house shrunk towards the centre so it sits well inside the safe zone.
    scale = 0.78 if maskable else 1.0
    house = [(32 + (x - 32) * scale, 31 + (y - 31) * scale) for x, y in HOUSE]
    rows = []
    for py in range(size):
        row = []
        for px in range(size):
            blue = white = 0
            for dx, dy in SAMPLES:
                x, y = (px + dx) * 64 / size, (py + dy) * 64 / size
                if inside(house, x, y):
                    white += 1
                elif maskable or in_rounded_square(x, y, 14):
                    blue += 1
            covered = blue + white
            if covered == 0:
                row.append((0, 0, 0, 0))
                continue
            rgb = tuple(
                round((b * blue + w * white) / covered) for b, w in zip(BLUE, WHITE, strict=True)
            )
            row.append((*rgb, round(255 * covered / len(SAMPLES))))
        rows.append(row)
    return rows


def png(rows: list[list[tuple[int, int, int, int]]]) -> bytes:
    """A minimal RGBA PNG (filter 0 on every row)."""
    height, width = len(rows), len(rows[0])
    raw = b"".join(b"\0" + bytes(v for pixel in row for v in pixel) for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"".join(
        [b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", header), chunk(b"IDAT", zlib.compress(raw, 9)),
         chunk(b"IEND", b"")]
    )  # fmt: skip


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in [
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("maskable-192.png", 192, True),
        ("maskable-512.png", 512, True),
    ]:
        (OUT / name).write_bytes(png(render(size, maskable)))
        print(OUT / name)


if __name__ == "__main__":
    main()
