"""The deployment path is real: the static release binary, its image recipe, Kubernetes and KServe manifests."""
import json
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
    assert "replicas" not in deployment["spec"], "the HorizontalPodAutoscaler owns the replica count"
    drain = float(config["TENSOR_SERVICE_DRAIN_DELAY"]) + float(config["TENSOR_SERVICE_SHUTDOWN_GRACE"])
    assert drain >= 5 + 25 and spec["terminationGracePeriodSeconds"] >= drain + 5
    spread = {constraint["topologyKey"] for constraint in spec["topologySpreadConstraints"]}
    assert "kubernetes.io/hostname" in spread
    grpc_port = int(config["TENSOR_SERVICE_GRPC_PORT"])
    assert container["livenessProbe"]["grpc"]["port"] == grpc_port
    assert container["readinessProbe"]["grpc"] == {"port": grpc_port, "service": "inference.GRPCInferenceService"}
    assert {"name": "grpc", "containerPort": grpc_port, "protocol": "TCP"} in container["ports"]
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
    assert pdb["spec"] == {**pdb["spec"], "maxUnavailable": 1} and "minAvailable" not in pdb["spec"]


def test_inference_service_has_what_kserve_requires():
    service = load(os.path.join(DEPLOY, "kserve", "inferenceservice.yaml"))
    assert service["apiVersion"] == "serving.kserve.io/v1beta1" and service["kind"] == "InferenceService"
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", service["metadata"]["name"]), "a DNS-1035 name"
    predictor = service["spec"]["predictor"]
    container = predictor["containers"][0]
    assert container["name"] == "kserve-container" and container["image"]
    assert {"name": "PROTOCOL", "value": "v2"} in container["env"], "a custom container names its protocol in env"
    assert container["ports"][0] == {"name": "h2c", "containerPort": 8080, "protocol": "TCP"}
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    annotations = service["metadata"]["annotations"]
    assert annotations["serving.kserve.io/enable-prometheus-scraping"] == "true"
    assert annotations["prometheus.kserve.io/port"] == "8080" and annotations["prometheus.kserve.io/path"] == "/metrics"


def test_inference_service_validates_against_the_vendored_kserve_schema():
    """Strict, as kubectl's default validation is: every field must exist in KServe's v1beta1 API
    (deploy/kserve/inferenceservice-fields.json names its source), and the containers in Kubernetes' own."""
    with open(os.path.join(DEPLOY, "kserve", "inferenceservice-fields.json")) as handle:
        fields = json.load(handle)
    service = load(os.path.join(DEPLOY, "kserve", "inferenceservice.yaml"))
    for obj, kind in [(service, "InferenceService"), (service["spec"], "InferenceServiceSpec"),
                      (service["spec"]["predictor"], "PredictorSpec")]:
        unknown = set(obj) - set(fields[kind])
        assert not unknown, f"{kind} has no field {sorted(unknown)}"
    assert "protocolVersion" not in fields["PredictorSpec"], "the vendored list is the real one"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "predictor"},
           "spec": {"containers": service["spec"]["predictor"]["containers"]}}
    kubernetes_validate.validate(pod, K8S_VERSION, strict=True)


MONITORING = os.path.join(DEPLOY, "monitoring")


