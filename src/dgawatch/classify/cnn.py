"""The classifier's second detector: a small character CNN over the same label codes.

The linear detector (:mod:`dgawatch.classify.model`) sees bags of n-grams; it cannot tell
*where* in a label a pattern sits, nor combine several weak cues non-linearly. The CNN
reads the framed label (``START label END``, :func:`dgawatch.classify.features.encode`):

    embedding (E) -> one 1-D convolution per kernel width (F filters each) -> ReLU
    -> max over the label's windows -> dense (H) + ReLU -> one logit

It is trained with PyTorch (``dgawatch classify train``; the ``train`` extra) and scored
without it: embedding and convolution are both linear in the one-hot input, so training
folds them into lookup tables (``tables[k, j][code]`` = embedding row @ filter tap ``j`` of
width ``k``), and a window's activation is a bias plus ``k`` table rows. The compiled
:mod:`dgawatch._charcnn` runs that per label (GIL released); :func:`reference_logits` is the
same arithmetic in NumPy, which the tests hold to both the C code and PyTorch's forward pass.

Training is deterministic for a given PyTorch build and CPU: seeded initialisation and
batch order, deterministic kernels, a fixed number of threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from dgawatch.classify.features import ALPHABET, Encoded
from dgawatch.errors import InputError

_charcnn: ModuleType | None
try:
    import dgawatch._charcnn as _charcnn
except ImportError:  # pragma: no cover - a source tree without the build
    _charcnn = None

#: Threads PyTorch trains with: fixed, so that the floating-point sums (and the model file)
#: do not depend on the machine's core count.
TRAIN_THREADS = 2
#: Threads scoring a batch (None: the cores this process may use, at most 8).
THREADS: int | None = None


def cnn_threads() -> int:
    if THREADS is not None:
        return THREADS
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(8, cores or 1))


_KEYS = ("widths", "tables", "conv_bias", "w1", "b1", "w2", "b2")


@dataclass(frozen=True)
class CharCNN:
    """A trained network, folded for inference (shapes in :mod:`dgawatch._charcnn`)."""

    widths: np.ndarray  # int32 [K], ascending
    tables: np.ndarray  # float32 [sum(widths), ALPHABET, F]
    conv_bias: np.ndarray  # float32 [K, F]
    w1: np.ndarray  # float32 [K * F, H]
    b1: np.ndarray  # float32 [H]
    w2: np.ndarray  # float32 [H]
    b2: np.ndarray  # float32 [1]

    @property
    def filters(self) -> int:
        return int(self.tables.shape[2])

    @property
    def hidden(self) -> int:
        return int(self.w1.shape[1])

    def logits(self, enc: Encoded, threads: int | None = None) -> np.ndarray:
        """One logit per label (float64), on ``threads`` threads (default
        :func:`cnn_threads`)."""
        if _charcnn is None:
            return self.reference_logits(enc)
        out = np.empty(len(enc), dtype=np.float64)
        _charcnn.forward(
            np.ascontiguousarray(enc.codes, dtype=np.uint8),
            np.ascontiguousarray(enc.starts, dtype=np.int64),
            np.ascontiguousarray(enc.lengths, dtype=np.int64),
            *(np.ascontiguousarray(getattr(self, k)) for k in _KEYS),
            out,
            self.filters,
            self.hidden,
            threads or cnn_threads(),
        )
        return out

    def reference_logits(self, enc: Encoded) -> np.ndarray:
        """:meth:`logits` in NumPy (the tests' reference; slow)."""
        x = padded(enc)
        framed = enc.lengths + 2
        pooled = []
        tap = 0
        for k, width in enumerate(self.widths.tolist()):
            windows = x.shape[1] - width + 1
            if windows <= 0:  # every label shorter than the kernel: nothing fires
                pooled.append(np.zeros((len(x), self.filters), dtype=np.float32))
                tap += width
                continue
            act = np.broadcast_to(self.conv_bias[k], (len(x), windows, self.filters))
            act = act.astype(np.float32)
            for j in range(width):
                act = act + self.tables[tap + j][x[:, j : j + windows]]
            valid = np.arange(windows)[None, :] + width <= framed[:, None]
            pooled.append(np.where(valid[:, :, None], np.maximum(act, 0.0), 0.0).max(axis=1))
            tap += width
        hidden = np.maximum(np.concatenate(pooled, axis=1) @ self.w1 + self.b1, 0.0)
        return np.asarray(hidden @ self.w2 + self.b2[0], dtype=np.float64)

    def arrays(self, prefix: str = "cnn_") -> dict[str, np.ndarray]:
        return {prefix + k: getattr(self, k) for k in _KEYS}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str = "cnn_") -> CharCNN | None:
        if prefix + _KEYS[0] not in arrays:
            return None
        dtypes = {"widths": np.int32}
        return cls(**{k: arrays[prefix + k].astype(dtypes.get(k, np.float32)) for k in _KEYS})


