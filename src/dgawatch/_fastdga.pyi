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
def necurs_names(
    base: int,
    magic: int,
    letter_add: int,
    tlds: bytes,
    count: int,
    /,
) -> bytes: ...
