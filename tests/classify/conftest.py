from __future__ import annotations

import datetime as dt
import io
import json

import numpy as np
import pytest

from dgawatch.classify import DGAClassifier
from dgawatch.families import get_family
from shared_data import data_path


def benign_sample(n: int) -> list[str]:
    from dgawatch.classify.data import clean_benign, read_benign_file

    names = read_benign_file(data_path("benign/alexa_top100k_2015-05.csv"))[: n * 2]
    return clean_benign(names, generated=set())[:n]


def dga_sample(family: str, days: int, day: dt.date = dt.date(2016, 6, 1)) -> list[str]:
    out: list[str] = []
    for v in get_family(family).variants:
        for i in range(days):
            out += v.domains(max(day, v.active_from) + dt.timedelta(days=i))[:200]
    return out


@pytest.fixture(scope="session")
def small_data() -> tuple[list[str], list[int], list[str | None]]:
    benign = benign_sample(3000)
    names, fams = list(benign), [None] * len(benign)
    for fam in ("cryptolocker", "necurs", "qadars"):
        d = dga_sample(fam, 3)
        names += d
        fams += [fam] * len(d)
    return names, [0 if f is None else 1 for f in fams], fams


@pytest.fixture(scope="session")
def small_model(small_data: tuple[list[str], list[int], list[str | None]]) -> DGAClassifier:
    names, y, fams = small_data
    small = {"bits": 16, "family_bits": 12, "epochs": 3, "family_epochs": 3}
    tiny_cnn = {"cnn_filters": 16, "cnn_hidden": 16, "cnn_embed": 8, "cnn_epochs": 2}
    return DGAClassifier(**small, **tiny_cnn).fit(names, y, family=fams)


def reloaded(model: DGAClassifier, names: list[str]) -> DGAClassifier:
    """``model`` saved and loaded again, checked to score ``names`` exactly as it does."""
    buf = io.BytesIO()
    model.save(buf)
    buf.seek(0)
    again = DGAClassifier.load(buf)
    np.testing.assert_array_equal(model.decision_function(names), again.decision_function(names))
    return again


def older_file(
    model: DGAClassifier, params: tuple[str, ...], keys: tuple[str, ...]
) -> DGAClassifier:
    """``model`` as a file written before ``params`` (estimator parameters) and ``keys``
    (other entries of the file's metadata) existed, loaded."""
    buf = io.BytesIO()
    model.save(buf)
    buf.seek(0)
    with np.load(buf) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays["meta"].tobytes().decode())
    for p in params:
        del meta["params"][p]
    for k in keys:
        del meta[k]
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    old = io.BytesIO()
    np.savez_compressed(old, **arrays)  # type: ignore[arg-type]
    old.seek(0)
    return DGAClassifier.load(old)
