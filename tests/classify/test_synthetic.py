"""Training augmentation: synthetic names in generic DGA styles, and reseeded and synthetic
names added to the data (never a label twice; synthetic names have no family)."""

from __future__ import annotations

import importlib.util
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


@pytest.fixture(scope="module")
def word_data() -> None:
    """The benign habits' word data: wordfreq and pypinyin (the 'train' and 'dev' extras)."""
    for module in ("wordfreq", "pypinyin"):
        if importlib.util.find_spec(module) is None:
            missing(f"the Python package {module} is missing (pip install -e '.[dev]')")


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
    wordlist: None, word_data: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reseeded and synthetic names are training rows only: calibration and evaluation keep
    the registered variants' names and the benign lists, split by the hash of the label."""
    from dgawatch.classify import data

    monkeypatch.setattr(data, "forecast_names", lambda *a, **k: set())  # the slow noise scan
    ranks = "".join(f"{i},site{i}.com\n" for i in range(300))
    (tmp_path / "alexa_top100k_2015-05.csv").write_text("rank,domain\n" + ranks)
    (tmp_path / "opendns_top_domains_2017.txt").write_text("google.com\n")
    plain = data.build_dataset(tmp_path, cap=60, augmented=False)
    full = data.build_dataset(tmp_path, cap=60, habits=(20, 10))
    assert full.names[: len(plain.names)] == plain.names
    extra = slice(len(plain.names), None)
    assert len(full.names[extra]) > 0
    assert set(full.split[extra]) == {"train"}
    assert all(
        s == data.split_of(label_of(n)) for n, s in zip(plain.names, plain.split, strict=True)
    )
    labels = [label_of(n) for n in full.names]
    assert len(labels) == len(set(labels))
    benign = [i for i in range(len(plain.names), len(full.names)) if full.y[i] == 0]
    assert len(benign) == 30  # the benign habit names: benign, of no family
    assert {full.family[i] for i in benign} == {None}
    assert None in full.family[extra] and "vawtrak" in full.family[extra]


def test_multilingual_names_are_real_words_of_their_language(word_data: None) -> None:
    """Benign habit names: deterministic, distinct, DNS-valid labels made of frequent words
    of one language (diacritics folded), under that language's suffix or com."""
    import wordfreq

    names = synthetic.multilingual_names(300, seed=4)
    assert names == synthetic.multilingual_names(300, seed=4)
    assert names != synthetic.multilingual_names(300, seed=5)
    labels = [n.split(".", 1)[0] for n in names]
    assert len(set(names)) == 300
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]{2,22}[a-z0-9]", lab) for lab in labels)
    suffixes = {n.split(".", 1)[1] for n in names}
    assert suffixes <= set(synthetic.LANGUAGE_SUFFIXES.values()) | {"com"}
    assert len(suffixes) > 10
    german = {synthetic.ascii_fold(w) for w in wordfreq.top_n_list("de", 8000)}
    de = [lab.split("-") for n, lab in zip(names, labels, strict=True) if n.endswith(".de")]
    assert de and all(
        any(p[0].startswith(w) for w in german) and any(p[-1].endswith(w) for w in german)
        for p in de
    )
    assert synthetic.ascii_fold("Öffnungszeiten-Straße") == "offnungszeiten-strasse"


def test_pinyin_initials_look_like_chinese_sites_abbreviations(word_data: None) -> None:
    """Initials of Chinese syllables: no syllable starts with i, u or v, so a label made of
    initials never holds them (a full spelling or random letters would); deterministic,
    distinct, under Chinese sites' suffixes."""
    names = synthetic.pinyin_initials(400, seed=4)
    assert names == synthetic.pinyin_initials(400, seed=4)
    assert names != synthetic.pinyin_initials(400, seed=5)
    labels = [n.split(".", 1)[0] for n in names]
    assert len(set(names)) == 400
    assert all(re.fullmatch(r"[a-hj-tw-z]{3,10}", lab) for lab in labels)
    assert {n.split(".", 1)[1] for n in names} <= set(synthetic._CN_SUFFIXES)
