"""Domain actions on an organisation's people, its proof of authority and its bank details.

- **People**: the first registrant is the organisation's administrator. Administrators
  invite colleagues by e-mail, decide join requests, give roles (administrator, staff)
  and remove members; anyone may leave, except the last administrator.
- **Join requests**: someone who finds the USCC already registered asks to join; the
  administrators approve or reject; until approved the requester sees nothing of it.
- **Claims and disputes**: someone who says the registrant had no authority files a claim
  with an authorisation letter (授权委托书): the organisation is disputed, takes no new
  application, and a district reviewer of its district resolves the dispute (upheld: the
  claimant becomes its administrator; dismissed: the registration stands). Letters given
  at registration are checked by the same reviewer.
- **Bank details**: given at registration they count as confirmed; a later change waits
  until another administrator (or, where the organisation has one administrator, a
  district reviewer) confirms it. Payments use confirmed details only.
- **USCC region exceptions**: an administrator allows, with a reason, a USCC whose
  registration authority lies outside the chosen district's city.

One function per action, keyword-only; guard, then change; an audit row in the same
transaction as every change; notifications through ``grants.notifications.notify``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.audit import audit_record
from grants.errors import Conflict, Forbidden, InvalidInput, NotFound, UnsupportedFile
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
    RoleAssignment,
    UsccRegionOverride,
    User,
    validate_uscc,
)
from grants.notifications import notify
from grants.orgchecks import BankDetails, clean_bank_details, masked, uscc_region_allowed
from grants.outbox import outbox_enqueue
from grants.reviewers import reviewers_at
from grants.selectors import (
    checks_organizations_of,
    has_role,
    is_org_admin,
    memberships_changed,
    organization_admins,
    organization_frozen,
    organization_role,
)
from grants.uploads import check_upload

INVITATION_DAYS = 14
INVITATION_SALT = "fundflow.grants.invitation"
ROLES = (Membership.Role.ADMIN, Membership.Role.STAFF)


# ---------------------------------------------------------------- helpers


def _text(value: Any, field: str, *, max_length: int = 2000, required: bool = False) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise InvalidInput([{"field": field, "message": _("This field is required.")}])
    if len(text) > max_length:
        raise InvalidInput(
            [{"field": field, "message": _("At most %(n)d characters.") % {"n": max_length}}]
        )
    return text


def _locked(organization: Organization) -> Organization:
    """The organisation row, locked: membership changes of one organisation run one at a
    time, so two administrators leaving at once cannot leave it without one."""
    return (
        Organization.objects.select_for_update().select_related("district").get(pk=organization.pk)
    )


def _require_admin(actor: User, organization: Organization) -> None:
    """An administrator of the organisation; a member who is not gets 403, anyone else 404."""
    role = organization_role(actor, organization.pk)
    if role == Membership.Role.ADMIN:
        return
    if role is None:
        raise NotFound(_("No such organisation, or it is not visible to you."))
    raise Forbidden(_("Only the organisation's administrators may do this."))


def _require_district_reviewer(actor: User, organization: Organization) -> None:
    if not checks_organizations_of(actor, organization):
        raise Forbidden(
            _("Only a reviewer of %(district)s may do this.")
            % {"district": organization.district.display_name}
        )


def _district_reviewers(organization: Organization) -> list[User]:
    return reviewers_at(Level.DISTRICT, organization.district)


def _admin_count(organization: Organization) -> int:
    return Membership.objects.filter(organization=organization, role=Membership.Role.ADMIN).count()


def _role_label(role: str) -> str:
    return str(Membership.Role(role).label) if role in Membership.Role.values else role


def _notify(users: Iterable[User], kind: str, organization: Organization, **context: Any) -> None:
    notify(users=list(users), kind=kind, context={"organization": organization, **context})


@contextmanager
def files_removed_on_error() -> Iterator[list[tuple[Storage, str]]]:
    """Files stored inside the block are deleted again if it fails: no file without its row."""
    stored: list[tuple[Storage, str]] = []
    try:
        yield stored
    except BaseException:
        for storage, name in stored:
            storage.delete(name)
        raise


def _store_letter(
    *,
    actor: User,
    organization: Organization,
    upload: UploadedFile | None,
    stored: list[tuple[Storage, str]],
    join_request: JoinRequest | None = None,
) -> AuthorityLetter:
    """An authorisation letter saved with the organisation, in the caller's transaction:
    a PDF by its content, at most the upload limit."""
    if upload is None:
        raise InvalidInput(
            [{"field": "file", "message": _("Attach the authorisation letter (PDF).")}]
        )
    checked = check_upload(upload, max_bytes=settings.FUNDFLOW_MAX_UPLOAD_BYTES)
    if checked.content_type != "application/pdf":
        raise UnsupportedFile(_("The authorisation letter must be a PDF file."))
    letter = AuthorityLetter(
        organization=organization,
        join_request=join_request,
        original_name=(upload.name or "letter.pdf")[-255:],
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    letter.file.save("letter.pdf", upload, save=False)
    stored.append((letter.file.storage, letter.file.name or ""))
    letter.save()
    audit_record(
        actor=actor,
        action="organization.letter_add",
        obj=letter,
        role=Role.APPLICANT,
        data={
            "organization": organization.pk,
            "claim": join_request.pk if join_request else None,
            "name": letter.original_name,
            "sha256": checked.sha256,
            "size": checked.size,
        },
    )
    return letter


# ---------------------------------------------------------------- registration's extras


def letter_for_check(
    *,
    actor: User,
    organization: Organization,
    upload: UploadedFile | None,
    stored: list[tuple[Storage, str]],
) -> AuthorityLetter:
    """An organisation's letter, stored in the caller's transaction (a registration's, or
    one given later): the district's reviewers are told there is a letter to check."""
    letter = _store_letter(actor=actor, organization=organization, upload=upload, stored=stored)
    _notify(_district_reviewers(organization), "org_check", organization, what="letter")
    return letter


