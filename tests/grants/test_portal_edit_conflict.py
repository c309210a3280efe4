"""Issue 19, edits that lose nothing: the web form saves a merge patch (fields it does not show
stay), and a save from a form opened before someone else's change is refused with what was saved
meanwhile, instead of overwriting it; the person's typed values stay in the form."""

from __future__ import annotations

import re

from grants.models import Application
from tests.support.claims import create_cert_app, register_org
from tests.support.clients import login, web


def _form(client, app_id: int) -> dict[str, str]:
    html = client.get(f"/portal/applications/{app_id}/").content.decode()
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', html)
    assert seen, "the edit form carries the version it was opened on"
    app = Application.objects.get(pk=app_id)
    data = {f"field_{k}": str(v) for k, v in app.fields.items()}
    data["seen"] = seen.group(1)
    lines = list(app.cost_lines.all())
    data["cost_kind"] = [c.kind for c in lines]
    data["cost_amount"] = [str(c.amount) for c in lines]
    data["cost_reference"] = [c.reference for c in lines]
    return data


def test_a_save_over_a_change_made_meanwhile_is_refused_and_loses_nothing(demo):
    api = login("applicant")
    app_id = create_cert_app(api, register_org(api))["id"]
    client = web("applicant")
    form = _form(client, app_id)
    # meanwhile the certificate number is corrected through the API (or another window)
    assert (
        api.patch(
            f"/applications/{app_id}", {"fields": {"certificate_number": "GB-NEW-9"}}
        ).status_code
        == 200
    )
    form["field_certification_body"] = "中知(北京)认证有限公司"
    response = client.post(f"/portal/applications/{app_id}/", form)
    assert response.status_code == 200  # the form again, not a redirect: nothing saved
    html = response.content.decode()
    assert "在您打开此页面之后已在别处修改" in html and "GB-NEW-9" in html
    assert 'value="中知(北京)认证有限公司"' in html  # what the person typed is still there
    fields = Application.objects.get(pk=app_id).fields
    assert fields["certificate_number"] == "GB-NEW-9"
    assert fields["certification_body"] != "中知(北京)认证有限公司"
    # saving again from the refreshed form keeps both changes
    again = _form(client, app_id)
    again["field_certification_body"] = "中知(北京)认证有限公司"
    assert client.post(f"/portal/applications/{app_id}/", again).status_code == 302
    fields = Application.objects.get(pk=app_id).fields
    assert fields["certificate_number"] == "GB-NEW-9"
    assert fields["certification_body"] == "中知(北京)认证有限公司"


def test_a_form_save_keeps_the_fields_it_does_not_show(demo):
    api = login("applicant")
    app_id = create_cert_app(api, register_org(api))["id"]
    Application.objects.filter(pk=app_id).update(
        fields={**Application.objects.get(pk=app_id).fields, "kept_by_api": "x"}
    )
    client = web("applicant")
    form = _form(client, app_id)
    form.pop("field_kept_by_api")
    assert client.post(f"/portal/applications/{app_id}/", form).status_code == 302
    assert Application.objects.get(pk=app_id).fields.get("kept_by_api") == "x"
