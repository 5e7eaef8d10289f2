"""The command line as an operator meets it: flags, environment fallbacks, the listening line, SIGTERM."""
import re
import signal
import socket
import threading
import time

import requests

from conftest import start_server


def test_environment_fills_in_flags_and_the_flag_wins():
    server = start_server(env={"TENSOR_SERVICE_MAX_BODY_BYTES": "100", "TENSOR_SERVICE_PORT": "0"})
    try:
        response = requests.post(f"{server.url}/ops/leaky_relu", data="x" * 101, headers={"Content-Type": "application/json"})
        assert response.status_code == 413
    finally:
        assert server.stop() == 0
    server = start_server("--max-body-bytes", "1000", env={"TENSOR_SERVICE_MAX_BODY_BYTES": "100"})
    try:
        response = requests.post(f"{server.url}/ops/leaky_relu", data='{"data": [%s]}' % ",".join(["1"] * 40),
                                 headers={"Content-Type": "application/json"})
        assert response.status_code == 200
    finally:
        assert server.stop() == 0


def test_bad_flags_fail_with_a_message():
    import subprocess
    from conftest import BINARY
    result = subprocess.run([BINARY, "--port", "70000"], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "--port" in result.stderr


def test_sigterm_finishes_in_flight_work_and_exits_zero():
    server = start_server("--workers", "1")
    body = b"\x00\x00\x80\xbf" * (16 << 20)  # 64 MiB of -1.0f
    results = {}

    def send_large():
        response = requests.post(f"{server.url}/ops/leaky_relu", data=body,
                                 headers={"Content-Type": "application/octet-stream"})
        results["status"] = response.status_code
        results["length"] = len(response.content)

    sender = threading.Thread(target=send_large)
    sender.start()
    # Wait until the request's head has arrived: the server is then working on it.
    time.sleep(0.5)
    server.process.send_signal(signal.SIGTERM)
    sender.join(timeout=60)
    assert server.process.wait(timeout=30) == 0
    assert results == {"status": 200, "length": len(body)}
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", server.port)) != 0, "new connections are refused after the drain"


def test_version_is_printed():
    import subprocess
    from conftest import BINARY
    result = subprocess.run([BINARY, "--version"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert re.fullmatch(r"\d+\.\d+\.\d+", result.stdout.strip())


import pytest


@pytest.mark.parametrize("flag,value", [
    ("--read-timeout", "9.3e15"), ("--idle-timeout", "1e300"), ("--shutdown-grace", "nan"), ("--drain-delay", "-1"),
    ("--workers", "0"), ("--max-queue", "-1"), ("--max-connections", "0"), ("--max-body-bytes", "0"),
    ("--max-inflight-bytes", "99999999999999999"), ("--port", "65536"),
])
def test_numbers_out_of_range_are_usage_errors_naming_the_flag(flag, value):
    import subprocess
    from conftest import BINARY
    variable = "TENSOR_SERVICE_" + flag[2:].upper().replace("-", "_")
    for args, env in [([f"{flag}={value}"], {}), ([], {variable: value})]:
        result = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=30,
                                env={"PATH": "/usr/bin:/bin", **env})
        assert result.returncode == 64, (args, env, result.stderr)
        assert flag in result.stderr and variable in result.stderr and "within" in result.stderr, result.stderr