def padded(enc: Encoded) -> np.ndarray:
    """The framed labels as rows of codes, 0-padded to the longest (int64 [n, longest])."""
    framed = enc.lengths + 2
    width = int(framed.max()) if len(framed) else 2
    cols = np.arange(width)
    inside = cols[None, :] < framed[:, None]
    pos = np.minimum(enc.starts[:, None] + cols[None, :], max(len(enc.codes) - 1, 0))
    return np.where(inside, enc.codes[pos], 0).astype(np.int64)


@dataclass(frozen=True)
class TrainParams:
    embed: int = 24
    filters: int = 64
    hidden: int = 64
    widths: tuple[int, ...] = (2, 3, 4, 5)
    epochs: int = 6
    batch: int = 256
    lr: float = 2e-3
    #: Learning rate multiplier after each epoch.
    decay: float = 0.6


def fit_cnn(
    enc: Encoded,
    y: np.ndarray,
    weight: np.ndarray,
    params: TrainParams,
    seed: int,
    log: Callable[[str], None] = lambda _m: None,
) -> CharCNN:
    """Train on encoded labels (``y`` 1 = generated) with per-name ``weight``s."""
    try:
        import torch
    except ImportError:
        raise InputError(
            "training the classifier's CNN needs PyTorch: pip install 'dgawatch[train]'"
        ) from None
    threads = torch.get_num_threads()
    torch.set_num_threads(TRAIN_THREADS)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = _network(params)
            _train(net, enc, y, weight, params, seed, log)
    finally:
        torch.set_num_threads(threads)
    return _fold(net, params)


def _network(p: TrainParams) -> Any:
    import torch as t
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(ALPHABET, p.embed, padding_idx=0)
            self.convs = nn.ModuleList([nn.Conv1d(p.embed, p.filters, w) for w in p.widths])
            self.fc1 = nn.Linear(len(p.widths) * p.filters, p.hidden)
            self.fc2 = nn.Linear(p.hidden, 1)

        def forward(self, x: t.Tensor) -> t.Tensor:
            x = x[:, : max(int((x > 0).sum(1).max()), max(p.widths))]
            real = x > 0
            h = self.emb(x).transpose(1, 2)
            pooled = []
            for w, conv in zip(p.widths, self.convs, strict=True):
                act = t.relu(conv(h)).masked_fill(~real[:, None, w - 1 :], 0.0)
                pooled.append(act.max(dim=2).values)
            return self.fc2(t.relu(self.fc1(t.cat(pooled, dim=1)))).squeeze(1)

    return Net()


def _train(
    net: Any,
    enc: Encoded,
    y: np.ndarray,
    weight: np.ndarray,
    p: TrainParams,
    seed: int,
    log: Callable[[str], None],
) -> None:
    import torch as t

    x = t.from_numpy(padded(enc))
    target = t.from_numpy(y.astype(np.float32))
    w = t.from_numpy(weight.astype(np.float32))
    lengths = enc.lengths
    opt = t.optim.Adam(net.parameters(), lr=p.lr)
    rng = np.random.default_rng(seed)
    chunk = p.batch * 64
    net.train()
    for epoch in range(p.epochs):
        # Shuffle, then sort each chunk of 64 batches by length: batches of similar labels
        # are cheap to pad, and their order is shuffled again.
        order = rng.permutation(len(y))
        batches = []
        for start in range(0, len(order), chunk):
            part = order[start : start + chunk]
            part = part[np.argsort(lengths[part], kind="stable")]
            batches += [part[i : i + p.batch] for i in range(0, len(part), p.batch)]
        total = 0.0
        for b in rng.permutation(len(batches)):
            rows = t.from_numpy(batches[b])
            opt.zero_grad()
            loss = t.nn.functional.binary_cross_entropy_with_logits(
                net(x[rows]), target[rows], weight=w[rows]
            )
            loss.backward()
            opt.step()
            total += loss.item() * len(rows)
        for group in opt.param_groups:
            group["lr"] *= p.decay
        log(f"cnn epoch {epoch + 1}/{p.epochs}: loss {total / len(y):.4f}")
    net.eval()


def _fold(net: Any, p: TrainParams) -> CharCNN:
    import torch as t

    with t.no_grad():
        emb = net.emb.weight.double()
        tables, biases = [], []
        for conv in net.convs:
            weight = conv.weight.double()  # [F, E, width]
            for j in range(weight.shape[2]):
                tables.append((emb @ weight[:, :, j].T).float().numpy())
            biases.append(conv.bias.float().numpy())
        return CharCNN(
            widths=np.array(p.widths, dtype=np.int32),
            tables=np.stack(tables).astype(np.float32),
            conv_bias=np.stack(biases).astype(np.float32),
            w1=net.fc1.weight.T.float().numpy().copy(),
            b1=net.fc1.bias.float().numpy().copy(),
            w2=net.fc2.weight[0].float().numpy().copy(),
            b2=net.fc2.bias.float().numpy().copy(),
        )
