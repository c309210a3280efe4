"""Rule set versions and stored evaluations.

A version is edited as a draft, validated (every cell compiled, every field
path checked against the facts schema), proven by its test cases, then
activated: from then on it is immutable and identified by the SHA-256 of its
content. An application is judged by the version in force when it was
submitted (the latest activated version whose effective date has come).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models import MONEY
from grants.text import normalise_name


class RuleSetVersion(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Activated")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    program = models.ForeignKey(
        "grants.Program",
        on_delete=models.PROTECT,
        related_name="rule_sets",
        verbose_name=_("programme"),
    )
    number = models.PositiveIntegerField(_("version"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    effective_from = models.DateTimeField(_("in force from"), default=timezone.now)
    content = models.JSONField(_("decision tables"), default=dict)
    test_cases = models.JSONField(_("test cases"), default=list)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    notes = models.TextField(_("what changed"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    last_validation = models.JSONField(_("last validation"), default=dict, blank=True)

    class Meta:
        ordering = ["program", "-number"]
        verbose_name = _("rule set version")
        verbose_name_plural = _("rule set versions")
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="rule_set_version_unique"),
            models.CheckConstraint(
                condition=Q(state="draft") | ~Q(sha256=""), name="rule_set_activated_has_hash"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code} v{self.number} ({self.get_state_display()})"

    def save(self, *args, **kwargs):
        if self.pk and self.state != self.State.DRAFT:
            stored = (
                RuleSetVersion.objects.filter(pk=self.pk)
                .values("content", "test_cases", "sha256")
                .first()
            )
            if stored and (
                stored["content"] != self.content
                or stored["test_cases"] != self.test_cases
                or (stored["sha256"] and stored["sha256"] != self.sha256)
            ):
                raise RuntimeError("an activated rule set version is immutable; create a new draft")
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return f"v{self.number}"


class Evaluation(models.Model):
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name=_("application"),
    )
    rule_set = models.ForeignKey(
        RuleSetVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="evaluations"
    )
    rule_set_version = models.CharField(_("rule set version"), max_length=64)
    purpose = models.CharField(_("purpose"), max_length=20)  # submit, recheck, preview
    checks = models.JSONField(_("checks"), default=list)
    facts = models.JSONField(_("facts"), default=dict)
    trace = models.JSONField(_("trace"), default=dict, blank=True)
    award_amount = models.DecimalField(_("award amount"), null=True, blank=True, **MONEY)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("rule evaluation")
        verbose_name_plural = _("rule evaluations")

    def __str__(self) -> str:
        return f"{self.application} {self.rule_set_version} {self.created_at:%Y-%m-%d %H:%M}"


class CertificationBody(models.Model):
    """An accredited certification body (认可的认证机构), kept by an administrator: the claim
    form offers these names and the rules match the typed name against them after
    ``grants.text.normalise_name`` (so half-width brackets match full-width ones)."""

    name = models.CharField(_("name"), max_length=200)
    normalised_name = models.CharField(max_length=200, editable=False, db_index=True)
    accreditation_number = models.CharField(_("accreditation number"), max_length=50, blank=True)
    valid_from = models.DateField(_("accredited from"), null=True, blank=True)
    valid_until = models.DateField(
        _("accredited until"), null=True, blank=True, help_text=_("Empty: no end known.")
    )
    source = models.CharField(
        _("source"),
        max_length=300,
        help_text=_(
            "Where the entry comes from, e.g. the CNAS directory and the date it was read."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("accredited certification body")
        verbose_name_plural = _("accredited certification bodies")
        constraints = [
            models.UniqueConstraint(fields=["normalised_name"], name="certification_body_once"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="certification_body_validity_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.normalised_name = normalise_name(self.name)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        key = normalise_name(self.name)
        if not key:
            raise ValidationError({"name": _("The name is required.")})
        if CertificationBody.objects.filter(normalised_name=key).exclude(pk=self.pk).exists():
            raise ValidationError(
                {"name": _("This body is in the registry already (the same name, as compared).")}
            )

    def accredited_on(self, day) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


def certification_body_match(typed, on) -> tuple[bool | None, str]:
    """Whether the typed body is in the registry and accredited on ``on``: (None, "") when
    nothing was typed; else (accredited, the registry's name of it or "")."""
    key = normalise_name(typed)
    if not key:
        return None, ""
    body = CertificationBody.objects.filter(normalised_name=key).first()
    if body is None:
        return False, ""
    return body.accredited_on(on), body.name