def region_override_for(uscc: str, district: Jurisdiction) -> UsccRegionOverride | None:
    """An unused exception for this code in this district, locked for the registration."""
    return (
        UsccRegionOverride.objects.select_for_update()
        .filter(uscc=uscc, district=district, organization__isnull=True)
        .first()
    )


def region_override_grant(
    *, actor: User, uscc: str, district: str, reason: str
) -> UsccRegionOverride:
    """An administrator allows, with a reason, a USCC whose registration authority lies
    outside the city of ``district``: its next registration in that district passes."""
    if not has_role(actor, Role.ADMIN):
        raise Forbidden(_("Only administrators may allow an exception to the region check."))
    errors: list[dict[str, str]] = []
    uscc = (uscc or "").strip().upper() if isinstance(uscc, str) else ""
    try:
        validate_uscc(uscc)
    except ValidationError as exc:
        errors.append({"field": "uscc", "message": " ".join(exc.messages)})
    place = (
        Jurisdiction.objects.filter(code=district, level=Level.DISTRICT)
        .select_related("parent")
        .first()
        if isinstance(district, str)
        else None
    )
    if place is None:
        errors.append(
            {
                "field": "district",
                "message": _("“%(d)s” is not a district code (GB/T 2260).") % {"d": district},
            }
        )
    try:
        reason = _text(reason, "reason", max_length=1000, required=True)
    except InvalidInput as exc:
        errors.extend(exc.errors)
    if errors or place is None:
        raise InvalidInput(errors)
    if uscc_region_allowed(uscc, place):
        raise InvalidInput(
            [
                {
                    "field": "uscc",
                    "message": _("This code passes the region check; no exception is needed."),
                }
            ]
        )
    if Organization.objects.filter(uscc=uscc).exists():
        raise Conflict(
            _("An organisation with this unified social credit code is already registered.")
        )
    try:
        with transaction.atomic():
            override = UsccRegionOverride.objects.create(
                uscc=uscc, district=place, reason=reason, created_by=actor
            )
            audit_record(
                actor=actor,
                action="organization.region_override",
                obj=override,
                role=Role.ADMIN,
                comment=reason,
                data={"uscc": uscc, "district": place.code, "region": uscc[2:8]},
            )
    except IntegrityError:
        raise Conflict(
            _("An exception for this code in this district is already waiting to be used.")
        ) from None
    return override


# ---------------------------------------------------------------- join requests and claims


