from tests.support.claims import create_cert_app, register_org


def test_lists_are_paginated_with_links(applicant):
    org = register_org(applicant)
    for i in range(5):
        create_cert_app(applicant, org, certificate_number=f"C-{i}")
    first = applicant.get("/applications", page_size=2).json()
    assert first["count"] == 5 and len(first["results"]) == 2
    assert first["previous"] is None and "page=2" in first["next"]
    last = applicant.get("/applications", page=3, page_size=2).json()
    assert len(last["results"]) == 1 and last["next"] is None and "page=2" in last["previous"]


def test_page_size_over_200_or_bad_page_is_422(applicant):
    for params in ({"page_size": 201}, {"page": 0}, {"page": "x"}):
        response = applicant.get("/applications", **params)
        assert response.status_code == 422, params
        assert response["Content-Type"] == "application/problem+json"


def test_filters_by_status_and_programme(applicant):
    org = register_org(applicant)
    create_cert_app(applicant, org)
    assert applicant.get("/applications", status="draft").json()["count"] == 1
    assert applicant.get("/applications", status="paid").json()["count"] == 0
    assert applicant.get("/applications", program="navigation").json()["count"] == 0
    assert applicant.get("/applications", status="bogus").status_code == 422


def test_unknown_api_path_is_404_problem(applicant):
    response = applicant.get("/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
