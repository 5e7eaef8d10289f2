"""An SRE's view: /metrics parsed by prometheus_client equals the traffic sent; JSON access logs name each request."""
import json
import socket
import subprocess
import time

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
        # One keep-alive connection: each exchange is counted when its answer has left, before the next is read.
        session = requests.Session()
        session.headers["User-Agent"] = "metrics-test/1"
        for index in range(5):
            session.post(f"{server.url}/ops/leaky_relu?negative_slope=0.01", json={"data": [-1, 1, 2]},
                         headers={"X-Request-Id": f"req-{index}"})
        session.get(f"{server.url}/nowhere")
        session.post(f"{server.url}/v2/models/leaky_relu/infer",
                     json={"inputs": [{"name": "input", "shape": [4], "datatype": "FP16", "data": [1, 2, 3, 4]}]})
        found = samples(session.get(f"{server.url}/metrics").text)
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
        assert found[("tensor_service_queue_wait_seconds_count", (("route", "/ops/leaky_relu"),))] == 5
        assert found[("tensor_service_compute_seconds_count", (("route", "/ops/leaky_relu"),))] == 5
        assert found[("process_resident_memory_bytes", ())] > 1 << 20
        assert found[("process_open_fds", ())] >= 3
        assert found[("process_cpu_seconds_total", ())] > 0
        assert found[("process_start_time_seconds", ())] > 1.6e9
        build = [labels for (name, labels), value in found.items() if name == "tensor_service_build_info" and value == 1]
        assert build and dict(build[0])["version"], "build info names the version"
        assert found[("tensor_service_received_bytes_total", ())] > 0
        assert found[("tensor_service_sent_bytes_total", ())] > 0
    finally:
        assert server.stop() == 0
    lines = [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "tensor-service.access"]
    ids = [line["request_id"] for line in access if line["route"] == "/ops/leaky_relu"]
    assert ids == [f"req-{index}" for index in range(5)]
    first = access[0]
    assert {"ts", "level", "method", "route", "status", "bytes_in", "bytes_out", "duration_ms", "request_id", "client",
            "user_agent", "path"} <= set(first)
    assert first["status"] == 200 and first["method"] == "POST", "numbers are JSON numbers"
    assert isinstance(first["bytes_in"], int) and isinstance(first["duration_ms"], (int, float)) and first["complete"] is True
    assert first["client"] == "127.0.0.1" and first["user_agent"] == "metrics-test/1"
    assert first["path"] == "/ops/leaky_relu?negative_slope=0.01" and first["route"] == "/ops/leaky_relu"


def test_every_family_has_help_and_promtool_finds_nothing(base_url):
    text = requests.get(f"{base_url}/metrics").text
    families = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}
    helped = {line.split()[2] for line in text.splitlines() if line.startswith("# HELP ")}
    assert families and families == helped, f"no HELP for {sorted(families - helped)}"
    result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_request_duration_runs_from_the_first_byte_to_the_last_byte_written():
    """A request whose body arrives slowly is timed from its first byte: the histogram sees the upload."""
    server = start_server()
    try:
        with socket.create_connection(("127.0.0.1", server.port)) as connection:
            body = b'{"data": [1, -1]}'
            connection.sendall(b"POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               b"Content-Length: %d\r\n\r\n" % len(body))
            time.sleep(0.3)
            connection.sendall(body)
            connection.settimeout(30)
            assert connection.recv(4096).startswith(b"HTTP/1.1 200 ")
        # The exchange is counted once its answer has left, on the server's own thread: wait for it.
        deadline = time.monotonic() + 30
        while True:
            found = samples(requests.get(f"{server.url}/metrics").text)
            if found.get(("tensor_service_http_request_duration_seconds_count", (("route", "/ops/leaky_relu"),))) == 1:
                break
            assert time.monotonic() < deadline, "the request was never counted"
            time.sleep(0.01)
        slow = found[("tensor_service_http_request_duration_seconds_sum", (("route", "/ops/leaky_relu"),))]
        assert slow >= 0.3, f"the upload's 0.3 s is counted ({slow:.3f} s)"
    finally:
        assert server.stop() == 0


def test_a_413_is_logged_with_what_its_head_said():
    server = start_server("--log-format", "json", "--max-body-bytes", "100")
    try:
        with socket.create_connection(("127.0.0.1", server.port)) as connection:
            connection.sendall(b"POST /ops/leaky_relu?x=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: big/1\r\n"
                               b"Content-Type: application/json\r\nContent-Length: 101\r\n\r\n")
            connection.settimeout(30)
            assert connection.recv(4096).startswith(b"HTTP/1.1 413 ")
    finally:
        assert server.stop() == 0
    lines = [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]
    refused = [line for line in lines if line.get("status") == 413]
    assert refused, lines[-3:]
    assert refused[0]["method"] == "POST" and refused[0]["route"] == "/ops/leaky_relu"
    assert refused[0]["path"] == "/ops/leaky_relu?x=1" and refused[0]["user_agent"] == "big/1"