def is_row_id(value: Any) -> bool:
    """Whether ``value`` can be a row's id: an int within the databases' 64-bit integers
    (SQLite refuses a larger parameter outright, a 500 rather than a 404)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _find_organization(organization_id: Any) -> Organization:
    org = (
        Organization.objects.select_related("district").filter(pk=organization_id).first()
        if is_row_id(organization_id)
        else None
    )
    if org is None:
        raise NotFound(_("No organisation is registered under this number."))
    return org


def organization_by_uscc(uscc: str) -> Organization | None:
    """The organisation registered under a code (what someone who holds the code may learn:
    that it is registered, and the number to send a join request to)."""
    code = (uscc or "").strip().upper()
    return Organization.objects.select_related("district").filter(uscc=code).first()


def join_request_create(*, actor: User, organization_id: Any, message: str = "") -> JoinRequest:
    """Ask to act for an organisation someone else registered; its administrators decide."""
    if not has_role(actor, Role.APPLICANT):
        raise Forbidden(_("Only applicants ask to join an organisation."))
    org = _find_organization(organization_id)
    message = _text(message, "message", max_length=1000)
    if organization_role(actor, org.pk) is not None:
        raise Conflict(_("You already act for this organisation."))
    admins = organization_admins(org.pk)
    if not admins:
        raise Conflict(
            _(
                "This organisation has no administrator to decide a request. If you act for "
                "it, file a claim with an authorisation letter: the district reviewer decides."
            )
        )
    try:
        with transaction.atomic():
            request = JoinRequest.objects.create(
                organization=org, user=actor, kind=JoinRequest.Kind.JOIN, message=message
            )
            audit_record(
                actor=actor,
                action="organization.join_request",
                obj=request,
                role=Role.APPLICANT,
                comment=message,
                data={"organization": org.pk, "user": actor.username},
            )
            _notify(admins, "join_request", org, requester=actor, join_request=request)
    except IntegrityError:
        raise Conflict(
            _("You have already sent a request to this organisation; it is waiting for a decision.")
        ) from None
    return request


def claim_create(
    *, actor: User, organization_id: Any, message: str, letter: UploadedFile | None
) -> JoinRequest:
    """Claim an organisation someone else registered, with an authorisation letter: the
    organisation is disputed (no new application) until a district reviewer resolves it."""
    if not has_role(actor, Role.APPLICANT):
        raise Forbidden(_("Only applicants claim an organisation."))
    org = _find_organization(organization_id)
    message = _text(message, "message", max_length=2000, required=True)
    if is_org_admin(actor, org.pk):
        raise Conflict(_("You are already an administrator of this organisation."))
    try:
        with files_removed_on_error() as stored, transaction.atomic():
            org = _locked(org)
            if organization_frozen(org.pk) is not None:
                raise Conflict(
                    _(
                        "This organisation is already disputed; the district reviewer is "
                        "checking it. Try again once that is resolved."
                    )
                )
            claim = JoinRequest.objects.create(
                organization=org, user=actor, kind=JoinRequest.Kind.CLAIM, message=message
            )
            audit_record(
                actor=actor,
                action="organization.claim",
                obj=claim,
                role=Role.APPLICANT,
                comment=message,
                data={"organization": org.pk, "user": actor.username},
            )
            _store_letter(
                actor=actor, organization=org, upload=letter, stored=stored, join_request=claim
            )
            _dispute_open(actor=actor, organization=org, reason=message, claim=claim)
    except IntegrityError:
        raise Conflict(
            _("You have already sent a request to this organisation; it is waiting for a decision.")
        ) from None
    return claim


def _dispute_open(
    *, actor: User, organization: Organization, reason: str, claim: JoinRequest | None
) -> OrganizationDispute:
    dispute = OrganizationDispute.objects.create(
        organization=organization, claim=claim, reason=reason, opened_by=actor
    )
    audit_record(
        actor=actor,
        action="organization.dispute_open",
        obj=dispute,
        role=Role.APPLICANT if claim else Role.REVIEWER,
        comment=reason,
        data={"organization": organization.pk, "claim": claim.pk if claim else None},
    )
    _notify(_district_reviewers(organization), "org_check", organization, what="dispute")
    _notify(organization_admins(organization.pk), "dispute_opened", organization)
    return dispute


def _request_locked(join_request: JoinRequest) -> JoinRequest:
    locked = (
        JoinRequest.objects.select_for_update(of=("self",))
        .select_related("organization__district", "user")
        .get(pk=join_request.pk)
    )
    if locked.status != JoinRequest.Status.PENDING:
        raise Conflict(
            _("This request was already decided: %(status)s.")
            % {"status": locked.get_status_display()}
        )
    return locked


def join_request_decide(
    *, actor: User, join_request: JoinRequest, approve: bool, reason: str = ""
) -> JoinRequest:
    """An administrator approves (the requester becomes staff) or rejects a join request."""
    _require_admin(actor, join_request.organization)
    reason = _text(reason, "reason", max_length=1000)
    with transaction.atomic():
        org = _locked(join_request.organization)
        request = _request_locked(join_request)
        if request.kind == JoinRequest.Kind.CLAIM:
            raise Conflict(
                _("A claim is decided by the district reviewer when the dispute is resolved.")
            )
        _require_admin(actor, org)  # again, under the lock
        request.status = JoinRequest.Status.APPROVED if approve else JoinRequest.Status.REJECTED
        request.decided_by = actor
        request.decided_at = timezone.now()
        request.reason = reason
        request.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        if approve:
            Membership.objects.get_or_create(
                user=request.user, organization=org, defaults={"role": Membership.Role.STAFF}
            )
            RoleAssignment.objects.get_or_create(
                user=request.user, role=Role.APPLICANT, level="", jurisdiction=None
            )
            memberships_changed(request.user)
        audit_record(
            actor=actor,
            action="organization.join_approve" if approve else "organization.join_reject",
            obj=request,
            role=Role.APPLICANT,
            comment=reason,
            data={"organization": org.pk, "user": request.user.username},
        )
        _notify([request.user], "join_decided", org, approved=approve, reason=reason)
    return request


def join_request_withdraw(*, actor: User, join_request: JoinRequest) -> JoinRequest:
    """The requester withdraws a request (a claim's dispute is then closed as dismissed)."""
    if join_request.user_id != actor.pk:
        raise NotFound(_("No such request."))
    with transaction.atomic():
        org = _locked(join_request.organization)
        request = _request_locked(join_request)
        request.status = JoinRequest.Status.WITHDRAWN
        request.decided_by = actor
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            action="organization.join_withdraw",
            obj=request,
            role=Role.APPLICANT,
            data={"organization": org.pk, "kind": request.kind},
        )
        dispute = OrganizationDispute.objects.filter(
            claim=request, status=OrganizationDispute.Status.OPEN
        ).first()
        if dispute is not None:
            _dispute_close(
                actor=actor,
                dispute=dispute,
                outcome=OrganizationDispute.Status.DISMISSED,
                resolution=_("The claimant withdrew the claim."),
                role=Role.APPLICANT,
            )
    return request


