"""How fast does a fan-out drain through the delivery engine under Discord's rate limits, and cleanly?

One run, two senders, each against its own loopback fake Discord enforcing 50 requests/s globally and
the per-route buckets Discord uses (``fake.rate_limits``: 5 messages / 5 s per channel, 10 DM-channel
opens / 10 s, ...):

* baseline: a bare discord.py client sending the same messages from 8 concurrent workers (discord.py's
  own per-route bucket handling, nothing else);
* Blether: the real bot in-process; N channel posts and D DMs are scheduled as deliveries and drained by
  the Dispatcher (batch 50, concurrency 8) through ``post_once`` / ``dm_once`` and ``DiscordSender``.

Posts are spread over C bench channels (Discord's per-channel bucket would otherwise make one channel
take N s). The theoretical floor is the slowest of: all requests at 50/s (fixed 1 s windows, so
ceil(R/50) - 1 s); each channel's posts at its 5 / 5 s bucket; the DM-channel opens at 10 / 10 s;
and Blether's own policy of 1 DM/s (limiter.py).
Reported: wall time, floor, their ratio, 429s (global and per route; target 0 global), and the DM
pacing actually seen (most DMs in any 1 s window; Blether's policy is 1).
"""

import argparse
import asyncio
import itertools
import logging
import math
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord

from bench._fake import TOKEN, running_bare
from bench._util import table
from bot.core.delivery.domain import Delivery, NewDelivery
from bot.core.delivery.idempotent import dm_once, post_once
from bot.core.messages import OutboundMessage
from tests.e2e.harness import running_bot
from tests.fakediscord import FakeDiscord
from tests.fakediscord.state import CHANNEL_TEXT, Channel

GLOBAL_PER_S = 50
CHANNEL_BUCKET = (5, 5.0)  # the fake's default for POST /channels/{id}/messages, as on Discord
DM_OPEN_BUCKET = (10, 10.0)  # POST /users/@me/channels
BLETHER_DM_PER_S = 1.0
MIN_DM_GAP_S = 0.95  # 1 s less the loop's scheduling noise, measured at the fake
CONCURRENCY = 8


def floor_seconds(posts: int, dms: int, channels: int) -> dict[str, float]:
    """Return the lower bounds on wall time (s) set by each limit, and the overall floor."""
    requests = posts + 2 * dms  # a DM is an open-channel request plus a message (discord.py caches the channel)
    per_channel = math.ceil(posts / channels)
    limit, window = CHANNEL_BUCKET
    dm_limit, dm_window = DM_OPEN_BUCKET
    bounds = {
        # the fake's buckets are fixed windows: the first window opens at t=0, so k windows end at (k-1) s
        "global_50_per_s": float(math.ceil(requests / GLOBAL_PER_S) - 1),
        "per_channel_bucket": (math.ceil(per_channel / limit) - 1) * window,
        "dm_open_bucket": (math.ceil(dms / dm_limit) - 1) * dm_window if dms else 0.0,
        "blether_dm_1_per_s": (dms - 1) / BLETHER_DM_PER_S if dms else 0.0,
    }
    bounds["floor_discord"] = max(bounds["global_50_per_s"], bounds["per_channel_bucket"], bounds["dm_open_bucket"])
    bounds["floor_blether_policy"] = max(bounds["floor_discord"], bounds["blether_dm_1_per_s"])
    return bounds


def _prepare_fake(fake: FakeDiscord, channels: int, dms: int) -> tuple[list[int], list[int]]:
    """Add bench channels and DM recipients before the bot connects; turn the rate limits on."""
    state = fake.state
    channel_ids = []
    for i in range(channels):
        channel = Channel(state.next_id(), CHANNEL_TEXT, f"bench-{i}", fake.guild_id, 100 + i)
        state.add_channel(channel)
        channel_ids.append(channel.id)
    users = [m.id for m in fake.add_members(dms, prefix="dm")]
    fake.rate_limits(global_per_s=GLOBAL_PER_S)
    return channel_ids, users


