"""The OpenAPI 3.1 document: valid, covers every /api/v1 route, and its reference page stays on the origin."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from playwright.sync_api import sync_playwright

from service.api.openapi import build
from tests.viewer.browser import PageLog
from tests.viewer.browser import launch
from tests.viewer.browser import origin


def test_document_is_valid_openapi_3_1(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    doc = r.get_json()
    assert doc["openapi"] == "3.1.0"
    validate(doc)


def test_every_api_route_is_in_the_document(app):
    doc = build(app)
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method.lower() not in doc["paths"].get(path, {}):
                missing.append(f"{method} {path} ({rule.endpoint})")
    assert missing == []
    assert len(doc["paths"]) >= 10


def test_a_route_without_a_description_is_reported(app):
    app.add_url_rule("/api/v1/undocumented", "undocumented", lambda: "")
    assert "/api/v1/undocumented" not in build(app)["paths"]  # so the test above would fail for it


def test_routes_of_other_modules_are_described_by_path(app):
    app.add_url_rule("/api/v1/stats", "stats_elsewhere", lambda: "")
    op = build(app)["paths"]["/api/v1/stats"]["get"]
    assert [p["name"] for p in op["parameters"]] == ["from", "to"]
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Stats")


def test_every_operation_documents_its_errors_and_limits(app):
    for path, ops in build(app)["paths"].items():
        for method, op in ops.items():
            assert "429" in op["responses"] and "Retry-After" in op["responses"]["429"]["headers"], (method, path)
            assert "default" in op["responses"]
            if op.get("security") != []:
                assert {"401", "403"} <= set(op["responses"]), (method, path)


@pytest.mark.slow
def test_reference_page_renders_without_leaving_the_origin(live):
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page()
            log = PageLog(page)
            response = page.goto(f"{live.url}/api/docs")
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_selector(".opblock", timeout=60_000)
            assert page.locator(".opblock").count() >= 13
            assert "/api/v1/webhooks/deliveries/{delivery_id}/resend" in page.content()
            assert {origin(u) for u in log.requests} == {live.url}
            assert log.console_errors == []
        finally:
            browser.close()
