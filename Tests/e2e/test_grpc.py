"""KServe v2 over gRPC and HTTP/2 as their users call it: tritonclient.grpc (unary, streaming, compression), grpcio's
health stub, raw gRPC stubs for what tritonclient never sends, and curl --http2-prior-knowledge for REST over h2c.
Against the release binary, on the HTTP port (h2c is chosen by the preface) and on --grpc-port."""
import queue
import subprocess

import grpc
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

from conftest import start_server
from reference import leaky_relu


def leaky_relu_reference(array, slope):
    names = {np.float16: "float16", np.float32: "float32", np.float64: "float64"}
    return np.asarray(leaky_relu(array, slope, names[array.dtype.type]), dtype=array.dtype)


@pytest.fixture(scope="module")
def grpc_server():
    server = start_server("--workers", "2")
    yield server
    assert server.stop() == 0


def address(server):
    return f"127.0.0.1:{server.port}"


def infer(client, array, datatype, **options):
    tensor = grpcclient.InferInput("input", list(array.shape), datatype)
    tensor.set_data_from_numpy(array)
    return client.infer("leaky_relu", [tensor], outputs=[grpcclient.InferRequestedOutput("output")], **options)


@pytest.mark.parametrize("dtype,datatype", [(np.float32, "FP32"), (np.float16, "FP16"), (np.float64, "FP64")])
@pytest.mark.parametrize("shape", [(), (0,), (7,), (3, 4, 5)])
def test_model_infer_matches_the_reference(grpc_server, dtype, datatype, shape):
    client = grpcclient.InferenceServerClient(address(grpc_server))
    array = np.asarray(np.random.default_rng(1).standard_normal(shape) * 3).astype(dtype)
    result = infer(client, array, datatype, request_id="r-1")
    output = result.as_numpy("output")
    assert output.dtype == array.dtype and output.shape == array.shape
    assert output.tobytes() == leaky_relu_reference(array, 0.01).tobytes()
    assert result.get_response().id == "r-1"


def test_negative_slope_and_gzip_requests(grpc_server):
    client = grpcclient.InferenceServerClient(address(grpc_server))
    array = np.linspace(-4, 4, 4096, dtype=np.float32)
    for algorithm in (None, "gzip", "deflate"):
        result = infer(client, array, "FP32", parameters={"negative_slope": 0.2}, compression_algorithm=algorithm)
        assert result.as_numpy("output").tobytes() == leaky_relu_reference(array, 0.2).tobytes()
    integer_slope = infer(client, array, "FP32", parameters={"negative_slope": 2})
    assert integer_slope.as_numpy("output").tobytes() == leaky_relu_reference(array, 2.0).tobytes()


def test_a_large_tensor_passes_grpcs_4_mib_default(grpc_server):
    client = grpcclient.InferenceServerClient(address(grpc_server))
    array = np.full(16 << 20 >> 2, -1.0, dtype=np.float32)
    assert np.all(infer(client, array, "FP32").as_numpy("output") == np.float32(-0.01))


def test_metadata_readiness_config_statistics_and_index(grpc_server):
    client = grpcclient.InferenceServerClient(address(grpc_server))
    assert client.is_server_live() and client.is_server_ready() and client.is_model_ready("leaky_relu")
    assert not client.is_model_ready("other")
    metadata = client.get_server_metadata()
    assert metadata.name == "tensor-service" and "binary_tensor_data" in metadata.extensions
    model = client.get_model_metadata("leaky_relu", "1")
    assert model.name == "leaky_relu" and model.inputs[0].name == "input" and model.outputs[0].name == "output"
    config = client.get_model_config("leaky_relu").config
    assert config.name == "leaky_relu" and config.max_batch_size == 0 and list(config.input[0].dims) == [-1]
    index = client.get_model_repository_index()
    assert [(entry.name, entry.state) for entry in index.models] == [("leaky_relu", "READY")]
    before = client.get_inference_statistics("leaky_relu").model_stats[0].inference_stats.success.count
    infer(client, np.ones(4, dtype=np.float32), "FP32")
    after = client.get_inference_statistics("leaky_relu").model_stats[0]
    assert after.inference_stats.success.count == before + 1 and after.name == "leaky_relu"


def test_errors_are_statuses_that_say_what_is_wrong_and_the_server_goes_on(grpc_server):
    client = grpcclient.InferenceServerClient(address(grpc_server))
    tensor = grpcclient.InferInput("input", [2], "INT32")
    tensor.set_data_from_numpy(np.array([1, 2], dtype=np.int32))
    with pytest.raises(InferenceServerException) as error:
        client.infer("leaky_relu", [tensor])
    assert "INVALID_ARGUMENT" in error.value.status() and "INT32" in error.value.message()
    tensor = grpcclient.InferInput("input", [2], "FP32")
    tensor.set_data_from_numpy(np.ones(2, dtype=np.float32))
    with pytest.raises(InferenceServerException) as error:
        client.infer("resnet", [tensor])
    assert "NOT_FOUND" in error.value.status()
    with pytest.raises(InferenceServerException) as error:
        client.get_model_metadata("leaky_relu", "7")
    assert "NOT_FOUND" in error.value.status()
    with pytest.raises(InferenceServerException) as error:
        client.get_cuda_shared_memory_status()
    assert "UNIMPLEMENTED" in error.value.status()
    with grpc.insecure_channel(address(grpc_server)) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        with pytest.raises(grpc.RpcError) as raw_error:
            stub.ModelInfer(service_pb2.ModelInferRequest(model_name="leaky_relu"))
        assert raw_error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        undecodable = channel.unary_unary("/inference.GRPCInferenceService/ModelInfer",
                                          request_serializer=lambda raw: raw, response_deserializer=lambda raw: raw)
        with pytest.raises(grpc.RpcError) as raw_error:
            undecodable(b"\x0a\xff\xff\xff\x0f")
        assert raw_error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert client.is_server_live()
    assert infer(client, np.ones(2, dtype=np.float32), "FP32").as_numpy("output").tolist() == [1.0, 1.0]


