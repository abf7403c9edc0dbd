import pytest

from realtime.worker.supervisor import Shard, wanted_accounts
from tests.factories import LinkedAccountFactory


def test_shard_parsing():
    assert Shard.parse("1/3") == Shard(1, 3)
    for bad in ("3/3", "-1/2", "x", "1/0"):
        with pytest.raises(ValueError, match="shard"):
            Shard.parse(bad)


def test_shards_split_the_active_accounts_between_workers(db, unscoped):
    accounts = [LinkedAccountFactory() for _ in range(7)]
    LinkedAccountFactory(status="needs_relink")
    LinkedAccountFactory(status="disabled")
    halves = [set(wanted_accounts(Shard(i, 2))) for i in range(2)]
    assert halves[0].isdisjoint(halves[1])
    assert halves[0] | halves[1] == {a.pk for a in accounts}
    assert all(pk % 2 == 0 for pk in halves[0])
