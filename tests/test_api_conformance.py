"""Responses match the OpenAPI schema the portal publishes (``/api/schema/``), checked by schemathesis.

Regression tests for what the robustness suite's fuzzer (``make robustness``) found.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections


@pytest.fixture
def openapi(db):
    """The published schema, its operations called in-process on the real WSGI application. As in Django's test
    client, a request does not close the test's database connection (its transaction holds the fixtures)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def conforms(openapi, method: str, path: str, token_user, api, **kwargs) -> None:
    """Call ``method path`` as ``token_user`` and validate the answer against the schema (raises if it breaks it)."""
    operation = openapi[path][method]
    token = api(token_user)._credentials["HTTP_AUTHORIZATION"]
    if "body" in kwargs:
        kwargs.setdefault("media_type", "application/json")
    case = operation.Case(headers={"Authorization": token}, **kwargs)
    response = case.call()
    assert response.status_code < 500, response.text
    operation.validate_response(response)
    return response


def test_the_area_list_with_a_province_and_its_communes_matches_the_schema(openapi, api, province_admin, hamlet_a1):
    response = conforms(openapi, "GET", "/api/v1/areas/", province_admin, api, query={"page_size": 500})
    kinds = {(a["level"], a["parent"] is None) for a in response.json()["results"]}
    assert ("province", True) in kinds and ("hamlet", False) in kinds  # a province has no parent


def test_creating_and_editing_a_hamlet_answers_with_the_area_schema(openapi, api, commune_officer_a, commune_a):
    created = conforms(
        openapi, "POST", "/api/v1/areas/", commune_officer_a, api,
        body={"name": "Ấp Lược Đồ", "kind": "Ấp", "parent": commune_a.pk},
    )  # fmt: skip
    assert created.status_code == 201
    hamlet = created.json()["id"]
    edited = conforms(
        openapi, "PATCH", "/api/v1/areas/{id}/", commune_officer_a, api,
        path_parameters={"id": hamlet}, body={"name": "Ấp Lược Đồ 2"},
    )  # fmt: skip
    assert edited.json()["name"] == "Ấp Lược Đồ 2"


def test_the_kpis_of_an_area_come_as_a_page_as_the_schema_says(openapi, api, province_admin, hamlet_a1):
    response = conforms(
        openapi, "GET", "/api/v1/kpis/", province_admin, api, query={"area": hamlet_a1.pk, "period": "2026-10"}
    )
    assert response.status_code == 200
    assert {"count", "next", "previous", "results"} <= set(response.json())
