"""Triton and KServe clients, unchanged: tritonclient.http against the service, answers equal NumPy's bit for bit."""
import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import requests
import tritonclient.http as httpclient

from reference import bfloat16_to_float32, float32_to_bfloat16, leaky_relu, same_values


@pytest.fixture(scope="module")
def client(server):
    with httpclient.InferenceServerClient(f"127.0.0.1:{server.port}", concurrency=16) as triton:
        yield triton


def sample(dtype, shape=(3, 4), seed=0):
    values = np.random.default_rng(seed).normal(scale=50, size=shape)
    values.reshape(-1)[:4] = [np.nan, np.inf, -np.inf, -0.0]
    return values.astype(dtype)


def test_health_and_metadata(client):
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready("leaky_relu")
    assert client.is_model_ready("leaky_relu", model_version="1")
    assert "binary_tensor_data" in client.get_server_metadata()["extensions"]
    metadata = client.get_model_metadata("leaky_relu")
    assert metadata["name"] == "leaky_relu"
    assert [tensor["name"] for tensor in metadata["inputs"]] == ["input"]
    assert [tensor["name"] for tensor in metadata["outputs"]] == ["output"]


@pytest.mark.parametrize("dtype,datatype", [(np.float16, "FP16"), (np.float32, "FP32"), (np.float64, "FP64")])
@pytest.mark.parametrize("binary_input", [True, False])
@pytest.mark.parametrize("binary_output", [True, False])
@pytest.mark.parametrize("compression", [None, "gzip", "deflate"])
def test_infer_matches_numpy(client, dtype, datatype, binary_input, binary_output, compression):
    x = sample(dtype, shape=(16, 40))
    tensor = httpclient.InferInput("input", list(x.shape), datatype)
    tensor.set_data_from_numpy(x, binary_data=binary_input)
    output = httpclient.InferRequestedOutput("output", binary_data=binary_output)
    result = client.infer("leaky_relu", [tensor], outputs=[output], request_id="req-1",
                          parameters={"negative_slope": 0.2},
                          request_compression_algorithm=compression, response_compression_algorithm=compression)
    assert result.get_response()["id"] == "req-1"
    y = result.as_numpy("output")
    assert y.dtype == x.dtype and y.shape == x.shape
    assert same_values(y, leaky_relu(x, 0.2, np.dtype(dtype).name))


def test_default_outputs_come_back_binary(client):
    x = sample(np.float32)
    tensor = httpclient.InferInput("input", list(x.shape), "FP32")
    tensor.set_data_from_numpy(x)
    result = client.infer("leaky_relu", [tensor], model_version="1")
    assert result.get_output("output")["parameters"]["binary_data_size"] == x.nbytes
    assert same_values(result.as_numpy("output"), leaky_relu(x, 0.01, "float32"))


def test_bfloat16_through_a_raw_json_request(server):
    values = np.array([-2.5, 3.0, -1e-39, 1.5e38], dtype=np.float32)
    bits = float32_to_bfloat16(values)
    body = {"inputs": [{"name": "input", "shape": [4], "datatype": "BF16",
                        "data": bfloat16_to_float32(bits).tolist()}]}
    response = requests.post(f"{server.url}/v2/models/leaky_relu/infer", data=json.dumps(body))
    assert response.status_code == 200, response.text
    output = response.json()["outputs"][0]
    assert output["datatype"] == "BF16" and output["shape"] == [4]
    answer = float32_to_bfloat16(np.array(output["data"], dtype=np.float32))
    assert same_values(bfloat16_to_float32(answer), bfloat16_to_float32(leaky_relu(bits, 0.01, "bfloat16")))


def test_sixteen_threads_at_once(server):
    # The HTTP client is gevent-based and belongs to one thread, so each thread has its own, as Triton advises.
    def one(thread):
        with httpclient.InferenceServerClient(f"127.0.0.1:{server.port}") as own:
            for seed in range(10):
                x = sample(np.float32, shape=(64, 64), seed=thread * 100 + seed)
                tensor = httpclient.InferInput("input", list(x.shape), "FP32")
                tensor.set_data_from_numpy(x)
                y = own.infer("leaky_relu", [tensor], parameters={"negative_slope": 0.3}).as_numpy("output")
                if not same_values(y, leaky_relu(x, 0.3, "float32")):
                    return False
        return True

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert all(pool.map(one, range(16)))


def test_async_infer(client):
    x = sample(np.float64)
    tensor = httpclient.InferInput("input", list(x.shape), "FP64")
    tensor.set_data_from_numpy(x)
    pending = [client.async_infer("leaky_relu", [tensor]) for _ in range(16)]
    for request in pending:
        assert same_values(request.get_result().as_numpy("output"), leaky_relu(x, 0.01, "float64"))


def test_errors_reach_the_client(client):
    from tritonclient.utils import InferenceServerException
    x = np.arange(4, dtype=np.int32)
    tensor = httpclient.InferInput("input", [4], "INT32")
    tensor.set_data_from_numpy(x)
    with pytest.raises(InferenceServerException, match="INT32"):
        client.infer("leaky_relu", [tensor])
    with pytest.raises(InferenceServerException, match="resnet"):
        client.get_model_metadata("resnet")
    assert client.is_server_live()


def test_model_config_and_statistics_for_tritons_tools():
    """What perf_analyzer and tritonclient ask first: the model's configuration, and counts and nanoseconds per
    stage in Triton's statistics schema. A server of its own, so that the counts are this test's alone."""
    from conftest import start_server

    server = start_server()
    try:
        with httpclient.InferenceServerClient(f"127.0.0.1:{server.port}") as triton:
            extensions = triton.get_server_metadata()["extensions"]
            assert {"binary_tensor_data", "model_configuration", "statistics"} <= set(extensions)
            for version in ("", "1"):
                config = triton.get_model_config("leaky_relu", model_version=version)
                assert config["name"] == "leaky_relu" and config["max_batch_size"] == 0
                assert [(t["name"], t["data_type"], t["dims"]) for t in config["input"]] == [("input", "TYPE_FP32", [-1])]
                assert [(t["name"], t["dims"]) for t in config["output"]] == [("output", [-1])]
            empty = triton.get_inference_statistics("leaky_relu")["model_stats"][0]
            assert empty["inference_count"] == 0 and empty["last_inference"] == 0
            for _ in range(3):
                data = sample(np.float32, shape=(64,))
                tensor = httpclient.InferInput("input", list(data.shape), "FP32")
                tensor.set_data_from_numpy(data)
                triton.infer("leaky_relu", [tensor])
            # A body the model cannot read fails inside the inference, and is counted as a failure.
            failed = requests.post(f"{server.url}/v2/models/leaky_relu/infer",
                                   json={"inputs": [{"name": "input", "shape": [2], "datatype": "FP32", "data": [1]}]})
            assert failed.status_code == 400
            for version in ("", "1"):
                stats = triton.get_inference_statistics("leaky_relu", model_version=version)["model_stats"][0]
                assert (stats["name"], stats["version"]) == ("leaky_relu", "1")
                assert stats["inference_count"] == stats["execution_count"] == 3 and stats["last_inference"] > 0
                inference = stats["inference_stats"]
                assert inference["fail"]["count"] == 1
                for stage in ("success", "queue", "compute_input", "compute_infer", "compute_output"):
                    assert inference[stage]["count"] == 3, stage
                assert inference["success"]["ns"] >= inference["compute_infer"]["ns"] > 0
            everything = requests.get(f"{server.url}/v2/models/stats").json()
            assert [model["name"] for model in everything["model_stats"]] == ["leaky_relu"]
    finally:
        assert server.stop() == 0
