"""A Python pipeline using requests + NumPy: answers equal NumPy's for each dtype and layout."""
import json

import numpy as np
import pytest
import requests

from conftest import start_server
from reference import bfloat16_to_float32, float32_to_bfloat16, leaky_relu, same_values

DTYPES = ["float16", "float32", "float64"]
SPECIALS = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-40, -1e-40, 65504.0, -3.0e38]


def sample(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.normal(scale=100.0, size=shape)
    flat = values.reshape(-1)
    flat[: min(len(flat), len(SPECIALS))] = SPECIALS[: len(flat)]
    with np.errstate(over="ignore"):
        return values.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (7,), (3, 4), (2, 0, 3), (2, 3, 4, 5)])
def test_octet_stream_matches_numpy(base_url, dtype, shape):
    x = sample(shape, dtype)
    response = requests.post(
        f"{base_url}/ops/leaky_relu?negative_slope=0.2", data=x.tobytes(),
        headers={"Content-Type": "application/octet-stream", "X-Tensor-Dtype": dtype,
                 "X-Tensor-Shape": ",".join(map(str, shape))})
    assert response.status_code == 200, response.text
    assert response.headers["X-Tensor-Shape"] == ",".join(map(str, shape))
    y = np.frombuffer(response.content, dtype=dtype).reshape(shape)
    assert same_values(y, leaky_relu(x, 0.2, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (5,), (2, 3), (2, 0)])
