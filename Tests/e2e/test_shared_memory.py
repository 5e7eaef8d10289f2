"""Triton's system shared-memory extension with tritonclient, unchanged: registered regions, outputs computed in
place in the caller's memory, and every hostile case a 400 with the server still serving."""
import os
import threading
import time
import uuid

import numpy as np
import pytest
import requests
import tritonclient.http as httpclient
import tritonclient.utils.shared_memory as shm
from tritonclient.utils import InferenceServerException

from conftest import start_server
from reference import leaky_relu as reference_leaky_relu, same_values


def leaky_relu(x, slope):
    return reference_leaky_relu(x, slope, np.asarray(x).dtype.name)


@pytest.fixture(scope="module")
def shm_server():
    server = start_server("--shared-memory", "system")
    yield server
    assert server.stop() == 0


@pytest.fixture()
def client(shm_server):
    with httpclient.InferenceServerClient(f"127.0.0.1:{shm_server.port}") as triton:
        yield triton
        triton.unregister_system_shared_memory()


@pytest.fixture()
def regions():
    made = []

    def make(byte_size):
        name = f"t{uuid.uuid4().hex[:12]}"
        handle = shm.create_shared_memory_region(name, f"/{name}", byte_size)
        made.append(handle)
        return name, f"/{name}", handle

    yield make
    for handle in made:
        shm.destroy_shared_memory_region(handle)


def infer_in_shared_memory(client, data, input_region, output_region=None, output_offset=0, output_size=None):
    tensor = httpclient.InferInput("input", list(data.shape), {np.float32: "FP32", np.float16: "FP16", np.float64: "FP64"}[data.dtype.type])
    tensor.set_shared_memory(input_region, data.nbytes)
    outputs = None
    if output_region is not None:
        output = httpclient.InferRequestedOutput("output", binary_data=False)
        output.set_shared_memory(output_region, output_size or data.nbytes, offset=output_offset)
        outputs = [output]
    return client.infer("leaky_relu", [tensor], outputs=outputs, parameters={"negative_slope": 0.2})


def mappings(server):
    with open(f"/proc/{server.process.pid}/maps") as maps:
        return sum("/dev/shm/" in line for line in maps)


def descriptors(server):
    """The server's descriptors open on shared-memory objects (connections come and go on their own)."""
    folder = f"/proc/{server.process.pid}/fd"
    count = 0
    for entry in os.listdir(folder):
        try:
            count += os.readlink(f"{folder}/{entry}").startswith("/dev/shm/")
        except FileNotFoundError:
            pass
    return count


def test_in_place_in_the_callers_memory(client, regions, shm_server):
    data = np.random.default_rng(1).normal(size=(64, 128)).astype(np.float32)
    name, key, handle = regions(data.nbytes)
    shm.set_shared_memory_region(handle, [data])
    assert "system_shared_memory" in client.get_server_metadata()["extensions"]
    client.register_system_shared_memory(name, key, data.nbytes)
    assert client.get_system_shared_memory_status(name) == [{"name": name, "key": key, "offset": 0, "byte_size": data.nbytes}]
    result = infer_in_shared_memory(client, data, name, output_region=name)
    output = result.get_output("output")
    assert output["shape"] == [64, 128] and "data" not in output
    computed = shm.get_contents_as_numpy(handle, np.float32, [64, 128])
    assert same_values(computed, leaky_relu(data, 0.2))
    client.unregister_system_shared_memory(name)
    assert client.get_system_shared_memory_status() == []