# ---------------------------------------------------------------- invitations


def invitation_token(invitation: Invitation) -> str:
    """The secret part of the invitation link: the invitation's number, signed."""
    return signing.dumps(invitation.pk, salt=INVITATION_SALT)


def invitation_link(invitation: Invitation) -> str:
    return f"{settings.FUNDFLOW_SITE_URL}/portal/invitations/{invitation_token(invitation)}/"


def invitation_by_token(token: str) -> Invitation:
    """The invitation a link names; NotFound for a forged or mangled link."""
    try:
        pk = signing.loads(token, salt=INVITATION_SALT)
    except signing.BadSignature:
        raise NotFound(_("This invitation link is not valid.")) from None
    invitation = (
        Invitation.objects.select_related("organization__district", "invited_by")
        .filter(pk=pk)
        .first()
    )
    if invitation is None:
        raise NotFound(_("This invitation link is not valid."))
    return invitation


def invitation_send(
    *, actor: User, organization: Organization, email: str, role: str = Membership.Role.STAFF
) -> Invitation:
    """An administrator invites a colleague by e-mail (a link valid for 14 days)."""
    _require_admin(actor, organization)
    email = (email or "").strip().lower() if isinstance(email, str) else ""
    errors: list[dict[str, str]] = []
    try:
        validate_email(email)
    except ValidationError:
        errors.append({"field": "email", "message": _("Enter a valid e-mail address.")})
    if role not in ROLES:
        errors.append(
            {"field": "role", "message": _("The role is administrator (admin) or staff (staff).")}
        )
    if errors:
        raise InvalidInput(errors)
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise Conflict(_("Someone with this e-mail address already acts for the organisation."))
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organization=organization,
                email=email,
                role=role,
                invited_by=actor,
                expires_at=timezone.now() + dt.timedelta(days=INVITATION_DAYS),
            )
            audit_record(
                actor=actor,
                action="organization.invite",
                obj=invitation,
                role=Role.APPLICANT,
                data={"organization": organization.pk, "email": email, "role": role},
            )
            known = list(User.objects.filter(email__iexact=email, is_active=True))
            if known:  # in-app and by e-mail, in their language
                _notify(
                    known,
                    "invitation",
                    organization,
                    inviter=actor,
                    role_label=_role_label(role),
                    link=invitation_link(invitation),
                    expires=invitation.expires_at,
                )
            else:  # no account yet: the e-mail alone, after commit
                outbox_enqueue("grants.invitation_email", invitation_id=invitation.pk)
    except IntegrityError:
        raise Conflict(
            _("This address has already been invited and has not answered yet.")
        ) from None
    return invitation


def invitation_accept(*, actor: User, token: str) -> Membership:
    """The invitee, logged in with the invited address, accepts: a member with the role given."""
    invitation = invitation_by_token(token)
    with transaction.atomic():
        org = _locked(invitation.organization)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status != Invitation.Status.PENDING:
            raise Conflict(
                _("This invitation is %(status)s.") % {"status": invitation.get_status_display()}
            )
        if invitation.expires_at < timezone.now():
            raise Conflict(_("This invitation has expired; ask for a new one."))
        if (actor.email or "").strip().lower() != invitation.email.lower():
            raise Forbidden(
                _("This invitation was sent to %(email)s: log in with the account of that address.")
                % {"email": invitation.email}
            )
        if organization_role(actor, org.pk) is not None:
            raise Conflict(_("You already act for this organisation."))
        membership = Membership.objects.create(user=actor, organization=org, role=invitation.role)
        RoleAssignment.objects.get_or_create(
            user=actor, role=Role.APPLICANT, level="", jurisdiction=None
        )
        memberships_changed(actor)
        invitation.status = Invitation.Status.ACCEPTED
        invitation.accepted_by = actor
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["status", "accepted_by", "accepted_at"])
        audit_record(
            actor=actor,
            action="organization.invite_accept",
            obj=invitation,
            role=Role.APPLICANT,
            data={"organization": org.pk, "user": actor.username, "role": invitation.role},
        )
    return membership