def test_json_nested_matches_numpy(base_url, dtype, shape):
    x = sample(shape, dtype, seed=1)
    body = json.dumps({"data": x.tolist(), "dtype": dtype, "negative_slope": -0.5})
    response = requests.post(f"{base_url}/ops/leaky_relu", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["dtype"] == dtype and answer["shape"] == list(shape)
    y = np.array(answer["data"], dtype=dtype)
    assert y.shape == shape
    assert same_values(y, leaky_relu(x, -0.5, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_json_flat_with_shape(base_url, dtype):
    x = sample((3, 2), dtype, seed=2)
    body = json.dumps({"data": x.reshape(-1).tolist(), "shape": [3, 2], "dtype": dtype})
    answer = requests.post(f"{base_url}/ops/leaky_relu", data=body, headers={"Content-Type": "application/json"}).json()
    assert answer["shape"] == [3, 2]
    y = np.array(answer["data"], dtype=dtype)
    assert y.shape == (6,), "flat in, flat out"
    assert same_values(y.reshape(3, 2), leaky_relu(x, 0.01, dtype))


def test_bfloat16_over_json_and_octet_stream(base_url):
    values = np.array([-2.5, -1e-39, 3.0, np.nan, -np.inf, 1.5e38], dtype=np.float32)
    bits = float32_to_bfloat16(values)
    raw = requests.post(
        f"{base_url}/ops/leaky_relu?negative_slope=1.5", data=bits.tobytes(),
        headers={"Content-Type": "application/octet-stream", "X-Tensor-Dtype": "bfloat16"})
    out_bits = np.frombuffer(raw.content, dtype=np.uint16)
    expected = leaky_relu(bits, 1.5, "bfloat16")
    assert same_values(bfloat16_to_float32(out_bits), bfloat16_to_float32(expected))
    body = json.dumps({"data": bfloat16_to_float32(bits).tolist(), "dtype": "bfloat16", "negative_slope": 1.5})
    answer = requests.post(f"{base_url}/ops/leaky_relu", data=body, headers={"Content-Type": "application/json"}).json()
    # The text is the shortest decimal for bfloat16: read it back as bfloat16, not as float32.
    read_back = float32_to_bfloat16(np.array(answer["data"], dtype=np.float32))
    assert same_values(bfloat16_to_float32(read_back), bfloat16_to_float32(expected))


def test_json_numbers_are_shortest(base_url):
    body = json.dumps({"data": [-2.0, -1.0, 3.25], "negative_slope": 0.01})
    text = requests.post(f"{base_url}/ops/leaky_relu", data=body, headers={"Content-Type": "application/json"}).text
    assert "-0.02" in text and "-0.019999" not in text


def test_accept_json_for_raw_input_is_nested(base_url):
    x = np.arange(-3, 3, dtype=np.float32).reshape(2, 3)
    answer = requests.post(
        f"{base_url}/ops/leaky_relu", data=x.tobytes(),
        headers={"Content-Type": "application/octet-stream", "X-Tensor-Shape": "2,3", "Accept": "application/json"}).json()
    assert np.array(answer["data"], dtype=np.float32).tolist() == leaky_relu(x, 0.01, "float32").tolist()


def test_errors_are_problem_json(base_url):
    response = requests.post(f"{base_url}/ops/leaky_relu", data='{"data": [[1], [2, 3]]}',
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400 and "ragged" in problem["detail"]
    assert requests.get(f"{base_url}/healthz").status_code == 200


@pytest.fixture(scope="module")
def four_workers():
    """A server with workers to spare, so large JSON documents are read and written in pieces."""
    running = start_server("--workers", "4")
    yield running.url
    assert running.stop() == 0


@pytest.mark.parametrize("dtype, shape", [("float32", (300_000,)), ("float16", (600, 500)), ("float64", (3, 200, 300))])
def test_large_json_in_pieces_matches_numpy(four_workers, dtype, shape):
    x = sample(shape, dtype, seed=5)
    body = json.dumps({"data": x.tolist(), "dtype": dtype})
    assert len(body) > 2 << 20, "large enough to be read and answered in pieces"
    response = requests.post(f"{four_workers}/ops/leaky_relu", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text[:200]
    y = np.array(response.json()["data"], dtype=dtype)
    assert y.shape == shape
    assert same_values(y, leaky_relu(x, 0.01, dtype))


@pytest.mark.parametrize("damage", ["x", ",,", " ]", "1.5.5"])
def test_large_json_error_in_a_later_piece_is_reported_where_it_is(four_workers, damage):
    numbers = [json.dumps(v) for v in sample((200_000,), "float64", seed=6).tolist()]
    head = '{"dtype": "float32", "data": [' + ",".join(numbers[:150_000]) + ","
    body = head + damage + ",".join(numbers[150_000:]) + "]}"
    response = requests.post(f"{four_workers}/ops/leaky_relu", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    detail = response.json()["detail"]
    # The first wrong byte is in the damage, three quarters into the text: the piece that holds it says so.
    start = len(head)
    offset = int(detail.split("malformed JSON at byte ")[1].split(":")[0])
    assert start <= offset <= start + len(damage), detail
    good = json.dumps({"data": [-2.0, 1.0]})
    answer = requests.post(f"{four_workers}/ops/leaky_relu", data=good, headers={"Content-Type": "application/json"})
    assert answer.status_code == 200 and answer.json()["data"] == [-0.02, 1.0]


@pytest.mark.parametrize("dtype, datatype", [("float32", "FP32"), ("float16", "FP16")])
def test_large_kserve_json_in_pieces_matches_numpy(four_workers, dtype, datatype):
    """tritonclient with JSON data both ways: a large `data` value is read, and the answer's written, in pieces."""
    import tritonclient.http as httpclient

    x = sample((300_000,), dtype, seed=8)
    with httpclient.InferenceServerClient(four_workers.removeprefix("http://")) as client:
        tensor = httpclient.InferInput("input", list(x.shape), datatype)
        tensor.set_data_from_numpy(x, binary_data=False)
        output = httpclient.InferRequestedOutput("output", binary_data=False)
        result = client.infer("leaky_relu", [tensor], outputs=[output], parameters={"negative_slope": 0.1})
    y = result.as_numpy("output")
    assert y.dtype == x.dtype and y.shape == x.shape
    assert same_values(y, leaky_relu(x, 0.1, dtype))


def test_large_kserve_json_error_in_a_later_piece_then_a_good_request(four_workers):
    """A number damaged three quarters into a large KServe `data` value: 400 with the protocol's {"error": ...}
    naming the damaged byte, read in its own piece; then a good infer request is answered."""
    numbers = [json.dumps(v) for v in sample((200_000,), "float32", seed=9).astype(np.float64).tolist()]
    head = '{"inputs":[{"name":"input","datatype":"FP32","shape":[200000],"data":[' + ",".join(numbers[:150_000]) + ","
    body = head + "1.5x" + "," + ",".join(numbers[150_001:]) + "]}]}"
    url = f"{four_workers}/v2/models/leaky_relu/infer"
    response = requests.post(url, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    error = response.json()["error"]
    offset = int(error.split("byte ")[1].split(":")[0].split(" ")[0])
    assert len(head) <= offset <= len(head) + 4, error
    good = '{"inputs":[{"name":"input","datatype":"FP32","shape":[2],"data":[-2.0,1.0]}]}'
    answer = requests.post(url, data=good, headers={"Content-Type": "application/json"})
    assert answer.status_code == 200 and answer.json()["outputs"][0]["data"] == [-0.02, 1.0]