def test_other_places_leave_the_input_as_written(client, regions):
    data = np.linspace(-4, 4, 1000, dtype=np.float64)
    input_name, input_key, input_handle = regions(data.nbytes)
    output_name, output_key, output_handle = regions(data.nbytes + 64)
    shm.set_shared_memory_region(input_handle, [data])
    client.register_system_shared_memory(input_name, input_key, data.nbytes)
    client.register_system_shared_memory(output_name, output_key, data.nbytes + 64)
    # Output in another region, at an offset.
    infer_in_shared_memory(client, data, input_name, output_region=output_name, output_offset=64)
    assert same_values(shm.get_contents_as_numpy(output_handle, np.float64, [1008])[8:], leaky_relu(data, 0.2))
    # Output in the answer.
    result = infer_in_shared_memory(client, data, input_name)
    assert same_values(result.as_numpy("output"), leaky_relu(data, 0.2))
    assert same_values(shm.get_contents_as_numpy(input_handle, np.float64, [1000]), data)
    # Input in the body, output in shared memory.
    tensor = httpclient.InferInput("input", [1000], "FP64")
    tensor.set_data_from_numpy(-data)
    output = httpclient.InferRequestedOutput("output", binary_data=False)
    output.set_shared_memory(output_name, data.nbytes)
    client.infer("leaky_relu", [tensor], outputs=[output])
    assert same_values(shm.get_contents_as_numpy(output_handle, np.float64, [1000]), leaky_relu(-data, 0.01))


def error_of(call):
    with pytest.raises(InferenceServerException) as raised:
        call()
    return raised.value


def test_hostile_registrations_are_400_and_never_echo_the_key(client, regions, shm_server):
    name, key, handle = regions(4096)
    url = f"{shm_server.url}/v2/systemsharedmemory/region"
    baseline = (descriptors(shm_server), mappings(shm_server))
    secret = "/x" + uuid.uuid4().hex
    cases = [
        ("r1", {"key": secret, "byte_size": 16}),  # no such object
        ("r2", {"key": "/../etc/passwd", "byte_size": 16}),
        ("r3", {"key": "/a/b", "byte_size": 16}),
        ("r4", {"key": "..", "byte_size": 16}),
        ("r5", {"key": key, "offset": 4000, "byte_size": 200}),  # past the end
        ("r6", {"key": key, "offset": 2**63 - 8, "byte_size": 16}),  # overflows
        ("r7", {"key": key, "byte_size": 0}),
        ("r8", {"key": key}),
        ("r9", {"key": key, "byte_size": -1}),
        ("r10", {"key": key, "byte_size": True}),
    ]
    for region, body in cases:
        response = requests.post(f"{url}/{region}/register", json=body)
        assert response.status_code == 400, (body, response.text)
        error = response.json()["error"]
        assert secret not in error and "passwd" not in error, error
        assert client.is_server_live()
    assert requests.post(f"{url}/bad%2Fname/register", json={"key": key, "byte_size": 16}).status_code in (400, 404)
    oversized = requests.post(f"{url}/{name}/register", data=b" " * (128 * 1024), headers={"Content-Type": "application/json"})
    assert oversized.status_code == 413 and "at most" in oversized.json()["error"]
    client.register_system_shared_memory(name, key, 4096)
    duplicate = requests.post(f"{url}/{name}/register", json={"key": key, "byte_size": 16})
    assert duplicate.status_code == 400 and "already" in duplicate.json()["error"]
    assert requests.get(f"{url}/nothere/status").status_code == 404
    assert requests.post(f"{url}/nothere/unregister").status_code == 200
    client.unregister_system_shared_memory()
    assert (descriptors(shm_server), mappings(shm_server)) == baseline


def test_hostile_inferences_are_400(client, regions, shm_server):
    data = np.ones(256, dtype=np.float32)
    name, key, handle = regions(data.nbytes)
    client.register_system_shared_memory(name, key, data.nbytes)
    # A region smaller than the tensor; an unknown region; offset and size past the region.
    bigger = np.ones(512, dtype=np.float32)
    assert "past the end" in str(error_of(lambda: infer_in_shared_memory(client, bigger, name)))
    assert "no shared memory region" in str(error_of(lambda: infer_in_shared_memory(client, data, "missing")))
    assert "smaller than the output" in str(error_of(
        lambda: infer_in_shared_memory(client, data, name, output_region=name, output_size=16)))
    # Unregistered, then used.
    client.unregister_system_shared_memory(name)
    assert "no shared memory region" in str(error_of(lambda: infer_in_shared_memory(client, data, name)))
    # Shrunk after registering: found before it is touched.
    client.register_system_shared_memory(name, key, data.nbytes)
    os.truncate(f"/dev/shm/{name}", 16)
    assert "smaller than the region" in str(error_of(lambda: infer_in_shared_memory(client, data, name, output_region=name)))
    assert client.is_server_live()