def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    _require_admin(actor, invitation.organization)
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.status != Invitation.Status.PENDING:
            raise Conflict(
                _("This invitation is %(status)s.") % {"status": locked.get_status_display()}
            )
        locked.status = Invitation.Status.REVOKED
        locked.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="organization.invite_revoke",
            obj=locked,
            role=Role.APPLICANT,
            data={"organization": locked.organization_id, "email": locked.email},
        )
    return locked


# ---------------------------------------------------------------- members and roles


def _membership(organization: Organization, user_id: Any) -> Membership:
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(organization=organization, user_id=user_id)
        .first()
        if is_row_id(user_id)
        else None
    )
    if membership is None:
        raise NotFound(_("This person does not act for the organisation."))
    return membership


LAST_ADMIN = _(
    "The organisation's last administrator cannot leave or give up the role: make another "
    "member administrator first."
)


def member_set_role(
    *, actor: User, organization: Organization, user_id: Any, role: str
) -> Membership:
    """An administrator makes a member administrator or staff; the last administrator stays."""
    _require_admin(actor, organization)
    if role not in ROLES:
        raise InvalidInput(
            [{"field": "role", "message": _("The role is administrator (admin) or staff (staff).")}]
        )
    with transaction.atomic():
        org = _locked(organization)
        _require_admin(actor, org)
        membership = _membership(org, user_id)
        before = membership.role
        if before == role:
            return membership
        if before == Membership.Role.ADMIN and _admin_count(org) <= 1:
            raise Conflict(str(LAST_ADMIN))
        membership.role = role
        membership.save(update_fields=["role"])
        audit_record(
            actor=actor,
            action="organization.member_role",
            obj=membership,
            role=Role.APPLICANT,
            data={
                "organization": org.pk,
                "user": membership.user.username,
                "from": before,
                "to": role,
            },
        )
    return membership


def member_remove(*, actor: User, organization: Organization, user_id: Any) -> None:
    """An administrator removes a member, or a member leaves; never the last administrator."""
    leaving = user_id == actor.pk
    if not leaving:
        _require_admin(actor, organization)
    elif organization_role(actor, organization.pk) is None:
        raise NotFound(_("No such organisation, or it is not visible to you."))
    with transaction.atomic():
        org = _locked(organization)
        if not leaving:
            _require_admin(actor, org)
        membership = _membership(org, user_id)
        if membership.role == Membership.Role.ADMIN and _admin_count(org) <= 1:
            raise Conflict(str(LAST_ADMIN))
        user = membership.user
        audit_record(
            actor=actor,
            action="organization.member_leave" if leaving else "organization.member_remove",
            obj=membership,
            role=Role.APPLICANT,
            data={"organization": org.pk, "user": user.username, "role": membership.role},
        )
        membership.delete()
        memberships_changed(user)
        if leaving:
            memberships_changed(actor)


# ---------------------------------------------------------------- authorisation letters


def authority_letter_add(
    *, actor: User, organization: Organization, upload: UploadedFile | None
) -> AuthorityLetter:
    """An administrator gives the organisation's authorisation letter for the district
    reviewer to check (after registration, or again after a refusal)."""
    _require_admin(actor, organization)
    with files_removed_on_error() as stored, transaction.atomic():
        return letter_for_check(
            actor=actor, organization=organization, upload=upload, stored=stored
        )


def authority_letter_check(
    *, actor: User, letter: AuthorityLetter, accepted: bool, comment: str = ""
) -> AuthorityLetter:
    """A district reviewer accepts or refuses a letter (a refusal says why)."""
    _require_district_reviewer(actor, letter.organization)
    comment = _text(comment, "comment", max_length=2000, required=not accepted)
    with transaction.atomic():
        locked = (
            AuthorityLetter.objects.select_for_update(of=("self",))
            .select_related("organization__district", "uploaded_by")
            .get(pk=letter.pk)
        )
        if locked.status != AuthorityLetter.Status.PENDING:
            raise Conflict(
                _("This letter was already checked: %(status)s.")
                % {"status": locked.get_status_display()}
            )
        locked.status = (
            AuthorityLetter.Status.ACCEPTED if accepted else AuthorityLetter.Status.REFUSED
        )
        locked.checked_by = actor
        locked.checked_at = timezone.now()
        locked.comment = comment
        locked.save(update_fields=["status", "checked_by", "checked_at", "comment"])
        audit_record(
            actor=actor,
            action="organization.letter_check",
            obj=locked,
            role=Role.REVIEWER,
            level=Level.DISTRICT,
            comment=comment,
            data={"organization": locked.organization_id, "accepted": accepted},
        )
        _notify(
            [locked.uploaded_by],
            "org_checked",
            locked.organization,
            what="letter",
            accepted=accepted,
            comment=comment,
        )
    return locked


