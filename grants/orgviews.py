"""Pages for an organisation's people and proofs.

- applicants: the organisation's page (members and roles, join requests to decide,
  invitations, bank details with their confirmation, authorisation letters), the join
  request or claim form, the invitation link;
- district reviewers: the organisations of their district with something to check
  (letters, disputes, bank details where there is one administrator) and each one's page;
- administrators: exceptions to the USCC region check.

Every change goes through ``grants.organizations``; a domain error is shown at its field
with the input kept.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grants import organizations
from grants.auth import AuthenticatedRequest
from grants.errors import DomainError, InvalidInput
from grants.models import (
    AuthorityLetter,
    BankDetailsChange,
    Invitation,
    JoinRequest,
    Jurisdiction,
    Level,
    Membership,
    Organization,
    OrganizationDispute,
    Role,
    UsccRegionOverride,
)
from grants.orgchecks import BANK_FIELDS
from grants.selectors import (
    checks_organizations_of,
    has_role,
    organization_frozen,
    organization_role,
    organizations_to_check,
    reviewer_jurisdictions,
)


def _by_field(exc: DomainError) -> dict[str, list[str]]:
    """A domain error's messages by field (``bank_account.account_number`` →
    ``bank_account_number``, the form's name); one without a field under ``general``."""
    out: dict[str, list[str]] = {}
    for item in exc.errors:
        field = item.get("field", "").replace("bank_account.", "bank_") or "general"
        out.setdefault(field, []).append(item.get("message", ""))
    if not out:
        out["general"] = [exc.detail]
    return out


def _bank_posted(post: Any) -> dict[str, str]:
    """The bank fields of a form (``bank_account_name`` …) as the service takes them."""
    return {key: post.get(f"bank_{key}", "").strip() for key in BANK_FIELDS}


def _org_for_member(request: AuthenticatedRequest, pk: int) -> tuple[Organization, str]:
    org = Organization.objects.select_related("district").filter(pk=pk).first()
    role = organization_role(request.user, pk) if org is not None else None
    if org is None or role is None:
        raise Http404(_("No such organisation, or it is not visible to you."))
    return org, role


# ---------------------------------------------------------------- the organisation's page


def _organization_context(org: Organization) -> dict[str, Any]:
    pending_change = (
        BankDetailsChange.objects.filter(organization=org, status=BankDetailsChange.Status.PENDING)
        .select_related("proposed_by")
        .first()
    )
    return {
        "org": org,
        "members": Membership.objects.filter(organization=org)
        .select_related("user")
        .order_by("created_at", "id"),
        "admin_count": Membership.objects.filter(
            organization=org, role=Membership.Role.ADMIN
        ).count(),
        "pending_change": pending_change,
        "letters": AuthorityLetter.objects.filter(organization=org).select_related("uploaded_by"),
        "dispute": organization_frozen(org.pk),
        "roles": Membership.Role.choices,
    }


@login_required
def organization_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    org, role = _org_for_member(request, pk)
    return _render_organization(request, org, role)


def _render_organization(
    request: AuthenticatedRequest,
    org: Organization,
    role: str,
    errors: dict[str, list[str]] | None = None,
    form: dict[str, Any] | None = None,
) -> HttpResponse:
    is_admin = role == Membership.Role.ADMIN
    context = _organization_context(org)
    pending_change: BankDetailsChange | None = context["pending_change"]
    context.update(
        my_role=role,
        is_admin=is_admin,
        can_decide_change=pending_change is not None
        and organizations.may_decide_bank_change(request.user, pending_change),
        requests=JoinRequest.objects.filter(
            organization=org, status=JoinRequest.Status.PENDING, kind=JoinRequest.Kind.JOIN
        ).select_related("user")
        if is_admin
        else [],
        invitations=Invitation.objects.filter(
            organization=org, status=Invitation.Status.PENDING
        ).select_related("invited_by")
        if is_admin
        else [],
        errors=errors or {},
        form=form or {},
    )
    return render(request, "portal/organization.html", context)


