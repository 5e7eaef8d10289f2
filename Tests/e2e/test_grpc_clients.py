"""The last serving clients: tritonclient.grpc with system shared memory (regions registered over gRPC, the output
computed in place in the caller's memory), and the KServe SDK's V2 gRPC and V1 REST clients, run in a virtual
environment of their own (its generated protos clash with tritonclient's in one process)."""
import os
import subprocess
import sys
import uuid

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.utils.shared_memory as shm
from tritonclient.utils import InferenceServerException

from conftest import ROOT, start_server
from reference import leaky_relu

KSERVE_PYTHON = os.environ.get("KSERVE_PYTHON", os.path.join(ROOT, ".build", "kserve-venv", "bin", "python"))


@pytest.fixture(scope="module")
def shm_server():
    server = start_server("--shared-memory", "system", "--grpc-port", "0")
    line = server.process.stdout.readline().strip()
    server.grpc_address = line.rsplit(" ", 1)[1]
    yield server
    assert server.stop() == 0


def test_tritonclient_grpc_with_system_shared_memory_computes_in_place(shm_server):
    client = grpcclient.InferenceServerClient(shm_server.grpc_address)
    name = f"g{uuid.uuid4().hex[:12]}"
    data = np.linspace(-3, 3, 1024, dtype=np.float32)
    handle = shm.create_shared_memory_region(name, f"/{name}", data.nbytes)
    try:
        shm.set_shared_memory_region(handle, [data])
        client.register_system_shared_memory(name, f"/{name}", data.nbytes)
        status = client.get_system_shared_memory_status(as_json=True)
        assert status["regions"][name]["byte_size"] == str(data.nbytes) or status["regions"][name]["byte_size"] == data.nbytes
        tensor = grpcclient.InferInput("input", [data.size], "FP32")
        tensor.set_shared_memory(name, data.nbytes)
        output = grpcclient.InferRequestedOutput("output")
        output.set_shared_memory(name, data.nbytes)
        client.infer("leaky_relu", [tensor], outputs=[output], parameters={"negative_slope": 0.2})
        computed = shm.get_contents_as_numpy(handle, np.float32, [data.size])
        assert computed.tobytes() == np.asarray(leaky_relu(data, 0.2, "float32"), dtype=np.float32).tobytes()
        tensor = grpcclient.InferInput("input", [data.size], "FP32")
        tensor.set_shared_memory("nowhere", data.nbytes)
        with pytest.raises(InferenceServerException) as error:
            client.infer("leaky_relu", [tensor])
        assert "nowhere" in error.value.message()
        client.unregister_system_shared_memory(name)
        assert name not in client.get_system_shared_memory_status(as_json=True).get("regions", {})
    finally:
        client.unregister_system_shared_memory()
        shm.destroy_shared_memory_region(handle)
    assert client.is_server_live()


def test_shared_memory_rpcs_are_unimplemented_while_the_extension_is_off(base_url):
    client = grpcclient.InferenceServerClient(base_url.replace("http://", ""))
    with pytest.raises(InferenceServerException) as error:
        client.get_system_shared_memory_status()
    assert "UNIMPLEMENTED" in error.value.status() and "--shared-memory system" in error.value.message()


def test_the_kserve_sdks_grpc_and_v1_rest_clients(base_url):
    if not os.path.exists(KSERVE_PYTHON):
        pytest.fail(f"the KServe SDK's virtual environment is missing ({KSERVE_PYTHON}); .ci/run makes it")
    result = subprocess.run([KSERVE_PYTHON, os.path.join(ROOT, "Tests", "e2e", "kserve_clients.py"),
                             base_url.replace("http://", "")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "kserve clients ok" in result.stdout, result.stdout + result.stderr
