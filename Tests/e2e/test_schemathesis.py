"""Schemathesis against the running server and its own openapi.yaml: no 5xx, and statuses, content types, headers
and bodies as documented. (Positive-data acceptance is not checked: rules such as "shape must match data" or
"ragged arrays are 400" cannot be written in a schema, so schema-valid requests may rightly be refused.)"""
import os
import subprocess

import requests

from conftest import ROOT

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance"


def test_schemathesis_finds_nothing(server):
    result = subprocess.run(
        ["schemathesis", "run", os.path.join(ROOT, "openapi.yaml"), "--url", server.url, "--checks", CHECKS,
         "--max-examples", os.environ.get("SCHEMATHESIS_EXAMPLES", "60"), "--seed", "20261129", "--no-color"],
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert requests.get(f"{server.url}/healthz").status_code == 200, "the server survived"
