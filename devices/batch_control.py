"""All on / all off for a room, a home or a chosen set of things, and Refresh of a chosen set.

Which things take part in a switch: those whose plugin offers an on/off switch, that is a
toggle control named `switch` or `switch_<n>` (the naming every plugin follows, see
devices/plugins/base.py). A multi-channel device switches every outlet, with the params its
own plugin builds for each channel's toggle, merged the way the plugin merges two commands
(so a Zigbee gang that wants its whole array gets it). Groups go as type 2.

The cloud takes at most 10 things per `batch-status` call, and each linked account's things
go through that account's client. A timeout makes the cloud wait for the devices' answers,
so the result says, thing by thing, whether it took the command and, if not, why.

A switch runs in the background (Celery, `run_batch`): the cloud waits up to 5 s for the
devices, and a home of many things takes several calls; the person's open pages get the
result, thing by thing, as a `batch_result` event.

Nothing is written locally: the devices report their new state over the account's live
socket and the realtime worker brings it to every open page. Each thing's attempt is recorded
as a ThingAction rather than one LayoutAction: the result differs thing by thing, a batch may
span several accounts, and the thing's own page then lists what was done to it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from asgiref.sync import async_to_sync
from django_scopes import scope, scopes_disabled

import ewelink
from accounts.cloud import open_client
from accounts.models import LinkedAccount, Membership, Role
from accounts.signals import household_event
from devices import sync
from devices.models import Thing, ThingAction, ThingKind
from devices.plugins.base import InvalidControl, Params
from devices.presentation import plugin_for, visible_things
from devices.thing_actions import cloud_message
from devices.thing_settings import require
from ewelink.limits import MAX_BATCH_THINGS, MAX_SPECIFIED_THINGS
from ewelink.models import StatusUpdate, ThingRef

if TYPE_CHECKING:  # devices never imports realtime at run time; the signal carries the event
    from realtime.events import BatchResultEvent

T = TypeVar("T")
SWITCH_CONTROL = re.compile(r"^switch(_\d+)?$")
# How long the cloud waits for the devices' answers (the document allows up to 8000 ms):
# long enough for a slow device, short enough that the page answers within seconds.
BATCH_TIMEOUT_MS = 5000
OFFLINE = "It is offline, so it could not take the command (error {code})."
DEVICE_ERRORS = {
    503: OFFLINE,
    30022: OFFLINE,  # the REST word for "offline" (notes §2.11)
    504: "It did not answer in time (error 504).",
    4002: "The command did not reach it (control failure, error 4002).",
}
NO_ANSWER = "The cloud said nothing about it; look at its card to see whether it switched."


@dataclass(frozen=True)
class ThingResult:
    """How one thing fared: `reason` says why not, in words."""

    thing_id: int
    name: str
    ok: bool
    reason: str = ""


@dataclass
class BatchOutcome:
    """A batch's results, thing by thing, and the things it left alone."""

    results: list[ThingResult] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)  # names of things without a switch

    @property
    def done(self) -> list[ThingResult]:
        return [r for r in self.results if r.ok]

    @property
    def failed(self) -> list[ThingResult]:
        return [r for r in self.results if not r.ok]


def chosen_things(household_id: int, raw_ids: Iterable[str]) -> list[Thing]:
    """The household's shown things among the ids a page sent (others are ignored)."""
    ids = {int(raw) for raw in raw_ids if raw.isdigit()}
    things = visible_things().filter(household_id=household_id, pk__in=ids)
    return list(things.select_related("account", "home", "room"))


def things_in(**where: Any) -> list[Thing]:
    """The shown things of a room (`room=`) or a home (`home=`)."""
    return list(visible_things().filter(**where).select_related("account", "home", "room"))