# ---------------------------------------------------------------- disputes


def dispute_open(*, actor: User, organization: Organization, reason: str) -> OrganizationDispute:
    """A district reviewer disputes who may act for the organisation (e.g. after refusing its
    letter): no new application until the dispute is resolved."""
    _require_district_reviewer(actor, organization)
    reason = _text(reason, "reason", max_length=2000, required=True)
    with transaction.atomic():
        org = _locked(organization)
        if organization_frozen(org.pk) is not None:
            raise Conflict(_("This organisation is already disputed."))
        return _dispute_open(actor=actor, organization=org, reason=reason, claim=None)


def dispute_resolve(
    *,
    actor: User,
    dispute: OrganizationDispute,
    outcome: str,
    resolution: str,
    remove_others: bool = False,
) -> OrganizationDispute:
    """A district reviewer resolves a dispute; the organisation takes applications again.

    - **upheld**: the registrants' authority is not established. The claimant (if any)
      becomes administrator; the other administrators become staff, or with
      ``remove_others`` every other member is removed.
    - **dismissed**: the registration stands; a claim is rejected.
    """
    _require_district_reviewer(actor, dispute.organization)
    outcomes = (OrganizationDispute.Status.UPHELD, OrganizationDispute.Status.DISMISSED)
    if outcome not in outcomes:
        raise InvalidInput(
            [{"field": "outcome", "message": _("Choose the outcome: upheld or dismissed.")}]
        )
    resolution = _text(resolution, "resolution", max_length=2000, required=True)
    with transaction.atomic():
        _locked(dispute.organization)
        return _dispute_close(
            actor=actor,
            dispute=dispute,
            outcome=outcome,
            resolution=resolution,
            role=Role.REVIEWER,
            remove_others=remove_others,
        )


def _dispute_close(
    *,
    actor: User,
    dispute: OrganizationDispute,
    outcome: str,
    resolution: str,
    role: str,
    remove_others: bool = False,
) -> OrganizationDispute:
    locked = (
        OrganizationDispute.objects.select_for_update(of=("self",))
        .select_related("organization__district", "claim__user")
        .get(pk=dispute.pk)
    )
    if locked.status != OrganizationDispute.Status.OPEN:
        raise Conflict(
            _("This dispute was already resolved: %(status)s.")
            % {"status": locked.get_status_display()}
        )
    org = locked.organization
    claim = locked.claim
    upheld = outcome == OrganizationDispute.Status.UPHELD
    told = organization_admins(org.pk)
    changes: list[dict[str, str]] = []
    if upheld:
        claimant = claim.user if claim is not None else None
        others = Membership.objects.filter(organization=org).select_related("user")
        if claimant is not None:
            others = others.exclude(user=claimant)
        for membership in others:
            if remove_others:
                changes.append({"user": membership.user.username, "change": "removed"})
                membership.delete()
                memberships_changed(membership.user)
            elif membership.role == Membership.Role.ADMIN:
                changes.append({"user": membership.user.username, "change": "staff"})
                membership.role = Membership.Role.STAFF
                membership.save(update_fields=["role"])
        if claimant is not None:
            Membership.objects.update_or_create(
                user=claimant, organization=org, defaults={"role": Membership.Role.ADMIN}
            )
            RoleAssignment.objects.get_or_create(
                user=claimant, role=Role.APPLICANT, level="", jurisdiction=None
            )
            memberships_changed(claimant)
            changes.append({"user": claimant.username, "change": "admin"})
    now = timezone.now()
    bank_withdrawn = _bank_unconfirm(org, actor, now) if upheld else {}
    if claim is not None and claim.status == JoinRequest.Status.PENDING:
        claim.status = JoinRequest.Status.APPROVED if upheld else JoinRequest.Status.REJECTED
        claim.decided_by = actor
        claim.decided_at = now
        claim.reason = resolution
        claim.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        AuthorityLetter.objects.filter(
            join_request=claim, status=AuthorityLetter.Status.PENDING
        ).update(
            status=AuthorityLetter.Status.ACCEPTED if upheld else AuthorityLetter.Status.REFUSED,
            checked_by=actor,
            checked_at=now,
            comment=resolution,
        )
    locked.status = outcome
    locked.resolved_by = actor
    locked.resolved_at = now
    locked.resolution = resolution
    locked.save(update_fields=["status", "resolved_by", "resolved_at", "resolution"])
    audit_record(
        actor=actor,
        action="organization.dispute_resolve",
        obj=locked,
        role=role,
        level=Level.DISTRICT if role == Role.REVIEWER else "",
        comment=resolution,
        data={
            "organization": org.pk,
            "outcome": outcome,
            "claim": claim.pk if claim else None,
            "memberships": changes,
            "bank_unconfirmed": bank_withdrawn,
        },
    )
    told_users = {u.pk: u for u in told}
    if claim is not None:
        told_users[claim.user.pk] = claim.user
    _notify(
        told_users.values(),
        "org_checked",
        org,
        what="dispute",
        accepted=upheld,
        comment=resolution,
        bank_unconfirmed=bool(bank_withdrawn),
    )
    return locked


