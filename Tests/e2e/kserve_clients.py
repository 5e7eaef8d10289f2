"""Run in a virtual environment of its own (the KServe SDK ships protos that clash with tritonclient's in one
process): its V2 gRPC client and its default V1 REST client against a running tensor-service.
    python kserve_clients.py HOST:PORT"""
import asyncio
import sys

import numpy as np
from kserve import InferenceGRPCClient, InferenceRESTClient, InferInput, InferRequest, RESTConfig


async def main(address):
    grpc_client = InferenceGRPCClient(address, timeout=30)
    assert await grpc_client.is_server_live() and await grpc_client.is_server_ready()
    assert await grpc_client.is_model_ready("leaky_relu")
    x = np.array([[-2.0, 0.5], [3.0, -4.0]], dtype=np.float32)
    tensor = InferInput(name="input", shape=list(x.shape), datatype="FP32")
    tensor.set_data_from_numpy(x, binary_data=True)
    # The SDK sends only bool, int64 and string parameters: a fractional slope travels as a decimal string.
    request = InferRequest(model_name="leaky_relu", infer_inputs=[tensor], request_id="kserve-1",
                           parameters={"negative_slope": "0.1"})
    response = await grpc_client.infer(request)
    output = response.outputs[0].as_numpy()
    assert response.id == "kserve-1" and output.tolist() == np.where(x > 0, x, x * np.float32(0.1)).tolist(), output
    await grpc_client.close()

    rest_client = InferenceRESTClient(RESTConfig(protocol="v1", timeout=30))
    base = f"http://{address}"
    assert await rest_client.is_server_live(base)
    assert await rest_client.is_model_ready(base, "leaky_relu")
    predicted = await rest_client.infer(base, {"instances": [[-2.0, 1.5], [0.25, -4.0]]}, model_name="leaky_relu")
    assert predicted == {"predictions": [[-0.02, 1.5], [0.25, -0.04]]}, predicted
    await rest_client.close()
    print("kserve clients ok")


asyncio.run(main(sys.argv[1]))
