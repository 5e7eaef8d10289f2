"""KServe V1 / TF Serving REST as the KServe SDK's default client and TF Serving's users call it."""
import numpy as np
import pytest
import requests

from reference import leaky_relu


def test_liveness_models_status_and_metadata(base_url):
    assert requests.get(f"{base_url}/").json() == {"status": "alive"}
    assert requests.get(f"{base_url}/v1/models").json() == {"models": ["leaky_relu"]}
    assert requests.get(f"{base_url}/v1/models/leaky_relu").json() == {"name": "leaky_relu", "ready": True}
    metadata = requests.get(f"{base_url}/v1/models/leaky_relu/metadata").json()
    assert metadata["model_spec"]["name"] == "leaky_relu"
    signature = metadata["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert list(signature["inputs"]) == ["input"] and list(signature["outputs"]) == ["output"]


@pytest.mark.parametrize("member,answer", [("instances", "predictions"), ("inputs", "outputs")])
def test_predict_mirrors_the_request(base_url, member, answer):
    instances = [[-2.0, 1.5], [0.25, -4.0]]
    response = requests.post(f"{base_url}/v1/models/leaky_relu:predict", json={member: instances})
    assert response.status_code == 200
    expected = leaky_relu(np.array(instances, dtype=np.float32), 0.01, "float32")
    assert np.array(response.json()[answer], dtype=np.float32).tolist() == expected.tolist()
    sloped = requests.post(f"{base_url}/v1/models/leaky_relu:predict?negative_slope=0.5", json={member: [-2]})
    assert sloped.json() == {answer: [-1.0]}
    in_body = requests.post(f"{base_url}/v1/models/leaky_relu:predict", json={member: [-2], "negative_slope": 0.5,
                                                                                 "dtype": "float64"})
    assert in_body.json() == {answer: [-1.0]}


def test_kserve_sdk_style_request(base_url):
    """The KServe SDK's V1 client posts {"instances": ...} with Content-Type application/json and reads
    "predictions"; a large batch works the same."""
    batch = np.random.default_rng(3).standard_normal((64, 128)).astype(np.float32)
    response = requests.post(f"{base_url}/v1/models/leaky_relu:predict", json={"instances": batch.tolist()},
                             headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    got = np.array(response.json()["predictions"], dtype=np.float32)
    assert got.shape == (64, 128) and np.array_equal(got, leaky_relu(batch, 0.01, "float32"))


@pytest.mark.parametrize("path,body,status,words", [
    ("/v1/models/resnet:predict", {"instances": [1]}, 404, "resnet"),
    ("/v1/models/leaky_relu:predict", {"instance": [1]}, 400, '"instances", "inputs"'),
    ("/v1/models/leaky_relu:predict", {"instances": [1], "inputs": [1]}, 400, "appears twice"),
    ("/v1/models/leaky_relu:predict", {"instances": [[1], [1, 2]]}, 400, "ragged"),
    ("/v1/models/leaky_relu:predict", {"instances": [1], "dtype": "int32"}, 422, "int32"),
])
def test_errors_are_error_objects_and_the_server_goes_on(base_url, path, body, status, words):
    response = requests.post(f"{base_url}{path}", json=body)
    assert response.status_code == status and words in response.json()["error"], response.text
    assert requests.get(f"{base_url}/v1/models/leaky_relu").status_code == 200
    wrong_method = requests.get(f"{base_url}/v1/models/leaky_relu:predict")
    assert wrong_method.status_code == 405 and wrong_method.headers["Allow"] == "POST" and "error" in wrong_method.json()
