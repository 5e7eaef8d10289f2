#!/usr/bin/env bash
# A real Triton server serving leaky_relu on FP32 through its python backend (model_repository/ here): the
# tritonserver that nvidia-pytriton bundles, run directly (without pytriton's proxy to a Python process), with the
# backend stub built for the venv's Python.
#   bench/peers/triton-peer/serve.sh VENV WORKDIR GRPC_PORT HTTP_PORT
set -euo pipefail
venv=$1 work=$2 grpc_port=$3 http_port=$4
here=$(cd "$(dirname "$0")" && pwd)
version=$("$venv/bin/python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
bundle=$site/pytriton/tritonserver
mkdir -p "$work/backends"
cp -r "$bundle/backends/python" "$work/backends/"
cp "$bundle/python_backend_stubs/$version/triton_python_backend_stub" "$work/backends/python/"
# The stub runs the model with the venv's numpy; the bundle's own libraries (libcudart, unused on CPU) are beside it.
export PATH=$venv/bin:$PATH LD_LIBRARY_PATH=$site/nvidia_pytriton.libs
exec "$bundle/bin/tritonserver" --model-repository "$here/model_repository" --backend-directory "$work/backends" \
    --grpc-address 127.0.0.1 --grpc-port "$grpc_port" --http-address 127.0.0.1 --http-port "$http_port" \
    --allow-metrics false --log-info false
