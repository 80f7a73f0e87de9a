"""dgawatch: forecast, block, sinkhole, hunt and detect domain-generating botnets."""

__version__ = "0.1.0"
