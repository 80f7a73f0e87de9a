from typing import Any as Buffer

def forward(
    codes: Buffer,
    starts: Buffer,
    lengths: Buffer,
    widths: Buffer,
    tables: Buffer,
    conv_bias: Buffer,
    w1: Buffer,
    b1: Buffer,
    w2: Buffer,
    b2: Buffer,
    out: Buffer,
    filters: int,
    hidden: int,
    threads: int,
    /,
) -> None: ...
