#!/usr/bin/env bash
# Soak (not in CI): MINUTES (default 10) of mixed good and bad traffic against the release binary, printing the
# server's RSS and open descriptor count each minute; both must stay flat.
#   scripts/soak.sh [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
command -v wrk >/dev/null || { echo "soak needs wrk (apt-get install wrk)" >&2; exit 2; }
swift build -c release --product tensor-service >/dev/null
log=$(mktemp)
.build/release/tensor-service --host 127.0.0.1 --port 0 --read-timeout 2 >"$log" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
until grep -q listening "$log"; do sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$log")
port=${url##*:}

# Garbage, half requests and resets from Python, all the while.
python3 - "$port" "$minutes" <<'PY' &
import random, socket, sys, time
port, minutes = int(sys.argv[1]), float(sys.argv[2])
end = time.time() + minutes * 60
rng = random.Random(1)
while time.time() < end:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            kind = rng.randrange(3)
            if kind == 0:
                s.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))) + b"\r\n\r\n")
            elif kind == 1:
                s.sendall(b"POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 4096\r\n\r\nabc")
            else:
                s.sendall(b'POST /ops/leaky_relu HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{"data":[')
            s.settimeout(0.2)
            try:
                s.recv(4096)
            except OSError:
                pass
    except OSError:
        pass
PY
garbage=$!

for minute in $(seq 1 "$minutes"); do
    wrk -t1 -c16 -d60s -s bench/post_binary_1k.lua "$url/ops/leaky_relu" >/dev/null
    rss=$(awk '/VmRSS/ {print $2}' /proc/$server/status)
    fds=$(ls /proc/$server/fd | wc -l)
    echo "minute $minute: RSS ${rss} kB, open descriptors ${fds}"
done
wait $garbage