def switch_params(thing: Thing, on: bool) -> Params | None:
    """The params that turn every switch of `thing` on or off; None if it has none."""
    plugin = plugin_for(thing)
    params, tags = thing.params or {}, thing.tags or {}
    names = [
        c.name
        for c in plugin.controls(params, tags)
        if c.kind == "toggle" and SWITCH_CONTROL.match(c.name)
    ]
    if not names:
        return None
    command: Params = {}
    for name in names:
        # Each channel built against the params as the earlier channels leave them.
        part = plugin.command(name, on, plugin.merge(params, command), tags)
        command = plugin.merge_commands(command, part)
    return command


def switch_things(actor: Membership, things: Sequence[Thing], on: bool, where: str) -> BatchOutcome:
    """Every switch of `things` on (or off), ≤ 10 things per call, each account its own."""
    require(actor, Role.MEMBER, "Switching things on or off")
    outcome = BatchOutcome()
    # The accounts are read here, not in the async part (no ORM there).
    by_account: dict[int, tuple[LinkedAccount, list[tuple[Thing, StatusUpdate]]]] = {}
    for thing in things:
        try:
            params = switch_params(thing, on)
        except InvalidControl as exc:
            outcome.results.append(ThingResult(thing.pk, thing.name, False, str(exc)))
            continue
        if params is None:
            outcome.left_alone.append(thing.name)
            continue
        kind = 2 if thing.kind == ThingKind.GROUP else 1
        update = StatusUpdate(thing.cloud_id, params, kind)
        by_account.setdefault(thing.account_id, (thing.account, []))[1].append((thing, update))
    outcome.results += async_to_sync(_switch_all)(list(by_account.values()))
    _record(actor, things, outcome, on, where)
    return outcome


async def _switch_all(
    groups: list[tuple[LinkedAccount, list[tuple[Thing, StatusUpdate]]]],
) -> list[ThingResult]:
    """The accounts side by side (each has its own pacing)."""
    answers = await asyncio.gather(*(_switch_account(*group) for group in groups))
    return [result for answer in answers for result in answer]


async def _switch_account(
    account: LinkedAccount, entries: list[tuple[Thing, StatusUpdate]]
) -> list[ThingResult]:
    """One account's calls, overlapping: the governor still spaces their starts, but each
    call's wait for the devices' answers (up to the timeout) runs beside the others'."""
    async with open_client(account) as client:
        answers = await asyncio.gather(
            *(_switch_chunk(client, chunk) for chunk in chunks(entries, MAX_BATCH_THINGS))
        )
    return [result for answer in answers for result in answer]


async def _switch_chunk(
    client: ewelink.EWeLinkClient, chunk: Sequence[tuple[Thing, StatusUpdate]]
) -> list[ThingResult]:
    try:
        answers = await client.set_status_batch(
            [update for _, update in chunk], timeout_ms=BATCH_TIMEOUT_MS
        )
    except ewelink.EWeLinkError as exc:
        reason = cloud_message(exc)
        return [ThingResult(t.pk, t.name, False, reason) for t, _ in chunk]
    by_id = {(answer.type, answer.id): answer for answer in answers}
    return [_result(thing, by_id.get((update.type, update.id))) for thing, update in chunk]


def _result(thing: Thing, answer: ewelink.BatchResult | None) -> ThingResult:
    if answer is None:
        return ThingResult(thing.pk, thing.name, False, NO_ANSWER)
    if answer.ok:
        return ThingResult(thing.pk, thing.name, True)
    words = DEVICE_ERRORS.get(answer.error, "The cloud refused the command (error {code}).")
    return ThingResult(thing.pk, thing.name, False, words.format(code=answer.error))


def _record(
    actor: Membership, things: Sequence[Thing], outcome: BatchOutcome, on: bool, where: str
) -> None:
    by_pk = {thing.pk: thing for thing in things}
    ThingAction.objects.bulk_create(
        ThingAction(
            household_id=by_pk[result.thing_id].household_id,
            thing=by_pk[result.thing_id],
            thing_name=result.name,
            user_id=actor.user_id,
            action="all_on" if on else "all_off",
            detail={"with": where, "things": len(outcome.results)},
            result="ok" if result.ok else "failed",
            message=result.reason[:300],
        )
        for result in outcome.results
    )