def _max_in_window(times: list[float], window: float = 1.0) -> int:
    ordered = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(ordered):
        while t - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def _dm_spacing(fake: FakeDiscord, since: float) -> dict[str, float | None]:
    """Return the min / median / max seconds between consecutive DM creates, as the fake received them."""
    dm_channels = {str(channel) for channel in fake.state.dm_channel_by_user.values()}
    times = sorted(
        r.time
        for r in fake.requests
        if r.method == "POST"
        and r.route == "/channels/{channel_id}/messages"
        and r.params.get("channel_id") in dm_channels
        and r.status == 200
        and r.time >= since
    )
    gaps = [b - a for a, b in itertools.pairwise(times)]
    if not gaps:
        return {"dm_gap_min_s": None, "dm_gap_median_s": None, "dm_gap_max_s": None}
    return {"dm_gap_min_s": min(gaps), "dm_gap_median_s": statistics.median(gaps), "dm_gap_max_s": max(gaps)}


def _summary(fake: FakeDiscord, started: float, post_done: list[float], dm_done: list[float]) -> dict[str, Any]:
    return {
        "wall_s": max([*post_done, *dm_done]) - started,
        "posts_done_s": max(post_done) - started if post_done else 0.0,
        "dms_done_s": max(dm_done) - started if dm_done else 0.0,
        "max_dms_in_1s": _max_in_window(dm_done),
        "global_429": fake.stats.global_429,
        "route_429": fake.stats.route_429,
        "route_429_by_route": dict(fake.stats.route_429_by_route),
        "requests": fake.stats.requests,
    }


def _started() -> tuple[float, float]:
    """Return (monotonic, wall) now: the fake stamps requests with time.time()."""
    return time.monotonic(), time.time()


async def _baseline(posts: int, dms: int, channels: int) -> dict[str, Any]:
    async with FakeDiscord(token=TOKEN) as fake:
        channel_ids, users = _prepare_fake(fake, channels, dms)
        intents = discord.Intents.default()
        intents.members = True
        async with running_bare(fake, intents=intents) as client:
            semaphore = asyncio.Semaphore(CONCURRENCY)
            post_done: list[float] = []
            dm_done: list[float] = []

            async def post(i: int) -> None:
                async with semaphore:
                    channel = client.get_channel(channel_ids[i % channels])
                    assert isinstance(channel, discord.TextChannel)
                    await channel.send(f"bench post {i}", nonce=f"p{i}")
                post_done.append(time.monotonic())

            async def dm(i: int) -> None:
                async with semaphore:
                    user = client.get_user(users[i]) or await client.fetch_user(users[i])
                    await user.send(f"bench dm {i}", nonce=f"d{i}")
                dm_done.append(time.monotonic())

            fake.stats.global_429 = fake.stats.route_429 = 0
            started, since = _started()
            await asyncio.gather(*(post(i) for i in range(posts)), *(dm(i) for i in range(dms)))
            return _summary(fake, started, post_done, dm_done) | _dm_spacing(fake, since)


async def _blether(posts: int, dms: int, channels: int, directory: Path) -> dict[str, Any]:
    async with FakeDiscord(token=TOKEN) as fake:
        channel_ids, users = _prepare_fake(fake, channels, dms)
        async with running_bot(fake, f"sqlite+aiosqlite:///{directory / 'fanout.db'}") as running:
            await fake.wait_commands_synced(timeout=10)
            services = running.services
            post_done: list[float] = []
            dm_done: list[float] = []
            finished = asyncio.Event()

            def check_done() -> None:
                if len(post_done) + len(dm_done) >= posts + dms:
                    finished.set()

            async def post(delivery: Delivery) -> int:
                channel = int(delivery.payload["channel"])
                message_id = await post_once(services.sender, channel, OutboundMessage(content="bench post"), delivery)
                post_done.append(time.monotonic())
                check_done()
                return message_id

            async def dm(delivery: Delivery) -> int:
                user = int(delivery.payload["user"])
                message_id = await dm_once(services.sender, user, OutboundMessage(content="bench dm"), delivery)
                dm_done.append(time.monotonic())
                check_done()
                return message_id

            dispatcher = services.dispatcher
            dispatcher.register("bench_post", post)
            dispatcher.register("bench_dm", dm, dm=True)
            now = datetime.now(UTC)
            rows = [
                NewDelivery(
                    fake.guild_id,
                    "bench_post",
                    f"bench:{i}",
                    f"bench:post:{i}",
                    now,
                    now + timedelta(hours=1),
                    {"channel": channel_ids[i % channels]},
                )
                for i in range(posts)
            ] + [
                NewDelivery(
                    fake.guild_id,
                    "bench_dm",
                    f"bench:{i}",
                    f"bench:dm:{i}",
                    now,
                    now + timedelta(hours=1),
                    {"user": users[i]},
                )
                for i in range(dms)
            ]
            async with running.database.unit_of_work() as uow:
                for row in rows:
                    await dispatcher.schedule(uow, row)
                await uow.commit()
            fake.stats.global_429 = fake.stats.route_429 = 0
            fake.stats.route_429_by_route.clear()
            started, since = _started()
            dispatcher.wake()
            await asyncio.wait_for(finished.wait(), timeout=600)
            result = _summary(fake, started, post_done, dm_done) | _dm_spacing(fake, since)
            result["limiter_acquired"] = services.limiter.acquired
            result["dispatcher"] = dispatcher.stats.__repr__()
            return result


