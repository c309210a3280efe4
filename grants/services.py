"""Domain actions on organisations and applications.

One function per action, keyword-only arguments; guard first, then change.
Every change writes its audit row in the same transaction. Views, API
endpoints, commands and tasks call these and nothing else to change state.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from grants import organizations
from grants.audit import audit_record
from grants.errors import Conflict, Disputed, InvalidInput, NotFound, WindowClosed
from grants.kinds import derived_fields
from grants.models import (
    EDITABLE_STATUSES,
    ApiToken,
    Application,
    Attachment,
    CertificateClaim,
    CostLine,
    FieldType,
    Jurisdiction,
    Level,
    Membership,
    Organization,
    OrganizationKind,
    Program,
    ProgramField,
    Role,
    RoleAssignment,
    Sequence,
    Status,
    UsccRegionOverride,
    User,
    normalise_certificate,
    validate_uscc,
)
from grants.orgchecks import (
    bank_input,
    clean_bank_details,
    uscc_region_allowed,
    uscc_region_message,
)
from grants.second_factor import second_factor_required
from grants.selectors import is_member, memberships_changed, organization_frozen
from grants.transitions import transition
from grants.uploads import check_upload

CENT = Decimal("0.01")
MAX_MONEY = Decimal("999999999999.99")


# ---------------------------------------------------------------- helpers


# Money as the contract writes it: ASCII digits, at most two decimal places. No sign, no
# exponent ("1e10"), no separators ("1_000.00", "1,000"), no full-width or other digits
# ("１０００.00", "٣٠٠٠"), which Python's Decimal would all accept.
MONEY_TEXT = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)


def parse_money(value: Any, field: str) -> Decimal:
    """A money figure must arrive as a decimal string with at most two places, never a float."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise InvalidInput(
            [
                {
                    "field": field,
                    "message": _('Give the amount as a string such as "30000.00", not a number.'),
                }
            ]
        )
    text = value.strip()
    if not MONEY_TEXT.fullmatch(text) or len(text) > 24:
        raise InvalidInput(
            [
                {
                    "field": field,
                    "message": _("“%(v)s” is not an amount.") % {"v": value[:40]},
                }
            ]
        )
    amount = Decimal(text)
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        raise InvalidInput(
            [{"field": field, "message": _("The amount must be between 0.00 and 999999999999.99.")}]
        )
    if amount != amount.quantize(CENT):
        raise InvalidInput(
            [{"field": field, "message": _("An amount has at most two decimal places (fen).")}]
        )
    return amount.quantize(CENT)


def clean_text(value: Any, field: str, *, max_length: int = 4000, required: bool = True) -> str:
    """Text input, trimmed: required unless told otherwise, and at most ``max_length`` characters."""
    text = (value or "").strip() if isinstance(value, str) else ""
    if required and not text:
        raise InvalidInput([{"field": field, "message": _("This field is required.")}])
    if len(text) > max_length:
        raise InvalidInput(
            [{"field": field, "message": _("At most %(n)d characters.") % {"n": max_length}}]
        )
    return text


def next_in_sequence(key: str) -> int:
    """The next number of a gap-free counter, under a row lock held to the end of the transaction."""
    Sequence.objects.bulk_create([Sequence(key=key, last=0)], ignore_conflicts=True)
    Sequence.objects.filter(key=key).update(last=F("last") + 1)
    return Sequence.objects.select_for_update().values_list("last", flat=True).get(key=key)


# ---------------------------------------------------------------- tokens

# last_used_at is written at most this often, so a busy script costs no write per call.
TOKEN_TOUCH_EVERY = dt.timedelta(minutes=1)


def _token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _password_mark(user: User, secret: str | None = None) -> str:
    """A keyed digest of the user's password hash: it changes whenever the password does."""
    return salted_hmac(
        "fundflow.api-token", user.password, secret=secret, algorithm="sha256"
    ).hexdigest()


def _password_unchanged(token: ApiToken) -> bool:
    """The token's mark matches the password now (under SECRET_KEY or one of its fallbacks)."""
    secrets_ = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(
        constant_time_compare(token.password_mark, _password_mark(token.user, str(secret)))
        for secret in secrets_
    )


