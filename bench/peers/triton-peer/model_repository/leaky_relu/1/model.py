"""leaky_relu on FP32 for Triton's python backend: the peer of bench/grpc.sh."""
import numpy as np
import triton_python_backend_utils as pb_utils

SLOPE = np.float32(0.01)


class TritonPythonModel:
    def execute(self, requests):
        answers = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "input").as_numpy()
            y = np.where(x > 0, x, x * SLOPE).astype(np.float32)
            answers.append(pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor("output", y)]))
        return answers
