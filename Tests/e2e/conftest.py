"""Starts the release binary as a user would and hands tests its base URL."""
import os
import signal
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.path.abspath(os.environ.get("TENSOR_SERVICE_BIN", os.path.join(ROOT, ".build", "dist", "tensor-service")))


class RunningServer:
    def __init__(self, *args, env=None, stderr=None, preexec_fn=None):
        environment = dict(os.environ)
        environment.update(env or {})
        # Logs go to a file unless a test gives its own destination (a pipe nobody reads, a full filesystem).
        self.log = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            [BINARY, "--host", "127.0.0.1", *args],
            stdout=subprocess.PIPE, stderr=self.log if stderr is None else stderr, env=environment, text=True,
            preexec_fn=preexec_fn)
        line = self.process.stdout.readline().strip()
        assert line.startswith(("listening on http://", "listening on https://")), f"unexpected first line: {line!r}"
        self.url = line[len("listening on "):]
        self.port = int(self.url.rsplit(":", 1)[1])

    def logs(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self, timeout=30):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        if code != 0:
            # Shown by pytest with the failing test: why the server ended the way it did.
            print(f"server exited with {code}; its log:\n{self.logs()}")
        return code


def start_server(*args, env=None, stderr=None, preexec_fn=None):
    if "--port" not in args and not (env and "TENSOR_SERVICE_PORT" in env):
        args = ("--port", "0", *args)
    return RunningServer(*args, env=env, stderr=stderr, preexec_fn=preexec_fn)


@pytest.fixture(scope="session")
def server():
    running = start_server()
    yield running
    assert running.stop() == 0


@pytest.fixture(scope="session")
def base_url(server):
    return server.url
