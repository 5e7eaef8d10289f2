"""Same-host shared memory against binary HTTP, both through tritonclient.http, in the same run.

    python3 bench/shared_memory.py HOST:PORT
The server must run with --shared-memory system. For 64 MiB and 1 KiB of float32, prints the best of 5 (64 MiB) or
the median of 1,000 (1 KiB, one connection) round trips of each, the two interleaved, and the ratio HTTP / shared memory (higher is better
for shared memory). Needs numpy and tritonclient[http].
"""
import statistics
import sys
import time
import uuid

import numpy as np
import tritonclient.http as httpclient
import tritonclient.utils.shared_memory as shm


def over_http(client, data):
    tensor = httpclient.InferInput("input", list(data.shape), "FP32")
    tensor.set_data_from_numpy(data, binary_data=True)
    result = client.infer("leaky_relu", [tensor], outputs=[httpclient.InferRequestedOutput("output", binary_data=True)])
    return result.as_numpy("output")


def in_shared_memory(client, data, region):
    tensor = httpclient.InferInput("input", list(data.shape), "FP32")
    tensor.set_shared_memory(region, data.nbytes)
    output = httpclient.InferRequestedOutput("output", binary_data=False)
    output.set_shared_memory(region, data.nbytes)
    client.infer("leaky_relu", [tensor], outputs=[output])


def timings(first, second, repeats):
    """Each call timed `repeats` times, the two interleaved so that a slow moment of the machine hits both."""
    times = ([], [])
    for _ in range(repeats):
        for call, kept in ((first, times[0]), (second, times[1])):
            started = time.perf_counter()
            call()
            kept.append(time.perf_counter() - started)
    return times


def main():
    client = httpclient.InferenceServerClient(sys.argv[1], network_timeout=600, connection_timeout=600)
    for label, count, repeats, pick in [("64 MiB", 16 << 20, 5, min), ("1 KiB", 256, 1000, statistics.median)]:
        data = (np.arange(count, dtype=np.float32) - count / 2)
        name = f"bench-{uuid.uuid4().hex[:8]}"
        handle = shm.create_shared_memory_region(name, f"/{name}", data.nbytes)
        try:
            shm.set_shared_memory_region(handle, [data])
            client.register_system_shared_memory(name, f"/{name}", data.nbytes)
            # In place: the same region is computed again each time (the answer is not checked here).
            http_times, shared_times = timings(
                lambda: over_http(client, data), lambda: in_shared_memory(client, data, name), repeats)
            http, shared = pick(http_times), pick(shared_times)
            print(f"{label} float32 via tritonclient: binary HTTP {http * 1e3:.2f} ms, shared memory in place "
                  f"{shared * 1e3:.2f} ms, ratio {http / shared:.1f}×")
        finally:
            client.unregister_system_shared_memory(name)
            shm.destroy_shared_memory_region(handle)


if __name__ == "__main__":
    main()
