"""Training augmentation: synthetic names in generic DGA styles, and reseeded and synthetic
names added to the data (never a label twice; synthetic names have no family)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from dgawatch.classify import synthetic
from dgawatch.classify.data import augment
from dgawatch.classify.features import label_of
from dgawatch.errors import InputError
from tests.needs import missing

DNS = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.[a-z]+")


@pytest.fixture(scope="module")
def wordlist() -> None:
    if not synthetic.WORDLIST.is_file():
        missing(f"{synthetic.WORDLIST} is missing (Debian package wamerican-large)")


def test_styles_deterministic_dns_valid(wordlist: None) -> None:
    names = synthetic.synthetic_names(200, seed=1)
    assert len(names) == 200 * len(synthetic.STYLES)
    assert names == synthetic.synthetic_names(200, seed=1)
    assert names != synthetic.synthetic_names(200, seed=2)
    for name in names:
        assert DNS.fullmatch(name), name
    chunks = np.array_split(np.array(names), len(synthetic.STYLES))
    labels = {
        style: [label_of(n) for n in chunk]
        for style, chunk in zip(synthetic.STYLES, chunks, strict=True)
    }
    assert all(re.fullmatch(r"[0-9a-f]+", lab) for lab in labels["hex"])
    assert any(re.search(r"[0-9]", lab) for lab in labels["alnum"])
    vocabulary = set(synthetic.words())
    words = labels["words"]
    assert all(
        any(lab.startswith(w) for w in vocabulary if len(w) <= len(lab)) for lab in words[:20]
    )
    assert len(set(words)) > 0.9 * len(words)


def test_missing_wordlist_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="wamerican-large"):
        synthetic.words(tmp_path / "no-such-list")


def test_augment_adds_new_labels_only(wordlist: None) -> None:
    taken = {label_of(n) for n in synthetic.synthetic_names(40, seed=0)[:5]}
    before = set(taken)
    names, fams = augment(taken, cap=240, seed=0)
    labels = [label_of(n) for n in names]
    assert len(labels) == len(set(labels))
    assert not before & set(labels)
    assert set(labels) <= taken
    assert None in fams and "vawtrak" in fams and "conficker" not in fams
    again, _ = augment(set(before), cap=240, seed=0)
    assert again == names


def test_dataset_puts_augmentation_in_train_only(
    wordlist: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reseeded and synthetic names are training rows only: calibration and evaluation keep
    the registered variants' names and the benign lists, split by the hash of the label."""
    from dgawatch.classify import data

    monkeypatch.setattr(data, "forecast_names", lambda *a, **k: set())  # the slow noise scan
    ranks = "".join(f"{i},site{i}.com\n" for i in range(300))
    (tmp_path / "alexa_top100k_2015-05.csv").write_text("rank,domain\n" + ranks)
    (tmp_path / "opendns_top_domains_2017.txt").write_text("google.com\n")
    plain = data.build_dataset(tmp_path, cap=60, augmented=False)
    full = data.build_dataset(tmp_path, cap=60)
    assert full.names[: len(plain.names)] == plain.names
    extra = slice(len(plain.names), None)
    assert len(full.names[extra]) > 0
    assert set(full.split[extra]) == {"train"}
    assert all(
        s == data.split_of(label_of(n)) for n, s in zip(plain.names, plain.split, strict=True)
    )
    labels = [label_of(n) for n in full.names]
    assert len(labels) == len(set(labels))
    assert full.y[extra].all()
    assert None in full.family[extra] and "vawtrak" in full.family[extra]