async def run_async(posts: int = 1000, dms: int = 200, channels: int = 100) -> dict[str, Any]:
    """Run the baseline then Blether in the running loop; return the figures (seconds)."""
    with tempfile.TemporaryDirectory(prefix="blether-fanout-") as tmp:
        baseline = await _baseline(posts, dms, channels)
        blether = await _blether(posts, dms, channels, Path(tmp))
    floors = floor_seconds(posts, dms, channels)
    return {
        "name": "fanout",
        "posts": posts,
        "dms": dms,
        "channels": channels,
        "floors": floors,
        "baseline": baseline,
        "blether": blether,
        "ratio_vs_floor": blether["wall_s"] / floors["floor_blether_policy"],
        "ratio_vs_baseline": blether["wall_s"] / baseline["wall_s"],
        "target": f"0 global 429s; DM creates ≥ {MIN_DM_GAP_S} s apart (≤ 1/s)",
        "passed": blether["global_429"] == 0
        and (blether["dm_gap_min_s"] is None or blether["dm_gap_min_s"] >= MIN_DM_GAP_S),
    }


def run(posts: int = 1000, dms: int = 200, channels: int = 100) -> dict[str, Any]:
    """Run the baseline then Blether; return the figures (seconds)."""
    return asyncio.run(run_async(posts, dms, channels))


def _gap(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.3f}"


def report(result: dict[str, Any]) -> str:
    """Render the result as a small table."""
    rows = []
    for name, key in (("bare discord.py, 8 workers", "baseline"), ("Blether dispatcher", "blether")):
        r = result[key]
        rows.append(
            [
                name,
                f"{r['wall_s']:.1f}",
                f"{r['posts_done_s']:.1f}",
                f"{r['dms_done_s']:.1f}",
                r["max_dms_in_1s"],
                _gap(r["dm_gap_min_s"]),
                _gap(r["dm_gap_median_s"]),
                r["global_429"],
                r["route_429"],
            ]
        )
    floors = result["floors"]
    return (
        f"{result['posts']} posts over {result['channels']} channels + {result['dms']} DMs\n"
        + table(
            [
                "",
                "wall s",
                "posts done s",
                "DMs done s",
                "max DMs/1 s",
                "DM gap min s",
                "DM gap median s",
                "global 429",
                "route 429",
            ],
            rows,
        )
        + f"\nfloor: Discord limits {floors['floor_discord']:.1f} s,"
        f" with Blether's 1 DM/s {floors['floor_blether_policy']:.1f} s;"
        f" Blether/floor {result['ratio_vs_floor']:.2f}; {'met' if result['passed'] else 'MISSED'} ({result['target']})"
    )


def main() -> None:
    """Run from the command line and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--dms", type=int, default=200)
    parser.add_argument("--channels", type=int, default=100)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    print(report(run(args.posts, args.dms, args.channels)))


if __name__ == "__main__":
    main()
