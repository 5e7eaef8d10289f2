"""openapi.yaml is a valid OpenAPI 3.1 document, and the server serves exactly that file."""
import os

import requests
import yaml
from openapi_spec_validator import validate

from conftest import ROOT

SPEC = os.path.join(ROOT, "openapi.yaml")


def test_spec_is_valid_openapi_31():
    with open(SPEC) as handle:
        document = yaml.safe_load(handle)
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_served_spec_is_the_repository_file(base_url):
    with open(SPEC, "rb") as handle:
        expected = handle.read()
    response = requests.get(f"{base_url}/openapi.yaml")
    assert response.status_code == 200
    assert response.content == expected


def test_every_route_in_the_spec_answers_as_documented(base_url):
    with open(SPEC) as handle:
        document = yaml.safe_load(handle)
    for path, operations in document["paths"].items():
        if "get" in operations:
            response = requests.get(base_url + path)
            assert str(response.status_code) in operations["get"]["responses"], path
