"""The OpenAPI document and the docs page."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    ("get", "/api/v1/audits/mine"): {"200", "401"},
    ("get", "/api/v1/audits/{audit_id}/workspace"): {"200", "401", "404"},
    ("get", "/api/v1/findings/"): {"200", "401"},
    ("get", "/api/v1/findings/{finding_id}"): {"200", "401", "404"},
    ("put", "/api/v1/findings/{finding_id}"): {"200", "201", "401", "403", "404", "409", "422"},
    ("get", "/api/v1/findings/{finding_id}/photos/{photo_id}"): {"200", "401", "404"},
    ("put", "/api/v1/findings/{finding_id}/photos/{photo_id}"): {
        "200",
        "201",
        "202",
        "401",
        "403",
        "404",
        "413",
        "422",
    },
    ("put", "/api/v1/checklist-items/{item_id}"): {"200", "401", "403", "404", "409", "422"},
}


def test_the_openapi_document_lists_every_endpoint_with_its_responses():
    schema = Client().get("/api/v1/openapi.json").json()
    assert schema["info"]["version"] == "1"
    operations = {
        (method, path): set(operation["responses"])
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    assert set(operations) == set(ENDPOINTS)
    for key, responses in ENDPOINTS.items():
        assert responses <= operations[key], key
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}


def test_the_docs_page_loads_nothing_from_another_host_and_runs_no_inline_script():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.text
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    for attributes, _body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert '"validatorUrl": null' in html