def test_an_object_truncated_during_requests_never_crashes_the_server(client, regions, shm_server):
    """The client shrinks its object while requests compute in it: each is answered 200 or 400, and the server
    still serves. (No timing: however the truncations and the requests interleave, that holds.)"""
    data = np.full(8 << 20, -1, dtype=np.float32)  # 32 MiB: a computation long enough to be caught in the middle
    name, key, handle = regions(data.nbytes)
    path = f"/dev/shm/{name}"
    statuses = []
    for _ in range(6):
        os.truncate(path, data.nbytes)
        requests.post(f"{shm_server.url}/v2/systemsharedmemory/region/{name}/unregister")
        client.register_system_shared_memory(name, key, data.nbytes)
        cutter = threading.Thread(target=os.truncate, args=(path, 4096))
        cutter.start()
        try:
            infer_in_shared_memory(client, data, name, output_region=name)
            statuses.append(200)
        except InferenceServerException as error:
            assert error.status() == "400", error
            statuses.append(400)
        cutter.join()
        assert client.is_server_live()
    assert set(statuses) <= {200, 400}
    # Nothing is left held: the in-flight budget returns to zero once the last answer has been written.
    deadline = time.monotonic() + 30
    while "tensor_service_inflight_bytes 0" not in requests.get(f"{shm_server.url}/metrics").text:
        assert time.monotonic() < deadline, "in-flight bytes never returned to zero"
        time.sleep(0.05)


def test_disabled_by_default(server):
    response = requests.post(f"{server.url}/v2/systemsharedmemory/region/a/register", json={"key": "/a", "byte_size": 4})
    assert response.status_code == 404 and "disabled" in response.json()["error"]
    assert requests.get(f"{server.url}/v2/systemsharedmemory/status").status_code == 404
    assert "system_shared_memory" not in requests.get(f"{server.url}/v2").json()["extensions"]
    infer = {"inputs": [{"name": "input", "shape": [1], "datatype": "FP32",
                         "parameters": {"shared_memory_region": "a", "shared_memory_byte_size": 4}}]}
    response = requests.post(f"{server.url}/v2/models/leaky_relu/infer", json=infer)
    assert response.status_code == 400 and "disabled" in response.json()["error"]


def test_metrics_count_regions_and_mapped_bytes(client, regions, shm_server):
    name, key, handle = regions(8192)
    client.register_system_shared_memory(name, key, 8192)
    text = requests.get(f"{shm_server.url}/metrics").text
    assert "tensor_service_shared_memory_regions 1" in text
    assert "tensor_service_shared_memory_mapped_bytes 8192" in text


def test_two_regions_over_overlapping_bytes_of_one_object(client, regions):
    """Region A and region B name overlapping parts of one object: the output, 16 bytes after the input, is still
    the input computed (the copy goes through a buffer; the two mappings' addresses cannot show the overlap)."""
    data = np.linspace(-8, 8, 2048, dtype=np.float32)
    name, key, handle = regions(data.nbytes + 16)
    shm.set_shared_memory_region(handle, [data])
    client.register_system_shared_memory(name, key, data.nbytes + 16)
    shifted = name + "-shifted"
    client.register_system_shared_memory(shifted, key, data.nbytes, offset=16)
    infer_in_shared_memory(client, data, name, output_region=shifted)
    whole = shm.get_contents_as_numpy(handle, np.float32, [2048 + 4])
    assert same_values(whole[4:], leaky_relu(data, 0.2))