# ---------------------------------------------------------------- bank details


def _bank_unconfirm(org: Organization, actor: User, now: dt.datetime) -> dict[str, Any]:
    """After an upheld dispute the registrants' authority is not established, nor are the
    bank details they gave: payments wait until the new administrators' details are
    confirmed (by the district reviewer while there is one administrator). Changes still
    waiting are withdrawn. Returns the details that lost their confirmation."""
    before = _bank_snapshot(org)
    for waiting in BankDetailsChange.objects.select_for_update().filter(
        organization=org, status=BankDetailsChange.Status.PENDING
    ):
        waiting.status = BankDetailsChange.Status.WITHDRAWN
        waiting.decided_by = actor
        waiting.decided_at = now
        waiting.comment = _("Withdrawn: the dispute about the organisation was upheld.")
        waiting.save(update_fields=["status", "decided_by", "decided_at", "comment"])
    if org.bank_confirmed_at is not None:
        org.bank_confirmed_at = None
        org.bank_confirmed_by = None
        org.save(update_fields=["bank_confirmed_at", "bank_confirmed_by"])
    return before


def _bank_confirmers(organization: Organization, proposer: User) -> tuple[list[User], bool]:
    """Who confirms a change: the other administrators, or the district's reviewers where the
    organisation has one administrator (then True: they confirm on the review page)."""
    admins = organization_admins(organization.pk)
    if len(admins) > 1:
        return [u for u in admins if u.pk != proposer.pk], False
    return _district_reviewers(organization), True


def _bank_snapshot(org: Organization) -> dict[str, Any]:
    current = BankDetails.of(org)
    return current.as_dict() if current is not None else {}


def bank_details_propose(
    *, actor: User, organization: Organization, details: Mapping[str, Any] | None
) -> BankDetailsChange:
    """An administrator proposes new bank details; payments keep using the confirmed ones
    until another administrator (or, with one administrator, a district reviewer) confirms."""
    _require_admin(actor, organization)
    cleaned = clean_bank_details(details)
    if cleaned is None:
        raise InvalidInput(
            [
                {
                    "field": "bank_account",
                    "message": _("Give the account name, bank and account number."),
                }
            ]
        )
    with transaction.atomic():
        org = _locked(organization)
        if BankDetails.of(org) == cleaned:
            raise InvalidInput(
                [
                    {
                        "field": "bank_account",
                        "message": _("These are the bank details already confirmed."),
                    }
                ]
            )
        for waiting in BankDetailsChange.objects.select_for_update().filter(
            organization=org, status=BankDetailsChange.Status.PENDING
        ):
            waiting.status = BankDetailsChange.Status.WITHDRAWN
            waiting.decided_by = actor
            waiting.decided_at = timezone.now()
            waiting.comment = _("Replaced by a newer proposal.")
            waiting.save(update_fields=["status", "decided_by", "decided_at", "comment"])
            audit_record(
                actor=actor,
                action="organization.bank_withdraw",
                obj=waiting,
                role=Role.APPLICANT,
                data={"organization": org.pk, "replaced": True},
            )
        change = BankDetailsChange.objects.create(
            organization=org, proposed_by=actor, **cleaned.as_dict()
        )
        audit_record(
            actor=actor,
            action="organization.bank_propose",
            obj=change,
            role=Role.APPLICANT,
            data={
                "organization": org.pk,
                "before": _bank_snapshot(org),
                "after": cleaned.as_dict(),
            },
        )
        confirmers, by_reviewer = _bank_confirmers(org, actor)
        _notify(
            confirmers,
            "bank_change",
            org,
            by_reviewer=by_reviewer,
            proposer=actor,
            change=change,
            account=masked(cleaned.account_number),
        )
    return change


def may_decide_bank_change(user: User, change: BankDetailsChange) -> bool:
    """Another administrator of the organisation; or, where it has one administrator, a
    district reviewer of its district. Never the one who proposed it."""
    if user.pk == change.proposed_by_id:
        return False
    org = change.organization
    if is_org_admin(user, org.pk):
        return True
    return _admin_count(org) <= 1 and checks_organizations_of(user, org)