def metric_names(expression):
    """The metric names a PromQL expression reads: identifiers outside label matchers, ranges, strings and
    by/without lists that are neither functions nor keywords."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expression)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    keywords = {"by", "without", "on", "ignoring", "bool", "and", "or", "unless", "offset", "group_left", "group_right"}
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        following = text[match.end():].lstrip()
        if match.group() not in keywords and not following.startswith("(") and not re.match(r"\d", match.group()):
            names.add(match.group())
    return names


def scraped_names(base_url):
    # Traffic first, so every labelled family has a series.
    requests.post(f"{base_url}/ops/leaky_relu", json={"data": [-1, 1]})
    requests.post(f"{base_url}/ops/leaky_relu", data=b"x", headers={"Content-Type": "application/x-unknown"})
    text = requests.get(f"{base_url}/metrics").text
    return {re.split(r"[{ ]", line, maxsplit=1)[0] for line in text.splitlines() if line and not line.startswith("#")}


def rule_groups():
    rule = load(os.path.join(MONITORING, "prometheusrule.yaml"))
    assert rule["apiVersion"] == "monitoring.coreos.com/v1" and rule["kind"] == "PrometheusRule"
    return rule["spec"]["groups"]


def test_alert_rules_pass_promtool_and_fire_when_they_should(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"groups": rule_groups()}))
    checked = subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    alerts = {rule["alert"] for group in rule_groups() for rule in group["rules"]}
    assert {"TensorServiceErrorRatioHigh", "TensorServiceLatencyP99High", "TensorServiceShedding",
            "TensorServiceRestarting"} <= alerts
    # 3 % of requests are 500s for 20 minutes: the error-ratio alert fires; 503s alone would not.
    tests = tmp_path / "rules_test.yaml"
    tests.write_text(yaml.safe_dump({
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [
                {"series": 'tensor_service_http_requests_total{namespace="ml", status="200"}', "values": "0+97x20"},
                {"series": 'tensor_service_http_requests_total{namespace="ml", status="500"}', "values": "0+3x20"},
                {"series": 'tensor_service_http_requests_total{namespace="ml", status="503"}', "values": "0+0x20"},
            ],
            "alert_rule_test": [
                {"eval_time": "20m", "alertname": "TensorServiceErrorRatioHigh",
                 "exp_alerts": [{"exp_labels": {"severity": "critical", "namespace": "ml"},
                                 "exp_annotations": {"summary": "tensor-service answers more than 1 % of requests with a server error.",
                                                     "description": "A 500 is a bug; the access logs (level error) name the request."}}]},
                {"eval_time": "20m", "alertname": "TensorServiceShedding", "exp_alerts": []},
            ],
        }],
    }))
    tested = subprocess.run(["promtool", "test", "rules", str(tests)], capture_output=True, text=True, timeout=60)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_rules_and_dashboard_read_only_metrics_the_service_exports(base_url):
    exported = scraped_names(base_url)
    with open(os.path.join(MONITORING, "grafana-dashboard.json")) as handle:
        dashboard = json.load(handle)
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    expressions += [rule["expr"] for group in rule_groups() for rule in group["rules"]]
    assert len(expressions) >= 10
    for expression in expressions:
        names = metric_names(expression)
        assert names, expression
        assert names <= exported, f"{sorted(names - exported)} in {expression!r} is not exported"
    panels = " ".join(panel["title"].lower() for panel in dashboard["panels"])
    for topic in ["requests", "errors", "p99", "queue wait", "in-flight", "memory", "connections"]:
        assert topic in panels, f"the dashboard has no {topic} panel"


def test_service_monitor_scrapes_the_service_port():
    monitor = load(os.path.join(MONITORING, "servicemonitor.yaml"))
    service = load(os.path.join(DEPLOY, "k8s", "service.yaml"))
    assert monitor["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "tensor-service"}
    port_names = {port["name"] for port in service["spec"]["ports"]}
    assert all(endpoint["port"] in port_names and endpoint["path"] == "/metrics" for endpoint in monitor["spec"]["endpoints"])
    kustomization = load(os.path.join(MONITORING, "kustomization.yaml"))
    assert set(kustomization["resources"]) == {"servicemonitor.yaml", "prometheusrule.yaml"}


def test_dockerfile_and_compose():
    with open(os.path.join(DEPLOY, "Dockerfile")) as handle:
        dockerfile = handle.read()
    assert dockerfile.count("FROM ") == 2, "multi-stage"
    assert "deploy/build-release.sh" in dockerfile and "libssl-dev zlib1g-dev" in dockerfile
    assert "EXPOSE 8080" in dockerfile and re.search(r"^USER 10001", dockerfile, re.M)
    assert '"healthcheck"' in dockerfile
    assert "strip /out/tensor-service" in dockerfile, "the shipped binary is stripped"
    assert "AS runtime" in dockerfile, "scripts/test-image.sh builds the runtime stage by name"
    with open(os.path.join(ROOT, ".dockerignore")) as handle:
        ignored = handle.read().split()
    assert ".build" in ignored and ".git" in ignored, "a local build must not reach the builder"
    compose = load(os.path.join(DEPLOY, "compose.yaml"))
    service = compose["services"]["tensor-service"]
    assert service["healthcheck"]["test"][1:3] == ["/usr/local/bin/tensor-service", "healthcheck"]


def test_static_binary_needs_only_the_runtime_image_libraries():
    with open(os.path.join(DEPLOY, "Dockerfile")) as handle:
        runtime_packages = handle.read().split("FROM debian")[1]
    output = subprocess.run(["ldd", BINARY], capture_output=True, text=True, check=True).stdout
    libraries = {line.split()[0] for line in output.splitlines() if "=>" in line}
    provided = {"libssl.so.3": "libssl3", "libcrypto.so.3": "libssl3", "libz.so.1": "zlib1g", "libnghttp2.so.14": "libnghttp2-14",
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


def test_shared_memory_sidecar_recipe():
    """The same-host recipe: valid for Kubernetes, /dev/shm an in-memory emptyDir in both containers, the service with
    the extension on and listening on loopback only."""
    manifest = load(os.path.join(DEPLOY, "shared-memory", "sidecar.yaml"))
    kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    pod = manifest["spec"]["template"]["spec"]
    volume = next(volume for volume in pod["volumes"] if volume["name"] == "dshm")
    assert volume["emptyDir"]["medium"] == "Memory"
    for container in pod["containers"]:
        assert {"name": "dshm", "mountPath": "/dev/shm"} in container["volumeMounts"]
    service = next(container for container in pod["containers"] if container["name"] == "tensor-service")
    env = {variable["name"]: variable["value"] for variable in service["env"]}
    assert env["TENSOR_SERVICE_SHARED_MEMORY"] == "system" and env["TENSOR_SERVICE_HOST"] == "127.0.0.1"
