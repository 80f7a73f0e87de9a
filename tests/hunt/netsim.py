"""A deterministic simulated DNS day of an office network, with its ground truth.

Shared by the hunt tests and ``bench/bench_hunt_field.py``: a seed and a client count give
the same Zeek ``dns.log`` byte for byte, and the list of infected clients comes from the
simulator, never from the code under test.

What the day holds (issue 11's "realism the tests must carry"):

* clients with Pareto-distributed volumes (``xm`` 25, shape 1.15, capped at 20,000), plus
  three heavy clients at 10,000, 15,000 and 20,000 queries when there are 300 or more;
* popular sites from ``../shared/data/benign/`` (Zipf over the ranks, common host
  prefixes, A/AAAA, NOERROR), intranet names of the organisation's domain;
* cloud and CDN names that look random and resolve: ``*.elb.amazonaws.com``,
  ``*.s3.amazonaws.com``, ``d*.cloudfront.net``, ``*.blogspot.com``, hex CDN labels,
  ``*.akamaiedge.net``, ``*.googlevideo.com`` (network-wide pools and one-off names);
* typo NXDOMAINs of popular sites at a per-client rate drawn from a Gamma distribution
  (mean 0.3 % of queries: a 20,000-query client makes ~60 of them);
* browser probes (3 random 7-15-letter single labels per browser start, several starts),
  single-label search retries, search-domain retries (``<name>.ad.<org>``), WPAD;
* reverse DNS (PTR), mDNS/``.local``, DNS-SD (``_ldap._tcp``..., ``lb._dns-sd._udp``);
* antivirus cloud look-ups (``<hex32>.avqs.mcafee.com``, NXDOMAIN, every one different)
  on a tenth of the clients, and a mail server's DNSBL look-ups;
* infected clients (about one in 200, at least 10) of several families whose names
  dgawatch's registry can generate, rebuilt with NEW seeds by
  :func:`dgawatch.classify.seeds.reseeded` (so no forecast matches them), and two
  word-list styles (two or three words of a per-build vocabulary drawn from Debian's
  ``wamerican-large``) ; each also browses normally. Clients of one family share the
  build of the day; each asks 60-100 % of its list, one name of which resolves (the C2);
* on request (``simulate(..., ddns=R)``): benign dynamic-DNS users, a share R of the
  clients, each with a name or two of its own under ``ddns.net``, ``duckdns.org``,
  ``myfritz.net``... asked all day, a third also reaching 1-4 devices by random ids under a
  device cloud (``remotewd.com``, ``myqnapcloud.com``).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("DGAWATCH_SHARED", ROOT.parent / "shared"))
DAY = dt.date(2026, 11, 30)
ORG = "ad.northwind-traders.com"

#: Families the infected clients run: (style, names of a day's build). Registry families
#: are reseeded; ``words2``/``words3`` are word-list builds of this module.
FAMILIES: tuple[tuple[str, int], ...] = (
    ("necurs", 60),
    ("qakbot", 60),
    ("ramnit", 60),
    ("banjori", 60),
    ("corebot", 40),
    ("simda", 60),
    ("symmi", 60),
    ("tinba", 60),
    ("words2", 60),
    ("words3", 40),
)

ZEEK_HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n"
    "#open\t{open}\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery"
    "\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers"
    "\tTTLs\trejected\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring"
    "\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]"
    "\tvector[interval]\tbool\n"
)
_QTYPES = {"A": 1, "AAAA": 28, "PTR": 12, "SRV": 33, "TXT": 16}
_RCODES = {"NOERROR": 0, "NXDOMAIN": 3}
_PREFIXES = ("", "www.", "www.", "", "api.", "static.", "cdn.", "m.", "img.", "login.", "mail.")
_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1")
_LOWER = string.ascii_lowercase
_HEX = "0123456789abcdef"
_ALNUM = _LOWER + string.digits


@dataclass
class NetDay:
    """The simulated day: the log and what is true about it."""

    path: Path
    clients: list[str]
    infected: dict[str, str]  # client -> family style
    dga_names: dict[str, set[str]]  # client -> the DGA names it asked
    lines: int
    volumes: dict[str, int] = field(default_factory=dict)
    second: dict[str, str] = field(default_factory=dict)  # client -> its second family
    builds: dict[str, list[str]] = field(default_factory=dict)  # style -> the day's names

    def families(self, client: str) -> tuple[str, ...]:
        """The styles ``client`` runs (none for a clean client)."""
        if client not in self.infected:
            return ()
        return (self.infected[client], *((self.second[client],) if client in self.second else ()))

    @property
    def clean(self) -> list[str]:
        return [c for c in self.clients if c not in self.infected]


@cache
def benign_sites() -> tuple[str, ...]:
    """Registered names of the two benign top lists (URL paths stripped), deduplicated,
    Alexa order first."""
    seen: dict[str, None] = {}
    with open(SHARED / "data" / "benign" / "alexa_top100k_2015-05.csv", encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            name = line.rstrip("\n").split(",", 1)[1].split("/", 1)[0].strip().lower()
            if name and "." in name:
                seen[name] = None
    path = SHARED / "data" / "benign" / "opendns_top_domains_2017.txt"
    for line in path.read_text(encoding="utf-8").split():
        name = line.strip().lower()
        if name and "." in name:
            seen[name] = None
    return tuple(seen)


@cache
def _dictionary() -> tuple[str, ...]:
    from dgawatch.classify.synthetic import words

    return tuple(w for w in words() if 4 <= len(w) <= 8)


def _text(rng: np.random.Generator, alphabet: str, n: int) -> str:
    return "".join(alphabet[i] for i in rng.integers(0, len(alphabet), n))


class _Zipf:
    """Index draws with P(i) ~ 1 / (i + offset)**s."""

    def __init__(self, n: int, s: float = 1.0, offset: float = 5.0) -> None:
        w = 1.0 / (np.arange(n) + offset) ** s
        self.cdf = np.cumsum(w / w.sum())

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.minimum(np.searchsorted(self.cdf, rng.random(size)), len(self.cdf) - 1)


def _cloud_name(rng: np.random.Generator, kind: int, words: Sequence[str]) -> str:
    w = lambda: words[int(rng.integers(len(words)))]  # noqa: E731
    if kind == 0:
        region = _REGIONS[int(rng.integers(len(_REGIONS)))]
        return f"{w()}-{w()}-{int(rng.integers(10**8, 10**10))}.{region}.elb.amazonaws.com"
    if kind == 1:
        return f"{w()}-{w()}-{_text(rng, _HEX, 8)}.s3.amazonaws.com"
    if kind == 2:
        return f"d{_text(rng, _ALNUM, 13)}.cloudfront.net"
    if kind == 3:
        return f"{w()}{w()}{int(rng.integers(0, 100))}.blogspot.com"
    if kind == 4:
        host = ("cdn.shopify-assets.net", "media.licdn.com", "cdn.jsdelivr.net", "fbcdn.net")
        return f"{_text(rng, _HEX, int(rng.integers(16, 33)))}.{host[int(rng.integers(4))]}"
    if kind == 5:
        return f"e{int(rng.integers(1000, 99999))}.{_text(rng, _LOWER, 1)}.akamaiedge.net"
    return f"rr{int(rng.integers(1, 6))}---sn-{_text(rng, _ALNUM, 8)}.googlevideo.com"


def _typo(rng: np.random.Generator, site: str) -> str:
    label, _, rest = site.partition(".")
    if len(label) < 3 or not rest:
        return f"{label}{_text(rng, _LOWER, 1)}.{rest or 'com'}"
    i = int(rng.integers(1, len(label) - 1))
    op = int(rng.integers(4))
    if op == 0:
        label = label[:i] + label[i + 1 :]
    elif op == 1:
        label = label[:i] + label[i] + label[i:]
    elif op == 2:
        label = label[: i - 1] + label[i] + label[i - 1] + label[i + 1 :]
    else:
        label = label[:i] + _text(rng, _LOWER, 1) + label[i + 1 :]
    return f"{label}.{rest}"


def _wordlist_build(rng: np.random.Generator, style: str, n: int) -> list[str]:
    words = _dictionary()
    vocab = [words[i] for i in rng.choice(len(words), 400, replace=False)]
    k, tlds = (2, ("net",)) if style == "words2" else (3, ("com", "org"))
    out: dict[str, None] = {}
    while len(out) < n:
        label = "".join(vocab[int(j)] for j in rng.integers(0, len(vocab), k))
        out[f"{label}.{tlds[int(rng.integers(len(tlds)))]}"] = None
    return list(out)


def family_build(style: str, rng: np.random.Generator, n: int) -> list[str]:
    """Names of one new build of ``style`` (a registry family reseeded, or a word list)."""
    if style.startswith("words"):
        return _wordlist_build(rng, style, n)
    from dgawatch.classify.seeds import reseeded

    names = reseeded(style, rng, 1, n)
    if len(names) < 10:
        raise ValueError(f"{style}: its reseeded build gave only {len(names)} names")
    return names


@dataclass
class _Query:
    ts: float
    client: str
    qname: str
    qtype: str
    rcode: str


def simulate(
    path: Path,
    clients: int = 2000,
    seed: int = 1,
    infected: int | None = None,
    *,
    dual: int = 0,
    answers: bool = True,
    dead: float = 0.0,
    ddns: float = 0.0,
) -> NetDay:
    """Write the day's Zeek dns.log to ``path``; returns the ground truth.

    ``dual``: that many of the infected clients run a second family too (another style of
    :data:`FAMILIES`, with its own bursts). ``answers=False`` writes a query-only log (rcode,
    rcode_name and answers unset, as a resolver that logs questions only). ``dead``: clean
    clients also ask for dead generated-looking domains (expired adware, tracker and
    sinkholed names: random 8-16 character labels, NXDOMAIN, a pool of 400 shared by the
    network with Zipf popularity) at a per-client rate drawn from a Gamma of shape 0.5 and
    mean ``dead`` per query (heavily over-dispersed: a few clients ask many). ``ddns``: that
    share of the clients are dynamic-DNS users (:func:`_ddns_users`: a home NAS, camera or
    router under a private suffix of the Public Suffix List, asked all day; a third of them
    also reach 1-4 devices by random-looking ids under a vendor's device-cloud suffix).
    None of these changes the rest of the day: with ``dual=0``, answers, ``dead=0`` and
    ``ddns=0`` the log is the one it always was (their draws come from streams of their
    own)."""
    rng = np.random.default_rng([seed, clients, 11])
    sites = benign_sites()
    site_zipf = _Zipf(len(sites), 1.0, 5.0)
    words = _dictionary()
    start = dt.datetime(DAY.year, DAY.month, DAY.day, tzinfo=dt.UTC).timestamp()
    addrs = [f"10.{20 + i // 62500}.{i // 250 % 250}.{i % 250 + 2}" for i in range(clients)]
    vol = np.minimum(25 * (1 + rng.pareto(1.15, clients)), 20_000).astype(int)
    if clients >= 300:
        vol[:3] = (10_000, 15_000, 20_000)
    n_inf = infected if infected is not None else max(10, clients // 200)
    inf_idx = rng.choice(np.arange(3, clients), n_inf, replace=False)
    inf_idx[0] = 1  # one heavy client (15,000 queries) is infected too
    styles = {int(c): FAMILIES[i % len(FAMILIES)][0] for i, c in enumerate(inf_idx)}
    builds: dict[str, list[str]] = {}
    for style, n in FAMILIES:
        if style in styles.values():
            builds[style] = family_build(style, rng, n)
    clouds = [_cloud_name(rng, k % 7, words) for k in range(2000)]
    cloud_zipf = _Zipf(len(clouds), 1.1, 3.0)
    intranet = [f"{h}.{ORG}" for h in ("intranet", "mail", "sharepoint", "fs01", "print", "vpn")]
    av_clients = set(rng.choice(clients, max(1, clients // 10), replace=False).tolist())
    mail_server = 0 if clients >= 300 else -1
    queries: list[_Query] = []

    def add(t: float, c: str, name: str, qtype: str = "A", rcode: str = "NOERROR") -> None:
        queries.append(_Query(t, c, name, qtype, rcode))

    for i, client in enumerate(addrs):
        n = int(vol[i])
        times = np.sort(start + rng.random(n) * 86_400)
        kinds = rng.random(n)
        typo_rate = rng.gamma(2.0, 0.0015)
        site_draws = site_zipf.draw(rng, n)
        for j in range(n):
            t, u = float(times[j]), float(kinds[j])
            if u < typo_rate:
                add(t, client, _typo(rng, sites[int(site_draws[j])]), rcode="NXDOMAIN")
            elif u < 0.76:
                pre = _PREFIXES[int(rng.integers(len(_PREFIXES)))]
                add(t, client, pre + sites[int(site_draws[j])], "A" if u < 0.6 else "AAAA")
            elif u < 0.86:
                if rng.random() < 0.15:  # a one-off cloud or CDN name
                    add(t, client, _cloud_name(rng, int(rng.integers(7)), words))
                else:
                    add(t, client, clouds[int(cloud_zipf.draw(rng, 1)[0])])
            elif u < 0.89:
                add(t, client, intranet[int(rng.integers(len(intranet)))])
            elif u < 0.92:  # search-domain retry of a popular name
                add(t, client, f"{sites[int(site_draws[j])]}.{ORG}", rcode="NXDOMAIN")
            elif u < 0.94:
                ip = rng.integers(1, 255, 4)
                add(t, client, f"{ip[3]}.{ip[2]}.{ip[1]}.{ip[0]}.in-addr.arpa", "PTR",
                    "NOERROR" if rng.random() < 0.6 else "NXDOMAIN")  # fmt: skip
            elif u < 0.96:
                svc = (
                    "_googlecast._tcp.local",
                    "_airplay._tcp.local",
                    "_spotify-connect._tcp.local",
                )
                pick = int(rng.integers(4))
                if pick == 3:
                    add(t, client, f"{_text(rng, _LOWER, 6)}-laptop.local")
                else:
                    add(t, client, svc[pick], "PTR")
            elif u < 0.975:
                sd = (f"_ldap._tcp.dc._msdcs.{ORG}", f"_kerberos._udp.{ORG}",
                      f"lb._dns-sd._udp.{ORG}", f"wpad.{ORG}")  # fmt: skip
                k = int(rng.integers(4))
                add(t, client, sd[k], "SRV" if k < 2 else "PTR" if k == 2 else "A",
                    "NOERROR" if k < 2 else "NXDOMAIN")  # fmt: skip
            elif i in av_clients and u < 0.99:
                add(t, client, f"{_text(rng, _HEX, 32)}.avqs.mcafee.com", "TXT", "NXDOMAIN")
            else:
                add(t, client, pre_site(rng, sites, site_draws[j]), "A")
        # Browser starts: three random single labels each; single-label search retries.
        for _ in range(1 + min(9, int(rng.poisson(n / 500)))):
            t0 = start + float(rng.random()) * 86_400
            for k in range(3):
                label = _text(rng, _LOWER, int(rng.integers(7, 16)))
                add(t0 + k * 0.01, client, label, rcode="NXDOMAIN")
        if rng.random() < 0.3:
            add(start + float(rng.random()) * 86_400, client, "wpad", rcode="NXDOMAIN")
        if i == mail_server:
            for _ in range(3000):
                ip = rng.integers(1, 255, 4)
                add(start + float(rng.random()) * 86_400, client,
                    f"{ip[3]}.{ip[2]}.{ip[1]}.{ip[0]}.zen.spamhaus.org",
                    rcode="NXDOMAIN" if rng.random() < 0.9 else "NOERROR")  # fmt: skip
    if dead > 0:
        rng3 = np.random.default_rng([seed, clients, 11, 3])
        tlds = ("com", "net", "info", "org", "ru", "biz", "xyz")
        pool = [
            f"{_text(rng3, _ALNUM if k % 3 == 0 else _LOWER, int(rng3.integers(8, 17)))}"
            f".{tlds[int(rng3.integers(len(tlds)))]}"
            for k in range(400)
        ]
        pool_zipf = _Zipf(len(pool), 1.0, 2.0)
        for i, client in enumerate(addrs):
            if i in styles:
                continue
            n = int(rng3.poisson(rng3.gamma(0.5, dead / 0.5) * vol[i]))
            for j in pool_zipf.draw(rng3, n):
                add(start + float(rng3.random()) * 86_400, client, pool[int(j)], rcode="NXDOMAIN")
    if ddns > 0:
        for t, client, name in _ddns_users(
            np.random.default_rng([seed, clients, 11, 4]), addrs, ddns, start
        ):
            add(t, client, name)
    dga_names: dict[str, set[str]] = {}
    runs = [(i, style, rng) for i, style in styles.items()]
    second: dict[str, str] = {}
    if dual:
        rng2 = np.random.default_rng([seed, clients, 11, 2])
        order = [s for s, _ in FAMILIES]
        for i in sorted(
            int(x) for x in rng2.choice(list(styles), min(dual, len(styles)), replace=False)
        ):
            other = order[
                (order.index(styles[i]) + 1 + int(rng2.integers(len(order) - 1))) % len(order)
            ]
            if other not in builds:
                builds[other] = family_build(other, rng2, dict(FAMILIES)[other])
            second[addrs[i]] = other
            runs.append((i, other, rng2))
    for i, style, rng in runs:
        client = addrs[i]
        names = builds[style]
        c2 = names[len(names) // 2]
        share = 0.6 + 0.4 * float(rng.random())
        asked = [q for q in names if rng.random() < share or q == c2]
        dga_names.setdefault(client, set()).update(asked)
        for burst in range(int(rng.integers(2, 5))):
            t0 = start + float(rng.random()) * 80_000
            for k, q in enumerate(asked if burst == 0 else asked[: len(asked) // 2]):
                add(t0 + k * 0.5, client, q, rcode="NOERROR" if q == c2 else "NXDOMAIN")
    queries.sort(key=lambda q: (q.ts, q.client, q.qname))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(ZEEK_HEADER.format(open=DAY.strftime("%Y-%m-%d-00-00-00")))
        for n, q in enumerate(queries):
            fh.write(_zeek_line(n, q, answers))
    return NetDay(
        path=path,
        clients=addrs,
        infected={addrs[i]: s for i, s in styles.items()},
        dga_names=dga_names,
        second=second,
        builds=builds,
        lines=len(queries),
        volumes={a: int(v) for a, v in zip(addrs, vol, strict=True)},
    )


#: Dynamic-DNS providers (private suffixes of the Public Suffix List) and the weight of
#: each among the users; a user's own names under them are chosen (words and digits), but
#: ``myfritz.net`` gives each router a random 16-character id.
DDNS_PROVIDERS: tuple[tuple[str, float], ...] = (
    ("ddns.net", 0.2),
    ("duckdns.org", 0.2),
    ("synology.me", 0.15),
    ("myfritz.net", 0.15),
    ("dyndns.org", 0.1),
    ("hopto.org", 0.07),
    ("zapto.org", 0.07),
    ("dynu.net", 0.06),
)
#: Device clouds (private suffixes) whose devices are reached by random-looking ids.
DEVICE_CLOUDS = ("remotewd.com", "myqnapcloud.com")


def _ddns_users(
    rng: np.random.Generator, addrs: Sequence[str], share: float, start: float
) -> list[tuple[float, str, str]]:
    """Benign dynamic-DNS traffic, (time, client, name): ``share`` of the clients each own
    one or two names under a dynamic-DNS provider (a home NAS, camera, router: a chosen
    name, or a random router id under ``myfritz.net``), asked 5-60 times over the day by a
    phone or desktop app; a third of them also reach 1-4 devices by random 16-character
    ids under a device cloud (:data:`DEVICE_CLOUDS`), each asked 2-10 times."""
    words = _dictionary()
    providers = [p for p, _ in DDNS_PROVIDERS]
    weights = np.array([w for _, w in DDNS_PROVIDERS])
    out: list[tuple[float, str, str]] = []
    users = rng.choice(len(addrs), max(1, round(share * len(addrs))), replace=False)
    for i in sorted(int(u) for u in users):
        client = addrs[i]
        names = []
        for _ in range(int(rng.integers(1, 3))):
            provider = providers[int(rng.choice(len(providers), p=weights / weights.sum()))]
            if provider == "myfritz.net":
                label = _text(rng, _ALNUM, 16)
            else:
                label = words[int(rng.integers(len(words)))]
                label += ("", "nas", "cam", "home", "-nas", str(int(rng.integers(1, 99))))[
                    int(rng.integers(6))
                ]
            names.append(f"{label}.{provider}")
        if rng.random() < 1 / 3:
            cloud = DEVICE_CLOUDS[int(rng.integers(len(DEVICE_CLOUDS)))]
            names += [f"{_text(rng, _ALNUM, 16)}.{cloud}" for _ in range(int(rng.integers(1, 5)))]
        for name in names:
            low, high = (2, 11) if name.endswith(DEVICE_CLOUDS) else (5, 61)
            for _ in range(int(rng.integers(low, high))):
                out.append((start + float(rng.random()) * 86_400, client, name))
    return out


def pre_site(rng: np.random.Generator, sites: Sequence[str], draw: int) -> str:
    return _PREFIXES[int(rng.integers(len(_PREFIXES)))] + sites[int(draw)]


def _zeek_line(n: int, q: _Query, with_answers: bool = True) -> str:
    answers = "-"
    if q.rcode == "NOERROR":
        answers = {"PTR": "host.example.net", "SRV": f"0 100 389 dc1.{ORG}", "TXT": "v=ok"}.get(
            q.qtype, f"93.184.{n % 250}.{n % 199 + 1}"
        )
    code, rcode = str(_RCODES[q.rcode]), q.rcode
    if not with_answers:
        code = rcode = answers = "-"
    return (
        f"{q.ts:.6f}\tC{n:010d}\t{q.client}\t{49152 + n % 16000}\t10.0.0.53\t53\tudp"
        f"\t{n % 65536}\t0.01\t{q.qname}\t1\tC_INTERNET\t{_QTYPES[q.qtype]}\t{q.qtype}"
        f"\t{code}\t{rcode}\tF\tF\tT\tT\t0\t{answers}\t60.0\tF\n"
    )


def describe(day: NetDay) -> str:
    vols = sorted(day.volumes.values())
    return (
        f"{len(day.clients):,} clients, {day.lines:,} queries, {len(day.infected)} infected "
        f"({', '.join(sorted(set(day.infected.values())))}); volumes median {vols[len(vols) // 2]}"
        f", max {vols[-1]:,}; {math.fsum(len(v) for v in day.dga_names.values()):.0f} DGA names"
    )
