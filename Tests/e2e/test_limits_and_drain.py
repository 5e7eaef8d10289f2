"""Memory admission and drain, against the release binary as it runs in production."""
import signal
import socket
import threading
import time

import numpy as np
import requests

from conftest import start_server

MIB = 1 << 20


def peak_rss_mib(server):
    with open(f"/proc/{server.process.pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_inflight_budget_bounds_memory():
    # 8 concurrent 32 MiB bodies against a 64 MiB budget: some are refused with 503 before their body is read.
    server = start_server("--max-inflight-bytes", str(64 * MIB), "--max-body-bytes", str(32 * MIB))
    try:
        body = np.full(8 * MIB, -1, dtype=np.float32).tobytes()
        baseline = peak_rss_mib(server)
        statuses = []

        def send():
            response = requests.post(f"{server.url}/ops/leaky_relu", data=body,
                                     headers={"Content-Type": "application/octet-stream", "Expect": "100-continue"})
            statuses.append(response.status_code)
            if response.status_code == 503:
                assert response.headers["Retry-After"] == "1"

        threads = [threading.Thread(target=send) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert set(statuses) <= {200, 503} and 200 in statuses
        # The budget (64 MiB) plus a documented constant (64 MiB: answers in flight to slow readers, buffers, heap).
        assert peak_rss_mib(server) - baseline <= 64 + 64, f"peak grew {peak_rss_mib(server) - baseline:.0f} MiB"
        assert requests.get(f"{server.url}/healthz").status_code == 200
    finally:
        assert server.stop() == 0


def test_sigterm_with_sixteen_requests_in_flight():
    server = start_server("--workers", "2")
    large = np.full(16 * MIB, -2, dtype=np.float32).tobytes()
    small = np.full(1024, -2, dtype=np.float32).tobytes()
    results = [None] * 16
    started = threading.Barrier(17)

    def send(index):
        body = large if index % 4 == 0 else small
        with socket.create_connection(("127.0.0.1", server.port)) as connection:
            head = (f"POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            connection.sendall(head)
            started.wait()
            connection.sendall(body)
            response = b""
            while True:
                chunk = connection.recv(1 << 20)
                if not chunk:
                    break
                response += chunk
            head_end = response.index(b"\r\n\r\n")
            status = int(response.split(b" ")[1])
            results[index] = (status, len(response) - head_end - 4 == len(body))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    started.wait()  # every head has been sent; the server is reading bodies
    time.sleep(0.05)
    server.process.send_signal(signal.SIGTERM)
    # Readiness turns 503 at once for anyone still connected, and new connections are refused soon after.
    for thread in threads:
        thread.join(timeout=60)
    assert server.process.wait(timeout=30) == 0
    assert results == [(200, True)] * 16, results
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", server.port)) != 0


def test_drain_delay_keeps_serving_new_clients_then_drains():
    """As Kubernetes needs it: readiness is 503 at once, but clients that still arrive (the endpoints update a few
    seconds late) are accepted and served until the delay is over; then the drain runs and the process exits 0."""
    server = start_server("--drain-delay", "3", "--shutdown-grace", "5", "--log-format", "json")
    url = server.url
    assert requests.get(f"{url}/readyz").status_code == 200
    server.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    while requests.get(f"{url}/readyz").status_code != 503:
        assert time.monotonic() < deadline, "readiness never turned 503"
    # The delay has begun: a steady client on new connections and on a kept one loses nothing for a while.
    session = requests.Session()
    served = 0
    started = time.monotonic()
    while time.monotonic() - started < 0.5:
        fresh = requests.post(f"{url}/ops/leaky_relu", json={"data": [-1, 2]})
        kept = session.post(f"{url}/ops/leaky_relu", json={"data": [-1, 2]})
        assert fresh.status_code == kept.status_code == 200
        served += 2
    assert served >= 2
    session.close()
    assert server.process.wait(timeout=60) == 0
    logs = [line for line in server.logs().splitlines() if line.startswith("{")]
    draining = [line for line in logs if '"message":"draining"' in line]
    stopped = [line for line in logs if '"message":"stopped"' in line]
    assert draining and stopped, logs[-5:]
    assert '"drain_delay_s":3' in draining[0] and '"signal":"SIGTERM"' in draining[0]
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", server.port)) != 0, "after the drain new connections are refused"


def test_a_signal_the_moment_it_listens_is_never_lost():
    """A supervisor may stop the process as soon as it says it listens. Signals are blocked from the start and taken
    by the main thread, so one sent at once is kept pending, never dropped (a handler registered asynchronously
    could miss it, and the process would run until killed). Many workers make start-up slower, widening the window."""
    for number in (signal.SIGTERM, signal.SIGINT) * 5:
        server = start_server("--workers", "32", "--log-format", "json")
        server.process.send_signal(number)
        assert server.process.wait(timeout=30) == 0
        assert f'"signal":"{signal.Signals(number).name}"' in server.logs()


def test_inflight_budget_bounds_what_json_requests_hold_at_their_peak():
    """The budget covers a JSON request's decoded tensor and answer text, not only its body: 8 concurrent 12 MiB
    float64 JSON bodies against 64 MiB are each answered 200 or 503, and the resident size stays bounded."""
    # As many workers as requests, so every admitted request decodes and answers at the same time.
    server = start_server("--max-inflight-bytes", str(64 * MIB), "--workers", "8")
    try:
        values = np.random.default_rng(7).normal(size=1 << 20) * 1e-3
        text = '{"dtype": "float64", "data": [' + ", ".join(repr(v) for v in values.tolist()) + "]}"
        body = text.encode()[: 12 * MIB]
        body = body[: body.rindex(b",")] + b"]}"
        count = body.count(b",")  # one comma in the head, one between each two numbers
        baseline = peak_rss_mib(server)
        statuses = []

        def send():
            response = requests.post(f"{server.url}/ops/leaky_relu", data=body,
                                     headers={"Content-Type": "application/json"})
            if response.status_code == 200:
                statuses.append((200, len(response.json()["data"]) == count))
            else:
                statuses.append((response.status_code, response.headers.get("Retry-After") == "1"
                                 and response.headers["Content-Type"] == "application/problem+json"))

        threads = [threading.Thread(target=send) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert {status for status, _ in statuses} <= {200, 503} and (200, True) in statuses, statuses
        assert all(ok for _, ok in statuses), statuses
        grown = peak_rss_mib(server) - baseline
        # The budget (64 MiB) bounds body, decoded tensor and answer text together; 48 MiB is for the buffer
        # pool's free list and the heap. (Counting bodies only, five requests were admitted and grew it by ~160.)
        assert grown <= 64 + 48, f"peak grew {grown:.0f} MiB"
        assert requests.get(f"{server.url}/metrics").status_code == 200
    finally:
        assert server.stop() == 0