@login_required
@require_POST
def organization_action(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    """One form on the organisation's page, named by ``action``."""
    org, role = _org_for_member(request, pk)
    post = request.POST
    form: dict[str, Any] = {"action": action}
    try:
        if action == "invite":
            form.update(email=post.get("email", ""), role=post.get("role", "staff"))
            organizations.invitation_send(
                actor=request.user, organization=org, email=form["email"], role=form["role"]
            )
            done = _("Invitation sent to %(email)s.") % {"email": form["email"]}
        elif action == "revoke":
            invitation = Invitation.objects.filter(
                pk=_int(post.get("invitation")), organization=org
            ).first()
            if invitation is None:
                raise Http404
            organizations.invitation_revoke(actor=request.user, invitation=invitation)
            done = _("Invitation revoked.")
        elif action in ("approve", "reject"):
            join = JoinRequest.objects.filter(
                pk=_int(post.get("request")), organization=org
            ).first()
            if join is None:
                raise Http404
            form.update(reason=post.get("reason", ""), request=join.pk)
            organizations.join_request_decide(
                actor=request.user,
                join_request=join,
                approve=action == "approve",
                reason=form["reason"],
            )
            done = _("Request approved.") if action == "approve" else _("Request rejected.")
        elif action == "role":
            organizations.member_set_role(
                actor=request.user,
                organization=org,
                user_id=_int(post.get("user")),
                role=post.get("role", ""),
            )
            done = _("Role changed.")
        elif action == "remove":
            user_id = _int(post.get("user"))
            organizations.member_remove(actor=request.user, organization=org, user_id=user_id)
            if user_id == request.user.pk:
                messages.success(request, _("You no longer act for %(org)s.") % {"org": org.name})
                return redirect("portal")
            done = _("Member removed.")
        elif action == "bank":
            form.update({f"bank_{k}": v for k, v in _bank_posted(post).items()})
            organizations.bank_details_propose(
                actor=request.user, organization=org, details=_bank_posted(post)
            )
            done = _("New bank details saved: they are used once confirmed.")
        elif action in ("bank-confirm", "bank-reject", "bank-withdraw"):
            form.update(comment=post.get("comment", ""))
            done = _bank_decision(request, org, action)
        elif action == "letter":
            organizations.authority_letter_add(
                actor=request.user, organization=org, upload=request.FILES.get("file")
            )
            done = _("Authorisation letter sent to the district reviewer.")
        else:
            raise Http404
    except DomainError as exc:  # the page again, the error at its field, the input kept
        return _render_organization(request, org, role, _by_field(exc), form)
    messages.success(request, done)
    return redirect("portal-organization", pk=pk)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _bank_decision(request: AuthenticatedRequest, org: Organization, action: str) -> str:
    change = BankDetailsChange.objects.filter(
        pk=_int(request.POST.get("change")), organization=org
    ).first()
    if change is None:
        raise Http404
    if action == "bank-withdraw":
        organizations.bank_details_withdraw(actor=request.user, change=change)
        return _("The change was withdrawn.")
    organizations.bank_details_decide(
        actor=request.user,
        change=change,
        confirm=action == "bank-confirm",
        comment=request.POST.get("comment", ""),
    )
    return (
        _("Bank details confirmed: awards are paid to them from now on.")
        if action == "bank-confirm"
        else _("The new bank details were rejected.")
    )


@login_required
def letter_file(request: AuthenticatedRequest, pk: int, letter_id: int) -> FileResponse:
    """A letter, for the organisation's administrators and its district's reviewers."""
    org = Organization.objects.select_related("district").filter(pk=pk).first()
    if org is None or not (
        organization_role(request.user, pk) == Membership.Role.ADMIN
        or checks_organizations_of(request.user, org)
    ):
        raise Http404(_("No such letter."))
    letter = AuthorityLetter.objects.filter(pk=letter_id, organization=org).first()
    if letter is None:
        raise Http404(_("No such letter."))
    response = FileResponse(
        letter.file.open("rb"),
        content_type="application/pdf",
        as_attachment=request.GET.get("inline") != "1",
        filename=letter.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------- join requests, claims, invitations


@login_required
def join(request: AuthenticatedRequest) -> HttpResponse:
    """Ask to join an organisation registered under a code, or claim it with a letter."""
    form = {
        "uscc": request.GET.get("uscc", "").strip().upper(),
        "message": "",
        "claim": False,
    }
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = {
            "uscc": request.POST.get("uscc", "").strip().upper(),
            "message": request.POST.get("message", "").strip(),
            "claim": request.POST.get("claim") == "1",
        }
        org = organizations.organization_by_uscc(str(form["uscc"]))
        if org is None:
            errors["uscc"] = [
                _("No organisation is registered under this code: register it yourself.")
            ]
        else:
            try:
                if form["claim"]:
                    organizations.claim_create(
                        actor=request.user,
                        organization_id=org.pk,
                        message=str(form["message"]),
                        letter=request.FILES.get("file"),
                    )
                    done = _(
                        "Claim sent. The district reviewer checks your authorisation letter; "
                        "you will be told the outcome."
                    )
                else:
                    organizations.join_request_create(
                        actor=request.user, organization_id=org.pk, message=str(form["message"])
                    )
                    done = _(
                        "Request sent to the organisation's administrators; you will be told "
                        "when they decide."
                    )
            except DomainError as exc:
                errors = _by_field(exc)
                if "general" in errors:
                    errors.setdefault("uscc", []).extend(errors.pop("general"))
            else:
                messages.success(request, done)
                return redirect("portal")
    return render(request, "portal/organization_join.html", {"form": form, "errors": errors})


def invitation(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """The link in the invitation e-mail: what it is for, then accept (logged in)."""
    try:
        invite = organizations.invitation_by_token(token)
    except DomainError as exc:
        return render(request, "portal/invitation.html", {"error": exc.detail}, status=404)
    error = ""
    if request.method == "POST" and request.user.is_authenticated:
        try:
            membership = organizations.invitation_accept(actor=request.user, token=token)
        except DomainError as exc:
            error = exc.detail
        else:
            messages.success(
                request,
                _("You now act for %(org)s.") % {"org": membership.organization.name},
            )
            return redirect("portal-organization", pk=membership.organization_id)
    return render(
        request,
        "portal/invitation.html",
        {
            "invite": invite,
            "role_label": Membership.Role(invite.role).label
            if invite.role in Membership.Role.values
            else invite.role,
            "error": error,
        },
    )


# ---------------------------------------------------------------- district reviewers


@login_required
def review_list(request: AuthenticatedRequest) -> HttpResponse:
    districts = [j for j in reviewer_jurisdictions(request.user) if j.level == Level.DISTRICT]
    if not districts and not has_role(request.user, Role.ADMIN):
        raise Http404(_("Only district reviewers check organisations."))
    return render(
        request,
        "grants/organization_checks.html",
        {
            "organizations": organizations_to_check(request.user)[:200],
            "districts": districts,
            "is_admin": has_role(request.user, Role.ADMIN),
        },
    )


def _reviewed_org(request: AuthenticatedRequest, pk: int) -> Organization:
    org = Organization.objects.select_related("district").filter(pk=pk).first()
    if org is None or not checks_organizations_of(request.user, org):
        raise Http404(_("No such organisation, or it is not visible to you."))
    return org


@login_required
def review_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _render_review(request, _reviewed_org(request, pk))


def _render_review(
    request: AuthenticatedRequest,
    org: Organization,
    errors: dict[str, list[str]] | None = None,
    form: dict[str, Any] | None = None,
) -> HttpResponse:
    context = _organization_context(org)
    pending_change: BankDetailsChange | None = context["pending_change"]
    context.update(
        claims=JoinRequest.objects.filter(organization=org, kind=JoinRequest.Kind.CLAIM)
        .select_related("user")
        .order_by("-id"),
        disputes=OrganizationDispute.objects.filter(organization=org).select_related("claim__user"),
        can_decide_change=pending_change is not None
        and organizations.may_decide_bank_change(request.user, pending_change),
        errors=errors or {},
        form=form or {},
    )
    return render(request, "grants/organization_check.html", context)


@login_required
@require_POST
def review_action(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    org = _reviewed_org(request, pk)
    post = request.POST
    form: dict[str, Any] = {"action": action}
    try:
        if action == "letter":
            letter = AuthorityLetter.objects.filter(
                pk=_int(post.get("letter")), organization=org
            ).first()
            if letter is None:
                raise Http404
            form.update(letter=letter.pk, comment=post.get("comment", ""))
            decision = post.get("decision", "")
            if decision not in ("accept", "refuse"):
                raise InvalidInput(
                    [{"field": "decision", "message": _("Choose accept or refuse.")}]
                )
            organizations.authority_letter_check(
                actor=request.user,
                letter=letter,
                accepted=decision == "accept",
                comment=form["comment"],
            )
            done = _("Letter checked.")
        elif action == "open":
            form.update(reason=post.get("reason", ""))
            organizations.dispute_open(actor=request.user, organization=org, reason=form["reason"])
            done = _("Dispute opened: the organisation takes no new application until resolved.")
        elif action == "resolve":
            dispute = OrganizationDispute.objects.filter(
                pk=_int(post.get("dispute")), organization=org
            ).first()
            if dispute is None:
                raise Http404
            form.update(
                resolution=post.get("resolution", ""),
                outcome=post.get("outcome", ""),
                remove_others=post.get("remove_others") == "1",
            )
            organizations.dispute_resolve(
                actor=request.user,
                dispute=dispute,
                outcome=form["outcome"],
                resolution=form["resolution"],
                remove_others=form["remove_others"],
            )
            done = _("Dispute resolved: the organisation can file applications again.")
        elif action in ("bank-confirm", "bank-reject"):
            form.update(comment=post.get("comment", ""))
            done = _bank_decision(request, org, action)
        else:
            raise Http404
    except DomainError as exc:
        return _render_review(request, org, _by_field(exc), form)
    messages.success(request, done)
    return redirect("review-organization", pk=pk)


# ---------------------------------------------------------------- administrators


@login_required
def region_exceptions(request: AuthenticatedRequest) -> HttpResponse:
    """Administrators allow, with a reason, a USCC from outside the district's city."""
    if not has_role(request.user, Role.ADMIN):
        raise Http404(_("Only administrators allow exceptions to the region check."))
    form = {"uscc": request.GET.get("uscc", ""), "district": "", "reason": ""}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = {k: request.POST.get(k, "").strip() for k in ("uscc", "district", "reason")}
        try:
            organizations.region_override_grant(actor=request.user, **form)
        except DomainError as exc:
            errors = _by_field(exc)
            if "general" in errors:
                errors.setdefault("uscc", []).extend(errors.pop("general"))
        else:
            messages.success(
                request,
                _("Exception recorded: %(uscc)s may now be registered in that district.")
                % {"uscc": form["uscc"].upper()},
            )
            return redirect("region-exceptions")
    return render(
        request,
        "grants/region_exceptions.html",
        {
            "form": form,
            "errors": errors,
            "districts": Jurisdiction.objects.filter(level=Level.DISTRICT),
            "exceptions": UsccRegionOverride.objects.select_related(
                "district", "created_by", "organization"
            )[:200],
        },
    )
