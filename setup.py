"""Builds the compiled DGA generators; everything else is declared in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "dgawatch._fastdga",
            sources=["src/dgawatch/_fastdga.c"],
            # One IEEE rounding per operation, as the worm's x87/SSE2 code does.
            extra_compile_args=["-O2", "-ffp-contract=off", "-fno-fast-math", "-std=gnu11"],
            libraries=["m"],
        ),
        Extension(
            "dgawatch._pykspa",
            sources=["src/dgawatch/_pykspa.c"],
            extra_compile_args=["-O2", "-std=gnu11"],
        ),
        Extension(
            "dgawatch._pcapscan",
            sources=["src/dgawatch/_pcapscan.c"],
            extra_compile_args=["-O2", "-std=gnu11"],
        ),
        Extension(
            "dgawatch._huntscan",
            sources=["src/dgawatch/_huntscan.c"],
            depends=["src/dgawatch/_hash.h"],  # (the name hash; rebuild when it changes)
            extra_compile_args=["-O2", "-std=gnu11"],
            libraries=["m"],
        ),
        Extension(
            "dgawatch._lookupscan",
            sources=["src/dgawatch/_lookupscan.c"],
            depends=["src/dgawatch/_hash.h"],  # (the name hash; rebuild when it changes)
            extra_compile_args=["-O2", "-std=gnu11"],
        ),
        Extension(
            "dgawatch._charcnn",
            sources=["src/dgawatch/_charcnn.c"],
            extra_compile_args=["-O3", "-std=gnu11"],
        ),
    ]
)
