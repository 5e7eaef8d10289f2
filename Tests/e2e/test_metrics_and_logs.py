"""An SRE's view: /metrics parsed by prometheus_client equals the traffic sent; JSON access logs name each request."""
import json

import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import start_server


def samples(text):
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_counters_equal_the_traffic_and_logs_are_json():
    server = start_server("--log-format", "json")
    try:
        for index in range(5):
            requests.post(f"{server.url}/ops/leaky_relu", json={"data": [-1, 1, 2]}, headers={"X-Request-Id": f"req-{index}"})
        requests.get(f"{server.url}/nowhere")
        requests.post(f"{server.url}/v2/models/leaky_relu/infer",
                      json={"inputs": [{"name": "input", "shape": [4], "datatype": "FP16", "data": [1, 2, 3, 4]}]})
        found = samples(requests.get(f"{server.url}/metrics").text)
        requests_total = lambda method, route, status: found.get(
            ("tensor_service_http_requests_total", (("method", method), ("route", route), ("status", status))))
        assert requests_total("POST", "/ops/leaky_relu", "200") == 5
        assert requests_total("GET", "unmatched", "404") == 1
        assert requests_total("POST", "/v2/models/{model}[/versions/{version}]/infer", "200") == 1
        assert found[("tensor_service_elements_processed_total", (("dtype", "float32"),))] == 15
        assert found[("tensor_service_elements_processed_total", (("dtype", "float16"),))] == 4
        assert found[("tensor_service_http_request_duration_seconds_count", (("route", "/ops/leaky_relu"),))] == 5
        assert found[("tensor_service_open_connections", ())] >= 1
        assert found[("tensor_service_queue_depth", ())] == 0
        assert found[("tensor_service_received_bytes_total", ())] > 0
        assert found[("tensor_service_sent_bytes_total", ())] > 0
    finally:
        assert server.stop() == 0
    lines = [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "tensor-service.access"]
    ids = [line["request_id"] for line in access if line["route"] == "/ops/leaky_relu"]
    assert ids == [f"req-{index}" for index in range(5)]
    first = access[0]
    assert {"ts", "level", "method", "route", "status", "bytes_in", "bytes_out", "duration_ms", "request_id"} <= set(first)
    assert first["status"] == "200" and first["method"] == "POST"
