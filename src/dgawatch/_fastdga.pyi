def conficker_day(
    kind: int,
    filetime: int,
    vmul: int,
    vdiv: int,
    vadd: int,
    rmul: int,
    radd: float,
    tlds: bytes,
    count: int,
    /,
) -> bytes: ...
