from collections.abc import Callable, Iterable
from typing import TypeAlias

import numpy as np
from typing_extensions import Buffer

_Bytes: TypeAlias = Buffer | np.ndarray

def build(
    offsets: _Bytes, data: _Bytes, packed: _Bytes, /
) -> tuple[int, int, bytes, bytes, bytes, bytes, bytes, bytes]: ...
def scan(data: Buffer, /) -> tuple[int, list[bytes]] | None: ...
def checksum(buffer: Buffer, start: int, length: int, /) -> int: ...
def write(
    data: Buffer,
    table: Buffer,
    layout: tuple[int, ...],
    allowed: Buffer,
    max_labels: int,
    rules: Iterable[str],
    maxlabel: int,
    prefixes: list[bytes],
    suffixes: list[bytes],
    slow_lines: list[bytes],
    write: Callable[[memoryview], object],
    split_from: int,
    /,
) -> tuple[int, int]: ...
def registered(
    names: Iterable[str], rules: Iterable[str], maxlabel: int, /
) -> list[str | None]: ...
