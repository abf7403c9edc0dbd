"""cloudsim: a faithful simulator of the eWeLink (CoolKit) cloud, built on aiohttp."""

REGIONS: tuple[str, ...] = ("cn", "as", "us", "eu")
