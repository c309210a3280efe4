"""The agency registry list filters by status and service on every database, and says
which values it takes (found by schemathesis: a 500 on SQLite)."""


def test_the_registry_filters_by_service_and_status(as_user):
    admin = as_user("admin")
    listed = admin.get("/agencies", service="custody", status="admitted")
    assert listed.status_code == 200, listed.content
    assert listed.json()["count"] >= 1  # the demo agency offers custody
    assert admin.get("/agencies", service="navigation").status_code == 200
    bad = admin.get("/agencies", service="astrology", status="sleeping")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"service", "status"}
