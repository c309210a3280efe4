def test_programs_list_the_three_demo_programmes_with_budget_strings(applicant):
    from demo.seed import data_programs

    body = applicant.get("/programs").json()
    by_code = {p["code"]: p for p in body}
    # the contract's three, and the plan's other lines the demo defines as data only
    data = {d["code"] for d in data_programs(by_code["cert-subsidy"]["year"])}
    assert set(by_code) == {"cert-subsidy", "service-voucher", "navigation", *data}
    cert = by_code["cert-subsidy"]
    assert cert["levels"] == ["district", "city", "region"]
    assert cert["cap"] == "50000.00"
    assert cert["budget"] == {
        "allocated": "4000000.00",
        "committed": "0.00",
        "paid": "0.00",
        "available": "4000000.00",
    }
    assert cert["opens"].endswith("+06:00")  # Asia/Urumqi


def test_program_detail_has_the_contract_names(applicant):
    cert = applicant.get("/programs/cert-subsidy").json()
    assert [f["name"] for f in cert["fields"]] == [
        "standard",
        "certificate_number",
        "certification_body",
        "certified_on",
        "valid_until",
    ]
    kinds = {k["code"]: k["counts_toward_award"] for k in cert["cost_line_kinds"]}
    assert kinds == {
        "certification_fee": True,
        "consulting_fee": False,
        "coaching_fee": False,
        "evaluation_fee": False,
    }
    assert {a["code"]: a["required"] for a in cert["attachment_kinds"]} == {
        "certificate": True,
        "invoice": True,
        "other": False,  # 其他材料, on every programme
    }
    assert set(cert["rule_set"]) == {"version", "sha256"}


def test_unknown_programme_is_404_problem(applicant):
    response = applicant.get("/programs/nope")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_jurisdictions_are_the_gbt2260_tree(applicant):
    rows = {j["code"]: j for j in applicant.get("/jurisdictions").json()}
    assert rows["650102"]["name"] == "天山区" and rows["650102"]["parent"] == "650100"
    assert rows["650100"]["parent"] == "650000" and rows["650000"]["level"] == "region"
    assert len([r for r in rows.values() if r["level"] == "district"]) == 8