def token_issue(*, user: User, second_factor: bool = False) -> str:
    """Issue a bearer token. Only its hash is stored; the caller shows it once.

    It lives ``FUNDFLOW_TOKEN_TTL_HOURS`` at most and ends earlier when unused for
    ``FUNDFLOW_TOKEN_IDLE_HOURS``; a password change ends it (``password_mark``).
    """
    raw = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        key_hash=_token_digest(raw),
        expires_at=timezone.now() + dt.timedelta(hours=settings.FUNDFLOW_TOKEN_TTL_HOURS),
        password_mark=_password_mark(user),
        second_factor=second_factor,
    )
    return raw


def token_user(raw: str) -> User | None:
    """The user a bearer token stands for, or None when it is unknown, ended or revoked."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_token_digest(raw), expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if not _password_unchanged(token):
        # The password changed since the token was issued: the token is gone for good.
        ApiToken.objects.filter(pk=token.pk).delete()
        return None
    idle = dt.timedelta(hours=settings.FUNDFLOW_TOKEN_IDLE_HOURS)
    if (token.last_used_at or token.created_at) + idle <= now:
        return None
    if not token.second_factor and second_factor_required(token.user):
        return None  # issued before the second factor was required of this user
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def token_revoke(*, raw: str) -> bool:
    """End the token ``raw`` (its holder logs out of the API). True when there was one."""
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update()
            .select_related("user")
            .filter(key_hash=_token_digest(raw))
            .first()
        )
        if token is None:
            return False
        audit_record(
            actor=token.user,
            action="account.token_revoke",
            obj=token.user,
            data={"token": token.key_hash[:8], "issued": token.created_at.isoformat()},
        )
        token.delete()
    return True


def tokens_purge() -> int:
    """Delete tokens past their longest life or idle too long (beat, daily). Returns how many."""
    now = timezone.now()
    idle = now - dt.timedelta(hours=settings.FUNDFLOW_TOKEN_IDLE_HOURS)
    stale = ApiToken.objects.filter(
        Q(expires_at__lte=now)
        | Q(last_used_at__lte=idle)
        | Q(last_used_at__isnull=True, created_at__lte=idle)
    )
    deleted, _by_model = stale.delete()
    return deleted


# ---------------------------------------------------------------- accounts


def login_unlock(*, actor: User, user: User) -> int:
    """An administrator lifts a login lockout of ``user`` (every address). Returns how many
    recorded attempts were cleared."""
    from axes.utils import reset as axes_reset

    with transaction.atomic():
        cleared = int(axes_reset(username=user.get_username()))
        audit_record(
            actor=actor, action="account.login_unlock", obj=user, data={"attempts": cleared}
        )
    return cleared


def applicant_register(*, username: str, email: str, password: str) -> User:
    """Self-registration on the web: a user who may file claims (role applicant), nothing more."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password

    User = get_user_model()
    username = (username or "").strip()
    email = (email or "").strip()
    errors: list[dict[str, str]] = []
    candidate = User(username=username, email=email)
    try:
        candidate.clean_fields(exclude=["password", "last_login", "date_joined"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.extend({"field": field, "message": m} for m in messages)
    if not username:
        errors.append({"field": "username", "message": _("The username is required.")})
    elif User.objects.filter(username__iexact=username).exists():
        errors.append({"field": "username", "message": _("This username is taken.")})
    if not email:
        errors.append({"field": "email", "message": _("The e-mail address is required.")})
    try:
        validate_password(password or "", candidate)
    except ValidationError as exc:
        errors.extend({"field": "password", "message": m} for m in exc.messages)
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
            RoleAssignment.objects.create(user=user, role=Role.APPLICANT)
            audit_record(
                actor=user,
                action="user.register",
                obj=user,
                role=Role.APPLICANT,
                data={"username": username, "email": email},
            )
    except IntegrityError:
        raise InvalidInput(
            [{"field": "username", "message": _("This username is taken.")}]
        ) from None
    return user


# ---------------------------------------------------------------- organisations


def organization_register(
    *,
    actor: User,
    name: str,
    uscc: str,
    kind: str,
    district: str,
    is_sme: bool,
    legal_representative: str = "",
    phone: str = "",
    address: str = "",
    bank_account: Mapping[str, Any] | None = None,
    cnaps_code: str = "",
    authority_letter: UploadedFile | None = None,
) -> Organization:
    """Register an organisation; ``actor`` becomes its administrator.

    The USCC's registration authority (characters 3–8) must lie in the chosen district's
    city, unless an administrator allowed an exception for it (``organizations.
    region_override_grant``). Bank details given here count as confirmed; an authorisation
    letter given here waits for the district reviewer's check.
    """
    errors: list[dict[str, str]] = []
    name = (name or "").strip()
    uscc = (uscc or "").strip().upper()
    if not name:
        errors.append({"field": "name", "message": _("The name is required.")})
    uscc_valid = True
    try:
        validate_uscc(uscc)
    except ValidationError as exc:
        uscc_valid = False
        errors.append({"field": "uscc", "message": " ".join(exc.messages)})
    if kind not in OrganizationKind.values:
        errors.append(
            {
                "field": "kind",
                "message": _("Unknown kind; use one of: %(k)s")
                % {"k": ", ".join(OrganizationKind.values)},
            }
        )
    district_obj = (
        Jurisdiction.objects.filter(code=district, level=Level.DISTRICT)
        .select_related("parent")
        .first()
    )
    if district_obj is None:
        errors.append(
            {
                "field": "district",
                "message": _("“%(d)s” is not a district code (GB/T 2260).") % {"d": district},
            }
        )
    region_ok = district_obj is None or not uscc_valid or uscc_region_allowed(uscc, district_obj)
    try:
        bank = clean_bank_details(bank_input(bank_account, cnaps_code))
    except InvalidInput as exc:
        errors.extend(exc.errors)
        bank = None
    if not errors and not region_ok and district_obj is not None:
        # is there an administrator's exception for it? (looked at again under a lock below)
        if not UsccRegionOverride.objects.filter(
            uscc=uscc, district=district_obj, organization__isnull=True
        ).exists():
            errors.append({"field": "uscc", "message": uscc_region_message(uscc, district_obj)})
    if errors or district_obj is None:
        raise InvalidInput(errors)
    taken = Organization.objects.filter(uscc=uscc).values_list("pk", flat=True).first()
    if taken is not None:
        raise _uscc_taken(taken)
    try:
        with organizations.files_removed_on_error() as stored, transaction.atomic():
            override = None
            if not region_ok:
                override = organizations.region_override_for(uscc, district_obj)
                if override is None:  # used by another registration just now
                    raise InvalidInput(
                        [{"field": "uscc", "message": uscc_region_message(uscc, district_obj)}]
                    )
            now = timezone.now()
            org = Organization.objects.create(
                name=name,
                uscc=uscc,
                kind=kind,
                district=district_obj,
                is_sme=bool(is_sme),
                legal_representative=legal_representative,
                phone=phone,
                address=address,
                bank_account_name=bank.account_name if bank else "",
                bank_name=bank.bank_name if bank else "",
                bank_account_number=bank.account_number if bank else "",
                cnaps_code=bank.cnaps_code if bank else "",
                bank_confirmed_at=now if bank else None,
                bank_confirmed_by=actor if bank else None,
            )
            Membership.objects.create(user=actor, organization=org, role=Membership.Role.ADMIN)
            memberships_changed(actor)
            RoleAssignment.objects.get_or_create(
                user=actor, role=Role.APPLICANT, level="", jurisdiction=None
            )
            data: dict[str, Any] = {
                "name": name,
                "uscc": uscc,
                "kind": kind,
                "district": district,
                "is_sme": bool(is_sme),
                "bank_account": bank.as_dict() if bank else None,
            }
            if override is not None:
                override.organization = org
                override.save(update_fields=["organization"])
                data["region_override"] = {
                    "id": override.pk,
                    "region": uscc[2:8],
                    "reason": override.reason,
                    "granted_by": override.created_by.username,
                }
            audit_record(
                actor=actor,
                action="organization.register",
                obj=org,
                role=Role.APPLICANT,
                data=data,
            )
            if authority_letter is not None:
                organizations.letter_for_check(
                    actor=actor, organization=org, upload=authority_letter, stored=stored
                )
    except IntegrityError:
        taken = Organization.objects.filter(uscc=uscc).values_list("pk", flat=True).first()
        raise _uscc_taken(taken) from None
    return org


def _uscc_taken(organization_id: int | None) -> Conflict:
    """409 for a code already registered, with the organisation's number: whoever holds the
    code may ask its administrators to join (``POST /organizations/{id}/join-requests``)."""
    return Conflict(
        _(
            "An organisation with this unified social credit code is already registered. If "
            "you act for it, ask its administrators to let you join."
        ),
        organization=organization_id,
    )


# ---------------------------------------------------------------- applications


def clean_fields(program: Program, fields: Any, *, require_all: bool) -> dict[str, Any]:
    if not isinstance(fields, dict):
        raise InvalidInput([{"field": "fields", "message": _("fields must be an object.")}])
    config = {f.name: f for f in program.fields.all()}
    errors: list[dict[str, str]] = []
    cleaned: dict[str, Any] = {}
    for name in fields:
        if name not in config:
            errors.append(
                {
                    "field": f"fields.{name}",
                    "message": _("This programme has no field “%(n)s”.") % {"n": name},
                }
            )
    for name, spec in config.items():
        value = fields.get(name)
        path = f"fields.{name}"
        if value is None or value == "":
            if require_all and spec.required:
                errors.append(
                    {
                        "field": path,
                        "message": _("“%(label)s” is required.") % {"label": spec.display_label},
                    }
                )
            continue
        try:
            cleaned[name] = _clean_value(spec, value)
        except ValueError as exc:
            errors.append({"field": path, "message": str(exc)})
    if errors:
        raise InvalidInput(errors)
    return cleaned


def _clean_value(spec: ProgramField, value: Any) -> Any:  # a JSON value, cleaned
    if spec.type == FieldType.TEXT:
        if not isinstance(value, str):
            raise ValueError(_("Text expected."))
        if len(value) > 2000:
            raise ValueError(_("At most 2,000 characters."))
        return value.strip()
    if spec.type == FieldType.DATE:
        if not isinstance(value, str):
            raise ValueError(_("A date such as 2026-03-31 expected."))
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError(
                _("“%(v)s” is not a date such as 2026-03-31.") % {"v": value}
            ) from None
    if spec.type == FieldType.CHOICE:
        if value not in spec.choices:
            raise ValueError(_("Choose one of: %(c)s") % {"c": ", ".join(map(str, spec.choices))})
        return value
    if spec.type == FieldType.DECIMAL:
        try:
            return str(parse_money(value, spec.name))
        except InvalidInput as exc:
            raise ValueError(exc.errors[0]["message"]) from None
    if spec.type == FieldType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(_("A whole number expected."))
        return value
    if spec.type == FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError(_("true or false expected."))
        return value
    raise ValueError(_("Unsupported field type."))


def clean_cost_lines(program: Program, lines: Any) -> list[dict[str, Any]]:
    if not isinstance(lines, list):
        raise InvalidInput([{"field": "cost_lines", "message": _("cost_lines must be a list.")}])
    if len(lines) > 200:
        raise InvalidInput([{"field": "cost_lines", "message": _("At most 200 cost lines.")}])
    kinds = set(program.cost_line_kinds.values_list("code", flat=True))
    errors: list[dict[str, str]] = []
    cleaned: list[dict[str, Any]] = []
    for i, line in enumerate(lines):
        path = f"cost_lines[{i}]"
        if not isinstance(line, dict):
            errors.append(
                {
                    "field": path,
                    "message": _("Each cost line is an object with kind, amount, reference."),
                }
            )
            continue
        unknown = set(line) - {"kind", "amount", "reference"}
        if unknown:
            errors.append(
                {
                    "field": path,
                    "message": _("Unknown keys: %(k)s") % {"k": ", ".join(sorted(unknown))},
                }
            )
        kind = line.get("kind")
        if kind not in kinds:
            errors.append(
                {
                    "field": f"{path}.kind",
                    "message": _("Unknown kind; use one of: %(k)s")
                    % {"k": ", ".join(sorted(kinds))},
                }
            )
        try:
            amount = parse_money(line.get("amount"), f"{path}.amount")
        except InvalidInput as exc:
            errors.extend(exc.errors)
            amount = None
        reference = line.get("reference", "")
        if not isinstance(reference, str) or len(reference) > 200:
            errors.append(
                {
                    "field": f"{path}.reference",
                    "message": _("Text of at most 200 characters expected."),
                }
            )
            reference = ""
        cleaned.append({"kind": kind, "amount": amount, "reference": reference.strip()})
    if errors:
        raise InvalidInput(errors)
    return cleaned


def _replace_cost_lines(application: Application, lines: list[dict[str, Any]]) -> None:
    application.cost_lines.all().delete()
    CostLine.objects.bulk_create(
        [CostLine(application=application, position=i, **line) for i, line in enumerate(lines)]
    )


def application_create(
    *,
    actor: User,
    program_code: str,
    organization_id: Any,  # as the request sent it: checked to be an int here
    fields: Any = None,
    cost_lines: Any = None,
) -> Application:
    program = (
        Program.objects.filter(code=program_code, is_active=True).first()
        if isinstance(program_code, str)
        else None
    )
    errors: list[dict[str, str]] = []
    if program is None:
        errors.append(
            {"field": "program", "message": _("Unknown programme “%(p)s”.") % {"p": program_code}}
        )
    if (
        not isinstance(organization_id, int)
        or isinstance(organization_id, bool)
        or not is_member(actor, organization_id)
    ):
        errors.append(
            {
                "field": "organization",
                "message": _("Unknown organisation, or you do not act for it."),
            }
        )
    if errors or program is None:
        raise InvalidInput(errors)
    if organization_frozen(organization_id) is not None:
        message = _(
            "Who may act for this organisation is disputed and being checked by the district "
            "reviewer: it can file no new application until that is resolved. Applications "
            "already filed go on."
        )
        raise Disputed(message, errors=[{"field": "organization", "message": message}])
    cleaned_fields = clean_fields(program, fields or {}, require_all=False)
    cleaned_lines = clean_cost_lines(program, cost_lines or [])
    with transaction.atomic():
        serial = next_in_sequence(f"application:{program.number_prefix}:{program.year}")
        application = Application.objects.create(
            number=f"{program.number_prefix}-{program.year}-{serial:06d}",
            program=program,
            organization_id=organization_id,
            fields=cleaned_fields,
            created_by=actor,
        )
        _replace_cost_lines(application, cleaned_lines)
        audit_record(
            actor=actor,
            action="application.create",
            obj=application,
            application=application,
            role=Role.APPLICANT,
            to_status=Status.DRAFT,
            data={"fields": cleaned_fields, "cost_lines": cleaned_lines},
        )
    return application


def lock_editable(application: Application) -> Application:
    locked = (
        # the application row only: a join must not lock the programme, which every new
        # application of the programme references (see README "Lock order")
        Application.objects.select_for_update(of=("self",))
        .select_related("program", "organization__district")
        .get(pk=application.pk)
    )
    if locked.status not in EDITABLE_STATUSES:
        raise Conflict(
            _("The application is %(s)s; it can be changed only as a draft or when returned.")
            % {"s": locked.get_status_display()}
        )
    return locked


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: ``patch`` applied to ``target``. An object merges key by key,
    a key set to ``null`` is removed, anything else replaces the value."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _refuse_derived(application: Application, patch: dict[str, Any]) -> None:
    """A patch may leave the programme's derived fields out (they stay as they are, see
    ``KindHooks.derived_fields``) or repeat them; another value or ``null`` is a 422."""
    derived = derived_fields(application.program)
    current = application.fields or {}
    changed = [n for n in derived if n in patch and patch[n] != current.get(n)]
    if changed:
        raise InvalidInput(
            [
                {
                    "field": f"fields.{name}",
                    "message": _(
                        "Set by the joint project's own record; it cannot be edited here."
                    ),
                }
                for name in changed
            ]
        )


def application_update(
    *, actor: User, application: Application, fields: Any = None, cost_lines: Any = None
) -> Application:
    """Change a draft or returned application. ``fields`` is a JSON Merge Patch (RFC 7396) on
    the application's fields: keys left out stay, a key set to ``null`` is removed. Cost lines,
    when given, replace the list."""
    program = application.program
    if fields is not None and not isinstance(fields, dict):
        raise InvalidInput([{"field": "fields", "message": _("fields must be an object.")}])
    cleaned_lines = clean_cost_lines(program, cost_lines) if cost_lines is not None else None
    with transaction.atomic():
        locked = lock_editable(application)
        patch: dict[str, Any] | None = None
        if fields is not None:
            _refuse_derived(locked, fields)
            # what the application holds is cleaned already: only the patched keys are judged
            cleaned = clean_fields(
                program, {k: v for k, v in fields.items() if v is not None}, require_all=False
            )
            # null, or no value at all (""), removes the key
            patch = {name: cleaned.get(name) for name in fields}
            locked.fields = merge_patch(locked.fields or {}, patch)
            locked.save(update_fields=["fields", "updated_at"])
        if cleaned_lines is not None:
            _replace_cost_lines(locked, cleaned_lines)
        audit_record(
            actor=actor,
            action="application.update",
            obj=locked,
            application=locked,
            role=Role.APPLICANT,
            data={"fields": patch, "cost_lines": cleaned_lines},
        )
    return locked


def attachment_add(
    *, actor: User, application: Application, kind: str, upload: UploadedFile
) -> Attachment:
    kinds = set(application.program.attachment_kinds.values_list("code", flat=True))
    if kind not in kinds:
        raise InvalidInput(
            [
                {
                    "field": "kind",
                    "message": _("Unknown attachment kind; use one of: %(k)s")
                    % {"k": ", ".join(sorted(kinds))},
                }
            ]
        )
    checked = check_upload(upload, max_bytes=settings.FUNDFLOW_MAX_UPLOAD_BYTES)
    attachment = Attachment(
        kind=kind,
        original_name=(upload.name or "upload")[-255:],
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    stored_name = None
    try:
        with transaction.atomic():
            locked = lock_editable(application)
            attachment.application = locked
            attachment.file.save(f"upload{checked.extension}", upload, save=False)
            stored_name = attachment.file.name
            attachment.save()
            audit_record(
                actor=actor,
                action="attachment.add",
                obj=attachment,
                application=locked,
                role=Role.APPLICANT,
                data={
                    "kind": kind,
                    "name": attachment.original_name,
                    "sha256": checked.sha256,
                    "size": checked.size,
                },
            )
    except BaseException:
        if stored_name:
            attachment.file.storage.delete(stored_name)  # nothing half-written: no orphan file
        raise
    return attachment


def attachment_delete(*, actor: User, application: Application, attachment_id: Any) -> None:
    """The applicant removes an attachment while the application is a draft or returned (to
    replace it: upload the new file, then delete the old one). The row goes in the transaction
    with its audit row; the stored file after commit, so a rollback loses nothing."""
    with transaction.atomic():
        locked = lock_editable(application)
        attachment = (
            Attachment.objects.filter(application=locked, pk=attachment_id).first()
            if isinstance(attachment_id, int) and not isinstance(attachment_id, bool)
            else None
        )
        if attachment is None:
            raise NotFound(_("No such attachment on this application."))
        stored_name = attachment.file.name
        storage = attachment.file.storage
        audit_record(
            actor=actor,
            action="attachment.delete",
            obj=attachment,
            application=locked,
            role=Role.APPLICANT,
            data={
                "kind": attachment.kind,
                "name": attachment.original_name,
                "sha256": attachment.sha256,
                "size": attachment.size,
            },
        )
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(stored_name) if stored_name else None)


def submission_check(application: Application, *, now: dt.datetime) -> None:
    """What submission asks of a locked draft before the rules run: the window is open and
    every required field is filled in (``workflows.lifecycle.submit`` calls it)."""
    program = application.program
    if not program.is_open(now):
        raise WindowClosed(
            _("The programme “%(p)s” accepts submissions from %(o)s to %(c)s.")
            % {
                "p": program.display_name,
                "o": timezone.localtime(program.opens).strftime("%Y-%m-%d %H:%M"),
                "c": timezone.localtime(program.closes).strftime("%Y-%m-%d %H:%M"),
            }
        )
    clean_fields(program, application.fields, require_all=True)


def certificate_claim(application: Application) -> None:
    """Hold the certificate number for this application; the database refuses a second live claim."""
    number = normalise_certificate(application.fields.get("certificate_number"))
    if not number:
        return
    kind = application.program.kind
    try:
        with transaction.atomic():
            CertificateClaim.objects.update_or_create(
                application=application,
                defaults={"program_kind": kind, "certificate": number, "active": True},
            )
    except IntegrityError:
        holder = (
            CertificateClaim.objects.filter(program_kind=kind, certificate=number, active=True)
            .select_related("application")
            .first()
        )
        raise Conflict(
            _("Certificate %(c)s is already claimed by application %(a)s.")
            % {"c": number, "a": holder.application.number if holder else "?"}
        ) from None


def application_conclude(
    *,
    application: Application,
    to_status: str,
    actor: User | None,
    role: str,
    level: str = "",
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """The application leaves review (approved, returned, rejected): one transition, one audit row.

    ``level`` is the level that decided. Call inside the transaction of the decision.
    """
    transition(
        application,
        to=to_status,
        level="",
        audit_level=level,
        actor=actor,
        role=role,
        comment=comment,
        data=data,
    )


def certificate_release(*, application: Application) -> None:
    """A rejected claim frees its certificate number."""
    CertificateClaim.objects.filter(application=application).update(active=False)


def money_round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