def test_typed_fp32_and_fp64_contents(grpc_server):
    with grpc.insecure_channel(address(grpc_server)) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        for datatype, field, dtype in (("FP32", "fp32_contents", np.float32), ("FP64", "fp64_contents", np.float64)):
            request = service_pb2.ModelInferRequest(model_name="leaky_relu", id="typed")
            tensor = request.inputs.add(name="input", datatype=datatype, shape=[3])
            getattr(tensor.contents, field).extend([-2.0, 0.5, 3.0])
            response = stub.ModelInfer(request)
            output = np.frombuffer(response.raw_output_contents[0], dtype=dtype)
            assert output.tolist() == leaky_relu_reference(np.array([-2.0, 0.5, 3.0], dtype=dtype), 0.01).tolist()
            assert response.outputs[0].datatype == datatype and list(response.outputs[0].shape) == [3]


def test_a_bidirectional_stream_answers_in_order_with_ids_and_survives_a_bad_message(grpc_server):
    client = grpcclient.InferenceServerClient(address(grpc_server))
    answers = queue.Queue()
    client.start_stream(callback=lambda result, error: answers.put((result, error)))
    arrays = [np.full(size, -float(index + 1), dtype=np.float32) for index, size in enumerate((1, 1000, 100000, 3))]
    try:
        for index, array in enumerate(arrays):
            if index == 2:
                bad = grpcclient.InferInput("input", [2], "INT32")
                bad.set_data_from_numpy(np.array([1, 2], dtype=np.int32))
                client.async_stream_infer("leaky_relu", [bad], request_id="bad")
            tensor = grpcclient.InferInput("input", list(array.shape), "FP32")
            tensor.set_data_from_numpy(array)
            client.async_stream_infer("leaky_relu", [tensor], request_id=f"s-{index}")
        received = [answers.get(timeout=60) for _ in range(len(arrays) + 1)]
    finally:
        client.stop_stream()
    ids = []
    for result, error in received:
        if error is not None:
            ids.append("error")
            assert "INT32" in str(error)
        else:
            ids.append(result.get_response().id)
            index = int(result.get_response().id.split("-")[1])
            assert result.as_numpy("output").tobytes() == leaky_relu_reference(arrays[index], 0.01).tobytes()
    assert ids == ["s-0", "s-1", "error", "s-2", "s-3"]


def test_grpc_health_check_and_watch(grpc_server):
    with grpc.insecure_channel(address(grpc_server)) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "inference.GRPCInferenceService"):
            assert stub.Check(health_pb2.HealthCheckRequest(service=service)).status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError) as error:
            stub.Check(health_pb2.HealthCheckRequest(service="other"))
        assert error.value.code() == grpc.StatusCode.NOT_FOUND
        watch = stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=30)
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        watch.cancel()


def test_drain_tells_watchers_not_serving_and_ends_their_calls():
    server = start_server("--shutdown-grace", "10")
    channel = grpc.insecure_channel(address(server))
    try:
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""), timeout=60)
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        server.process.send_signal(subprocess.signal.SIGTERM)
        assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        assert server.process.wait(timeout=30) == 0
    finally:
        channel.close()
        server.stop()


def test_grpc_port_opens_a_second_listener_with_the_same_service():
    server = start_server("--grpc-port", "0")
    try:
        line = server.process.stdout.readline().strip()
        assert line.startswith("listening for gRPC on 127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[1])
        client = grpcclient.InferenceServerClient(f"127.0.0.1:{port}")
        assert client.is_server_live()
        assert infer(client, np.array([-1.0], dtype=np.float32), "FP32").as_numpy("output").tolist() == [-0.009999999776482582]
    finally:
        assert server.stop() == 0


def test_curl_speaks_h2c_to_every_rest_route(grpc_server):
    def curl(*args):
        return subprocess.run(["curl", "-sS", "--http2-prior-knowledge", *args], capture_output=True, text=True, timeout=60)

    health = curl("-i", f"{grpc_server.url}/healthz")
    assert health.returncode == 0 and health.stdout.startswith("HTTP/2 200"), health.stdout + health.stderr
    answer = curl("-H", "Content-Type: application/json", "-d", '{"data": [-1, 2]}', f"{grpc_server.url}/ops/leaky_relu")
    assert answer.stdout == '{"dtype":"float32","shape":[2],"data":[-0.01,2.0]}'
    missing = curl("-i", f"{grpc_server.url}/nowhere")
    assert missing.stdout.startswith("HTTP/2 404") and "application/problem+json" in missing.stdout
    head = curl("-I", f"{grpc_server.url}/healthz")
    assert head.stdout.startswith("HTTP/2 200") and "content-length: 15" in head.stdout.lower()
    large = np.full(4 << 20, -1.0, dtype=np.float32)
    octet = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", "-H", "Content-Type: application/octet-stream",
                            "--data-binary", "@-", f"{grpc_server.url}/ops/leaky_relu"],
                           input=large.tobytes(), capture_output=True, timeout=60)
    assert octet.returncode == 0 and np.all(np.frombuffer(octet.stdout, dtype=np.float32) == np.float32(-0.01))
    assert len(octet.stdout) == large.nbytes, "a 16 MiB body over h2c, declared by content-length"
    plain = subprocess.run(["curl", "-sS", f"{grpc_server.url}/healthz"], capture_output=True, text=True, timeout=60)
    assert plain.stdout == '{"status":"ok"}', "HTTP/1.1 on the same port is unchanged"