def run_batch(membership_id: int, thing_ids: Sequence[int], on: bool, where: str) -> BatchOutcome:
    """The background half of All on / All off (a Celery task): switch the household's
    things of `thing_ids` and tell the person's open pages how each fared."""
    with scopes_disabled():
        actor = Membership.objects.select_related("household").get(pk=membership_id)
    with scope(household=actor.household_id):
        things = chosen_things(actor.household_id, [str(pk) for pk in thing_ids])
        outcome = switch_things(actor, things, on, where)
    summary, lines = outcome_words(outcome, on, where)
    payload: BatchResultEvent = {
        "type": "batch_result", "user": actor.user_id, "ok": not outcome.failed,
        "summary": summary, "lines": lines,
    }  # fmt: skip
    household_event.send(sender=ThingAction, household_id=actor.household_id, payload=payload)
    return outcome


def outcome_words(outcome: BatchOutcome, on: bool, where: str) -> tuple[str, list[str]]:
    """A batch's result in words: a summary, then one line per thing that failed (and why)
    and one for those left alone."""
    word = "on" if on else "off"
    done, total = len(outcome.done), len(outcome.results)
    if total and done == total:
        summary = f"Switched {word} all {total} with a switch in {where}."
    elif total:
        summary = f"Switched {word} {done} of {total} in {where}."
    else:
        summary = f"Nothing in {where} has an on/off switch."
    lines = [f"{failed.name} did not switch {word}: {failed.reason}" for failed in outcome.failed]
    if outcome.left_alone:
        lines.append(f"Left alone, having no on/off switch: {', '.join(outcome.left_alone)}.")
    return summary, lines


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[at : at + size] for at in range(0, len(items), size)]


# ---- refresh ------------------------------------------------------------------------------


@dataclass
class RefreshOutcome:
    """Which things were read again, and which could not be (with why)."""

    refreshed: list[str] = field(default_factory=list)
    failed: list[ThingResult] = field(default_factory=list)


GONE = "The eWeLink cloud no longer lists it; resync its account to tidy the dashboard."


def refresh_things(actor: Membership, things: Sequence[Thing]) -> RefreshOutcome:
    """Read `things` again from the cloud (≤ 10 per call) and store their state as a sync
    does; every open page shows what changed."""
    require(actor, Role.MEMBER, "Refreshing things")
    outcome = RefreshOutcome()
    by_account: dict[int, list[Thing]] = {}
    for thing in things:
        by_account.setdefault(thing.account_id, []).append(thing)
    for group in by_account.values():
        fetched, failed = async_to_sync(_fetch_account)(group[0].account, group)
        outcome.failed += failed
        sync.apply_things(group[0].account_id, fetched)
        listed: dict[tuple[str, str], str] = {
            (ThingKind.GROUP if item.is_group else ThingKind.DEVICE, item.id): item.name
            for item in fetched
        }
        failed_ids = {result.thing_id for result in failed}
        for thing in group:
            name = listed.get((thing.kind, thing.cloud_id))
            if name is not None:
                outcome.refreshed.append(name)  # as the cloud calls it now
            elif thing.pk not in failed_ids:
                outcome.failed.append(ThingResult(thing.pk, thing.name, False, GONE))
    return outcome


async def _fetch_account(
    account: LinkedAccount, things: list[Thing]
) -> tuple[list[ewelink.Thing], list[ThingResult]]:
    fetched: list[ewelink.Thing] = []
    failed: list[ThingResult] = []
    async with open_client(account) as client:
        for chunk in chunks(things, MAX_SPECIFIED_THINGS):
            refs = [ThingRef(thing.item_type, thing.cloud_id) for thing in chunk]
            try:
                fetched += await client.get_specified_things(refs)
            except ewelink.EWeLinkError as exc:
                reason = cloud_message(exc)
                failed += [ThingResult(t.pk, t.name, False, reason) for t in chunk]
    return fetched, failed
