"""The README's examples work as written: each curl or Python block, run against the service, prints the block
that follows it."""
import os
import re
import subprocess
import tempfile

import pytest

from conftest import ROOT, start_server

FENCE = re.compile(r"```(\w+)\n(.*?)```", re.S)


def examples():
    with open(os.path.join(ROOT, "README.md")) as handle:
        blocks = FENCE.findall(handle.read())
    pairs = []
    for (language, code), (next_language, expected) in zip(blocks, blocks[1:]):
        runnable = (language == "sh" and "curl" in code) or language == "python"
        if runnable and next_language in ("json", "text"):
            pairs.append((language, code, expected.strip()))
    return pairs


def test_the_readme_has_examples():
    languages = [language for language, _, _ in examples()]
    assert languages.count("sh") >= 4 and "python" in languages


@pytest.fixture(scope="module")
def shared_memory_url():
    server = start_server("--shared-memory", "system")
    yield server.url
    assert server.stop() == 0


@pytest.mark.parametrize("language,code,expected", examples())
def test_readme_example(request, language, code, expected):
    # Examples of the shared-memory extension need a server started with it.
    base_url = request.getfixturevalue("shared_memory_url" if "shared_memory" in code else "base_url")
    code = code.replace("http://localhost:8080", base_url).replace("localhost:8080", base_url.replace("http://", ""))
    command = ["bash", "-c", code] if language == "sh" else ["python3", "-c", code]
    with tempfile.TemporaryDirectory() as directory:
        result = subprocess.run(command, capture_output=True, text=True, cwd=directory, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
