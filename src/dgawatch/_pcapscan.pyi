from collections.abc import Callable

class Scanner:
    base: int
    def __init__(
        self,
        ts: list[int],
        client: list[str],
        qname: list[str],
        qtype: list[str],
        rcode: list[str | None],
        answers: list[list[str] | None],
        line: list[int],
        pending: dict[bytes, int],
        tcache: dict[int, str],
        type_text: Callable[[int], str],
        rcodes: tuple[str, ...],
        fallback: Callable[[bytes, int, int, int, int, int], None],
        min_ts: int,
        max_ts: int,
    ) -> None: ...
    def packet(self, buf: bytes, p: int, end: int, ts: int, no: int, link: int, /) -> None: ...
    def scan_pcap(
        self,
        buf: bytes,
        off: int,
        big_endian: bool,
        div: int,
        no: int,
        link: int,
        max_packet: int,
        /,
    ) -> tuple[int, int, bool]: ...
    def scan_pcapng(
        self,
        buf: bytes,
        off: int,
        big_endian: bool,
        no: int,
        ifaces: list[tuple[int, int, int]],
        max_packet: int,
        /,
    ) -> tuple[int, int]: ...
