"""The deployment path is real: the static release binary, its image recipe, Kubernetes and KServe manifests."""
import os
import re
import subprocess

import kubernetes_validate
import requests
import yaml

from conftest import BINARY, ROOT, start_server

DEPLOY = os.path.join(ROOT, "deploy")
K8S_VERSION = "1.32.0"


def load(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def test_every_manifest_validates_against_kubernetes():
    kustomization = load(os.path.join(DEPLOY, "k8s", "kustomization.yaml"))
    for name in kustomization["resources"]:
        path = os.path.join(DEPLOY, "k8s", name)
        assert os.path.exists(path), f"kustomization lists {name}, which is missing"
        kubernetes_validate.validate(load(path), K8S_VERSION, strict=True)


def test_kustomization_covers_every_manifest():
    listed = set(load(os.path.join(DEPLOY, "k8s", "kustomization.yaml"))["resources"])
    present = {name for name in os.listdir(os.path.join(DEPLOY, "k8s")) if name != "kustomization.yaml"}
    assert listed == present


def test_deployment_is_hardened_and_drains_in_time():
    deployment = load(os.path.join(DEPLOY, "k8s", "deployment.yaml"))
    config = load(os.path.join(DEPLOY, "k8s", "configmap.yaml"))["data"]
    spec = deployment["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert deployment["spec"]["replicas"] == 2
    assert spec["terminationGracePeriodSeconds"] > float(config["TENSOR_SERVICE_SHUTDOWN_GRACE"])
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["requests"] and container["resources"]["limits"]
    security = container["securityContext"]
    assert security["runAsNonRoot"] and security["readOnlyRootFilesystem"]
    assert security["allowPrivilegeEscalation"] is False and security["capabilities"]["drop"] == ["ALL"]
    assert container["envFrom"][0]["configMapRef"]["name"] == "tensor-service"
    # Every variable in the ConfigMap is a flag the binary knows.
    help_text = subprocess.run([BINARY, "serve", "--help"], capture_output=True, text=True).stdout
    for variable in config:
        flag = "--" + variable.removeprefix("TENSOR_SERVICE_").lower().replace("_", "-")
        assert flag in help_text, f"{variable} has no flag {flag}"


def test_hpa_and_pdb_target_the_deployment():
    hpa = load(os.path.join(DEPLOY, "k8s", "hpa.yaml"))
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "tensor-service"}
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    pdb = load(os.path.join(DEPLOY, "k8s", "pdb.yaml"))
    assert pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] == "tensor-service"


def test_inference_service_has_what_kserve_requires():
    service = load(os.path.join(DEPLOY, "kserve", "inferenceservice.yaml"))
    assert service["apiVersion"] == "serving.kserve.io/v1beta1" and service["kind"] == "InferenceService"
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", service["metadata"]["name"]), "a DNS-1035 name"
    predictor = service["spec"]["predictor"]
    assert predictor["protocolVersion"] == "v2"
    container = predictor["containers"][0]
    assert container["name"] == "kserve-container" and container["image"]
    assert container["ports"][0]["containerPort"] == 8080
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"


def test_dockerfile_and_compose():
    with open(os.path.join(DEPLOY, "Dockerfile")) as handle:
        dockerfile = handle.read()
    assert dockerfile.count("FROM ") == 2, "multi-stage"
    assert "deploy/build-release.sh" in dockerfile and "libssl-dev zlib1g-dev" in dockerfile
    assert "EXPOSE 8080" in dockerfile and re.search(r"^USER 10001", dockerfile, re.M)
    assert '"healthcheck"' in dockerfile
    compose = load(os.path.join(DEPLOY, "compose.yaml"))
    service = compose["services"]["tensor-service"]
    assert service["healthcheck"]["test"][1:3] == ["/usr/local/bin/tensor-service", "healthcheck"]


def test_static_binary_needs_only_the_runtime_image_libraries():
    with open(os.path.join(DEPLOY, "Dockerfile")) as handle:
        runtime_packages = handle.read().split("FROM debian")[1]
    output = subprocess.run(["ldd", BINARY], capture_output=True, text=True, check=True).stdout
    libraries = {line.split()[0] for line in output.splitlines() if "=>" in line}
    provided = {"libssl.so.3": "libssl3", "libcrypto.so.3": "libssl3", "libz.so.1": "zlib1g",
                "libstdc++.so.6": "libstdc++6", "libgcc_s.so.1": "libgcc-s1",
                "libc.so.6": None, "libm.so.6": None}
    for library in libraries:
        assert library in provided, f"{library} is not provided by the runtime image"
        if provided[library]:
            assert provided[library] in runtime_packages
    assert not any("swift" in library for library in libraries), "the Swift runtime is linked statically"


def test_healthcheck_subcommand(server):
    ok = subprocess.run([BINARY, "healthcheck", "--url", f"{server.url}/healthz"], capture_output=True, timeout=10)
    assert ok.returncode == 0
    down = subprocess.run([BINARY, "healthcheck", "--url", "http://127.0.0.1:1/healthz"], capture_output=True, timeout=10)
    assert down.returncode == 1


def test_smoke_one_request_of_each_format(server):
    import io
    import numpy as np
    url = f"{server.url}/ops/leaky_relu"
    assert requests.post(url, json={"data": [-1, 1]}).json()["data"] == [-0.01, 1.0]
    raw = requests.post(url, data=np.array([-1, 1], np.float32).tobytes(), headers={"Content-Type": "application/octet-stream"})
    assert np.frombuffer(raw.content, np.float32).tolist() == [np.float32(-0.01), 1.0]
    buffer = io.BytesIO()
    np.save(buffer, np.array([-1.0, 1.0]))
    npy = requests.post(url, data=buffer.getvalue(), headers={"Content-Type": "application/x-npy"})
    assert np.load(io.BytesIO(npy.content)).tolist() == [-0.01, 1.0]
    infer = requests.post(f"{server.url}/v2/models/leaky_relu/infer",
                          json={"inputs": [{"name": "input", "shape": [2], "datatype": "FP64", "data": [-1, 1]}]})
    assert infer.json()["outputs"][0]["data"] == [-0.01, 1.0]
