"""NumPy users: .npy files straight from numpy.save, answers readable by numpy.load; gzip and deflate bodies."""
import gzip
import io
import json
import random
import struct
import zlib

import numpy as np
import pytest
import requests
from numpy.lib import format as npy_format

from reference import leaky_relu, same_values


def npy_bytes(array, version):
    buffer = io.BytesIO()
    npy_format.write_array(buffer, array, version=version, allow_pickle=False)
    return buffer.getvalue()


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
@pytest.mark.parametrize("descr", ["<f2", "<f4", "<f8", ">f2", ">f4", ">f8"])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(), (0,), (5,), (2, 3), (3, 0, 2), (2, 3, 4)])
def test_npy_round_trip(base_url, version, descr, order, shape):
    rng = np.random.default_rng(7)
    x = np.asarray(rng.normal(scale=10, size=shape), order=order).astype(descr, order=order)
    response = requests.post(f"{base_url}/ops/leaky_relu?negative_slope=0.3", data=npy_bytes(x, version),
                             headers={"Content-Type": "application/x-npy"})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/x-npy"
    y = np.load(io.BytesIO(response.content))
    assert y.dtype == x.dtype, "byte order kept"
    assert y.shape == x.shape
    if x.ndim > 1 and x.size > 0:
        assert y.flags["F_CONTIGUOUS"] == (order == "F"), "memory order kept"
    native = x.astype(x.dtype.newbyteorder("="))
    assert same_values(y.astype(y.dtype.newbyteorder("=")), leaky_relu(native, 0.3, native.dtype.name))


def test_curl_style_file_upload_and_json_answer(base_url, tmp_path):
    x = np.asfortranarray(np.array([[-1.0, 2.0], [-3.0, 4.0]], dtype=">f8"))
    path = tmp_path / "x.npy"
    np.save(path, x)
    response = requests.post(f"{base_url}/ops/leaky_relu", data=path.read_bytes(),
                             headers={"Content-Type": "application/x-npy", "Accept": "application/json"})
    assert response.json() == {"dtype": "float64", "shape": [2, 2], "data": [[-0.01, 2.0], [-0.03, 4.0]]}


def test_integer_npy_is_422(base_url):
    response = requests.post(f"{base_url}/ops/leaky_relu", data=npy_bytes(np.arange(4, dtype="<i4"), (1, 0)),
                             headers={"Content-Type": "application/x-npy"})
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"


def test_gzip_request_and_answer(base_url):
    x = np.linspace(-5, 5, 4096, dtype=np.float32)
    response = requests.post(f"{base_url}/ops/leaky_relu", data=gzip.compress(x.tobytes()),
                             headers={"Content-Type": "application/octet-stream", "Content-Encoding": "gzip",
                                      "Accept-Encoding": "gzip"}, stream=True)
    assert response.headers["Content-Encoding"] == "gzip"
    raw = gzip.decompress(response.raw.read())
    assert same_values(np.frombuffer(raw, dtype=np.float32), leaky_relu(x, 0.01, "float32"))


def test_deflate_request(base_url):
    body = zlib.compress(json.dumps({"data": [-1.0, 1.0]}).encode())
    response = requests.post(f"{base_url}/ops/leaky_relu", data=body,
                             headers={"Content-Type": "application/json", "Content-Encoding": "deflate"})
    assert response.json()["data"] == [-0.01, 1.0]


def test_gzip_bomb_is_413_and_the_server_goes_on():
    from conftest import start_server
    server = start_server("--max-body-bytes", str(1 << 20))
    try:
        bomb = gzip.compress(b"\0" * (64 << 20), compresslevel=9)
        response = requests.post(f"{server.url}/ops/leaky_relu", data=bomb,
                                 headers={"Content-Type": "application/octet-stream", "Content-Encoding": "gzip"})
        assert response.status_code == 413
        assert requests.get(f"{server.url}/healthz").status_code == 200
    finally:
        assert server.stop() == 0


def test_brotli_is_415(base_url):
    response = requests.post(f"{base_url}/ops/leaky_relu", data=b"{}",
                             headers={"Content-Type": "application/json", "Content-Encoding": "br"})
    assert response.status_code == 415


# Fuzz-style properties of the JSON codec, against Python's own number text.

def random_doubles(count, seed):
    generator = random.Random(seed)
    values = []
    while len(values) < count:
        value = struct.unpack("<d", generator.getrandbits(64).to_bytes(8, "little"))[0]
        if np.isfinite(value):
            values.append(value)
    return values


@pytest.mark.parametrize("style", ["repr", "%.17g"])
def test_float64_text_reads_back_bit_exact(base_url, style):
    values = random_doubles(5000, seed=len(style))
    items = [repr(v) if style == "repr" else "%.17g" % v for v in values]
    body = '{"data": [%s], "dtype": "float64", "negative_slope": 1.0}' % ", ".join(items)
    response = requests.post(f"{base_url}/ops/leaky_relu", data=body, headers={"Content-Type": "application/json"})
    # A slope of 1 returns x itself, so the answer shows exactly what was read.
    returned = json.loads(response.text)["data"]
    assert [struct.pack("<d", v) for v in returned] == [struct.pack("<d", v) for v in values]
    texts = response.text.split('"data":[')[1].rstrip("]}").split(",")
    assert all(len(mine) <= len(repr(v)) for mine, v in zip(texts, values)), "never longer than Python's repr"


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_narrow_text_is_never_longer_than_numpy(base_url, dtype):
    rng = np.random.default_rng(3)
    bits = rng.integers(0, 2 ** (32 if dtype == "float32" else 16), size=5000, dtype=np.uint64)
    values = bits.astype(np.uint32 if dtype == "float32" else np.uint16).view(dtype)
    values = values[np.isfinite(values)]
    body = json.dumps({"data": [float(v) for v in values], "dtype": dtype, "negative_slope": 1.0})
    response = requests.post(f"{base_url}/ops/leaky_relu", data=body, headers={"Content-Type": "application/json"})
    texts = response.text.split('"data":[')[1].rstrip("]}").split(",")
    returned = np.array([float(t) for t in texts], dtype=dtype)
    assert same_values(returned, values)
    shortest = [np.format_float_positional(v, unique=True, trim="-") for v in values]
    scientific = [np.format_float_scientific(v, unique=True, trim="-") for v in values]
    # Significant digits, whatever the notation: ours must be no more than NumPy's shortest.
    for mine, positional, sci in zip(texts, shortest, scientific):
        digits = lambda text: len(text.lower().split("e")[0].replace("-", "").replace(".", "").strip("0") or "0")
        assert digits(mine) <= min(digits(positional), digits(sci)), (mine, positional, sci)
