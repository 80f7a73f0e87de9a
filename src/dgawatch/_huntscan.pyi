from typing import TypeAlias

import numpy as np
from typing_extensions import Buffer

_Bytes: TypeAlias = Buffer | np.ndarray

def scan_tsv(
    seg: _Bytes,
    sep: int,
    nfields: int,
    i_ts: int,
    i_client: int,
    i_query: int,
    i_rcode: int,
    unset: _Bytes,
    min_ms: int,
    max_ms: int,
    line0: int,
    /,
) -> (
    tuple[int, Mapped, Mapped, Mapped, Mapped, Mapped, Mapped, Mapped, Mapped, Mapped | None] | None
): ...

class Mapped(Buffer):
    def __buffer__(self, flags: int, /) -> memoryview: ...

def name_hashes(offsets: _Bytes, data: _Bytes, /) -> tuple[bytes, int]: ...
def count_lines(buf: _Bytes, /) -> int: ...
def split_lines(blob: _Bytes, /) -> tuple[bytes, bytes, int]: ...

class TableView(Buffer):
    def __buffer__(self, flags: int, /) -> memoryview: ...

class Index:
    def __init__(self, hashes: _Bytes, /) -> None: ...
    def add(self, hashes: _Bytes, /) -> None: ...
    def size(self) -> int: ...
    def probe_names(
        self, offsets: _Bytes, data: _Bytes, max_labels: int, /
    ) -> tuple[bytes, bytes, bytes]: ...
    def dump(self) -> tuple[TableView, TableView, TableView, TableView, int]: ...

def index_from(
    keys: _Bytes, vals: _Bytes, next: _Bytes, bits: _Bytes, bitshift: int, /
) -> Index: ...
