#!/usr/bin/env bash
# Soak (not in CI): MINUTES (default 30) of mixed load against the release binary, plain and TLS side by side:
# small and large tensors in every format (JSON, octet-stream, .npy, KServe JSON and binary, gzip), with resets,
# garbage and timeouts sprinkled in. Each minute it prints both servers' RSS, open descriptors and threads, and the
# requests answered; at the end it fails if any of them drifted upwards after the first minutes (a leak).
#   scripts/soak.sh [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
binary=$(deploy/build-release.sh | tail -1)
work=$(mktemp -d)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 -subj /CN=localhost \
    2>/dev/null
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

start() {  # NAME FLAGS...: starts a server and waits until it listens; sets pid and url
    local name=$1
    shift
    "$binary" --host 127.0.0.1 --port 0 --read-timeout 2 --idle-timeout 5 --log-format json "$@" \
        >"$work/$name.out" 2>"$work/$name.log" &
    pid=$!
    pids+=("$pid")
    until grep -q listening "$work/$name.out"; do sleep 0.1; done
    url=$(sed -n 's/^listening on //p' "$work/$name.out")
}
start plain
plain_pid=$pid plain_url=$url
start tls --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
tls_pid=$pid tls_url=$url

python3 - "$minutes" "$plain_pid" "$plain_url" "$tls_pid" "$tls_url" <<'PY'
import collections, gzip, io, json, os, random, socket, ssl, sys, threading, time
import urllib.request

import numpy as np

minutes, plain_pid, plain_url, tls_pid, tls_url = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
end = time.time() + minutes * 60
insecure = ssl.create_default_context()
insecure.check_hostname = False
insecure.verify_mode = ssl.CERT_NONE
counts = collections.Counter()
lock = threading.Lock()


def count(key):
    with lock:
        counts[key] += 1


def npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def post(url, path, body, headers, timeout=60):
    request = urllib.request.Request(url + path, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=timeout, context=insecure if url.startswith("https") else None) as answer:
        return answer.status, answer.read()


def good_request(rng, url):
    size = rng.choice([16, 1024, 64 * 1024, 1 << 20, 4 << 20])
    values = np.linspace(-4, 4, size, dtype=np.float32)
    kind = rng.randrange(6)
    if kind == 0:
        return post(url, "/ops/leaky_relu", json.dumps({"data": values[: min(size, 1 << 16)].tolist()}).encode(),
                    {"Content-Type": "application/json"})
    if kind == 1:
        return post(url, "/ops/leaky_relu", values.tobytes(), {"Content-Type": "application/octet-stream"})
    if kind == 2:
        return post(url, "/ops/leaky_relu", npy(values.astype(np.float16)), {"Content-Type": "application/x-npy"})
    if kind == 3:
        return post(url, "/ops/leaky_relu", gzip.compress(values.tobytes(), 1),
                    {"Content-Type": "application/octet-stream", "Content-Encoding": "gzip", "Accept-Encoding": "gzip"})
    header = json.dumps({"inputs": [{"name": "input", "shape": [size], "datatype": "FP32",
                                     "parameters": {"binary_data_size": size * 4}}],
                         "outputs": [{"name": "output", "parameters": {"binary_data": True}}]}).encode()
    if kind == 4:
        return post(url, "/v2/models/leaky_relu/infer", header + values.tobytes(),
                    {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(header))})
    small = values[: min(size, 4096)]
    body = json.dumps({"inputs": [{"name": "input", "shape": [len(small)], "datatype": "FP32", "data": small.tolist()}]})
    return post(url, "/v2/models/leaky_relu/infer", body.encode(), {"Content-Type": "application/json"})


def bad_exchange(rng, url):
    host, port = url.split("//")[1].rsplit(":", 1)
    raw = socket.create_connection((host, int(port)), timeout=5)
    connection = insecure.wrap_socket(raw) if url.startswith("https") else raw
    with connection:
        kind = rng.randrange(4)
        if kind == 0:  # garbage
            connection.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))) + b"\r\n\r\n")
        elif kind == 1:  # a body cut short, left to the read timeout
            connection.sendall(b"POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                               b"Content-Length: 4096\r\n\r\nabc")
        elif kind == 2:  # a reset in the middle of a large upload
            connection.sendall(b"POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                               b"Content-Length: 16777216\r\n\r\n" + b"\0" * 65536)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            return
        else:  # a client that stops reading its answer
            connection.sendall(b"POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                               b"Content-Length: 4194304\r\n\r\n" + b"\0" * 4194304)
        connection.settimeout(0.5)
        try:
            connection.recv(4096)
        except OSError:
            pass


def worker(seed):
    rng = random.Random(seed)
    while time.time() < end:
        url = rng.choice([plain_url, tls_url])
        try:
            if rng.random() < 0.1:
                bad_exchange(rng, url)
                count("hostile")
            else:
                status, _ = good_request(rng, url)
                count(status)
        except urllib.error.HTTPError as error:
            count(error.code)
        except OSError as error:
            count(type(error).__name__)


def sample(pid):
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return int(fields["VmRSS"].split()[0]), len(os.listdir(f"/proc/{pid}/fd")), int(fields["Threads"])


threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(6)]
for thread in threads:
    thread.start()
rows = []
for minute in range(1, int(minutes) + 1):
    time.sleep(max(0, end - (minutes - minute) * 60 - time.time()))
    row = (minute, sample(plain_pid), sample(tls_pid), dict(counts))
    rows.append(row)
    print(f"minute {minute:3d}: plain RSS {row[1][0]:7d} kB fds {row[1][1]:3d} threads {row[1][2]:2d} | "
          f"TLS RSS {row[2][0]:7d} kB fds {row[2][1]:3d} threads {row[2][2]:2d} | {row[3]}", flush=True)
for thread in threads:
    thread.join()
time.sleep(6)  # past the idle timeout: every connection the load left is closed
final = (sample(plain_pid), sample(tls_pid))
print(f"after the load: plain RSS {final[0][0]} kB fds {final[0][1]} threads {final[0][2]} | "
      f"TLS RSS {final[1][0]} kB fds {final[1][1]} threads {final[1][2]}")
# A leak grows with time: compare the medians of the first and last thirds of the minutes (a single sample swings
# with the 16 MiB requests in flight at that moment), allowing 25 %; descriptors and threads must come back.
if len(rows) >= 6:
    third = len(rows) // 3
    for index, name in ((1, "plain"), (2, "TLS")):
        early = sorted(row[index][0] for row in rows[:third])[third // 2]
        late = sorted(row[index][0] for row in rows[-third:])[third // 2]
        if late > early * 1.25:
            sys.exit(f"{name}: RSS drifted upwards (median {early} kB in the first third, {late} kB in the last)")
        if final[index - 1][1] > min(row[index][1] for row in rows) + 2 or final[index - 1][2] != rows[0][index][2]:
            sys.exit(f"{name}: descriptors or threads did not come back after the load")
PY
