"""Conficker C peer-to-peer ports: IP address + week -> 2 TCP and 2 UDP ports (spec §6).

Defensive use only: knowing which ports a host *would* listen on lets a scanner or a flow
hunter recognise C's P2P traffic. No part of the P2P protocol is implemented.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from dgawatch.errors import InputError

_WEEK_EPOCH_SECONDS = 345_600  # Monday 1970-01-05 00:00 UTC
_WEEK_SECONDS = 604_800
_LCG_MULTIPLIER = 0x015A4E35

# Bit (p >> 5) & 31 of word p >> 10 set = port p is never used (spec §6, word 0 first).
_EXCLUDED_WORDS = tuple(
    int(w, 16)
    for w in """
    FFFFFFFF FFFFFFFF F0F6BFBB BB5A5FF3 F3977011 EB67BFBF 5F9BFAC8 34D88091
    1E2282DF 573402C4 C0000084 03000209 01600002 00005000 801000C0 00500040
    000000A1 01000000 01000000 00022A20 00000080 04000000 40020000 88000000
    00000180 00081000 08801900 00800B81 00000280 080002C0 00A80000 00008000
    00100040 00100000 00000000 00000000 10000008 00000000 00000000 00000004
    00000002 00000000 00040000 00000000 00000000 00000000 00410000 82000000
    00000000 00000000 00000001 00000000 00000000 00000000 00000000 00000000
    00000000 00000000 00000000 00000000 00000000 00000000 00000008 80000000
    """.split()
)
assert len(_EXCLUDED_WORDS) == 64


@dataclass(frozen=True)
class P2PPorts:
    """The ports a Conficker C host listens on in one week."""

    ip: str
    week: int
    tcp: tuple[int, int]  # (fixed, weekly)
    udp: tuple[int, int]  # (fixed, weekly)

    def to_dict(self) -> dict[str, object]:
        return {"ip": self.ip, "week": self.week, "tcp": list(self.tcp), "udp": list(self.udp)}


def port_allowed(port: int) -> bool:
    return not (_EXCLUDED_WORDS[port >> 10] >> ((port >> 5) & 31)) & 1


def week_number(when: dt.datetime | dt.date) -> int:
    """Whole weeks since Monday 1970-01-05 00:00 UTC; changes every Monday 00:00 UTC."""
    if not isinstance(when, dt.datetime):
        when = dt.datetime(when.year, when.month, when.day, tzinfo=dt.UTC)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    seconds = int(when.timestamp())
    return (seconds - _WEEK_EPOCH_SECONDS) // _WEEK_SECONDS


def _ip_word(ip: str) -> int:
    try:
        packed = ipaddress.IPv4Address(ip).packed
    except ValueError:
        raise InputError(
            f"{ip!r} is not an IPv4 address (Conficker C's P2P is IPv4 only)"
        ) from None
    return int.from_bytes(packed, "little")  # a.b.c.d -> a + b*2^8 + c*2^16 + d*2^24


def _fill_pair(state: int, first: int, second: int, avoid: tuple[int, ...]) -> tuple[int, int, int]:
    """Run the LCG in rounds of ten steps until both ports are usable and distinct."""
    while True:
        for i in range(10):
            z = state * _LCG_MULTIPLIER + 1
            state = z & 0xFFFFFFFF
            chunk = ((z >> 32) >> i) & 0xFFFF
            if i % 2 == 0:
                first ^= chunk
            else:
                second ^= chunk
        if (
            port_allowed(first)
            and port_allowed(second)
            and first != second
            and first not in avoid
            and second not in avoid
        ):
            return state, first, second


def ports(ip: str, week: int, *, sri_rule: bool = True) -> P2PPorts:
    """The two TCP and two UDP ports of ``ip`` in ``week``.

    ``sri_rule`` (default) also requires the weekly pair to differ from the fixed pair, as
    SRI's scanner does; Nmap and SiLK omit that check (they disagree on ~1 in 13,000 pairs).
    """
    state = (~_ip_word(ip)) & 0xFFFFFFFF
    state, p0, p1 = _fill_pair(state, 0, 0, ())
    state ^= week & 0xFFFFFFFF
    _, p2, p3 = _fill_pair(state, 0, 0, (p0, p1) if sri_rule else ())
    return P2PPorts(ip=ip, week=week, tcp=(p0, p2), udp=(p1, p3))


def ports_near(ip: str, when: dt.datetime, slack_minutes: int = 15) -> list[P2PPorts]:
    """Ports for the week of ``when``, plus the adjacent week within ``slack_minutes`` of the
    Monday 00:00 UTC rollover (clocks are skewed; SiLK's advice, spec §6)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    slack = dt.timedelta(minutes=slack_minutes)
    weeks = sorted({week_number(when - slack), week_number(when), week_number(when + slack)})
    return [ports(ip, w) for w in weeks]