def bank_details_decide(
    *, actor: User, change: BankDetailsChange, confirm: bool, comment: str = ""
) -> BankDetailsChange:
    """Confirm (the details become the organisation's, for payments from now on) or reject."""
    org = change.organization
    role = organization_role(actor, org.pk)
    if role is None and not checks_organizations_of(actor, org):
        raise NotFound(_("No such organisation, or it is not visible to you."))
    if actor.pk == change.proposed_by_id:
        raise Forbidden(
            _("Bank details are confirmed by someone other than the person who changed them.")
        )
    if not may_decide_bank_change(actor, change):
        raise Forbidden(
            _(
                "Bank details are confirmed by another administrator of the organisation, or "
                "by the district reviewer where it has one administrator."
            )
        )
    comment = _text(comment, "comment", max_length=1000)
    with transaction.atomic():
        org = _locked(org)
        locked = BankDetailsChange.objects.select_for_update().get(pk=change.pk)
        if locked.status != BankDetailsChange.Status.PENDING:
            raise Conflict(
                _("This change was already decided: %(status)s.")
                % {"status": locked.get_status_display()}
            )
        before = _bank_snapshot(org)
        now = timezone.now()
        locked.status = (
            BankDetailsChange.Status.CONFIRMED if confirm else BankDetailsChange.Status.REJECTED
        )
        locked.decided_by = actor
        locked.decided_at = now
        locked.comment = comment
        locked.save(update_fields=["status", "decided_by", "decided_at", "comment"])
        if confirm:
            org.bank_account_name = locked.account_name
            org.bank_name = locked.bank_name
            org.bank_account_number = locked.account_number
            org.cnaps_code = locked.cnaps_code
            org.bank_confirmed_at = now
            org.bank_confirmed_by = actor
            org.save(
                update_fields=[
                    "bank_account_name",
                    "bank_name",
                    "bank_account_number",
                    "cnaps_code",
                    "bank_confirmed_at",
                    "bank_confirmed_by",
                ]
            )
        audit_record(
            actor=actor,
            action="organization.bank_confirm" if confirm else "organization.bank_reject",
            obj=locked,
            role=Role.APPLICANT if role is not None else Role.REVIEWER,
            comment=comment,
            data={
                "organization": org.pk,
                "before": before,
                "after": _bank_snapshot(org) if confirm else before,
                "proposed_by": locked.proposed_by.username,
            },
        )
        _notify(
            [locked.proposed_by],
            "bank_decided",
            org,
            confirmed=confirm,
            comment=comment,
            account=masked(locked.account_number),
        )
    return locked


def bank_details_withdraw(*, actor: User, change: BankDetailsChange) -> BankDetailsChange:
    """Its proposer (or another administrator) withdraws a change waiting for confirmation."""
    _require_admin(actor, change.organization)
    with transaction.atomic():
        locked = BankDetailsChange.objects.select_for_update().get(pk=change.pk)
        if locked.status != BankDetailsChange.Status.PENDING:
            raise Conflict(
                _("This change was already decided: %(status)s.")
                % {"status": locked.get_status_display()}
            )
        locked.status = BankDetailsChange.Status.WITHDRAWN
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            action="organization.bank_withdraw",
            obj=locked,
            role=Role.APPLICANT,
            data={"organization": locked.organization_id},
        )
    return locked


# ---------------------------------------------------------------- the organisation's own facts

EDITABLE = ("name", "is_sme", "legal_representative", "phone", "address")


def organization_update(
    *, actor: User, organization: Organization, changes: Mapping[str, Any]
) -> Organization:
    """An administrator corrects the organisation's name, SME flag and contact facts (the
    code, district and kind are those registered). Bank details go through
    ``bank_details_propose``."""
    _require_admin(actor, organization)
    errors: list[dict[str, str]] = []
    cleaned: dict[str, Any] = {}
    limits = {"name": 200, "legal_representative": 100, "phone": 30, "address": 300}
    for key, value in changes.items():
        if key not in EDITABLE:
            continue
        if key == "is_sme":
            if not isinstance(value, bool):
                errors.append({"field": key, "message": _("true or false expected.")})
            else:
                cleaned[key] = value
            continue
        try:
            cleaned[key] = _text(value, key, max_length=limits[key], required=key == "name")
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        org = _locked(organization)
        before = {k: getattr(org, k) for k in cleaned}
        changed = {k: v for k, v in cleaned.items() if before[k] != v}
        if not changed:
            return org
        for key, value in changed.items():
            setattr(org, key, value)
        org.save(update_fields=list(changed))
        audit_record(
            actor=actor,
            action="organization.update",
            obj=org,
            role=Role.APPLICANT,
            data={"before": {k: before[k] for k in changed}, "after": changed},
        )
    return org
