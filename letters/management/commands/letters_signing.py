"""Show who signs each authority's letters (and make the demo certificates if they are used)."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand

from letters import services, signing
from letters.models import IssuingAuthority


class Command(BaseCommand):
    help = (
        "For every issuing authority: the certificate its letters are signed with (from "
        "LETTER_SIGNING_KEY[_NAME] / LETTER_SIGNING_CERT[_NAME], or a self-signed demo one "
        "under var/signing/), its SHA-256 fingerprint and validity."
    )

    def handle(self, *args, **options):
        from cryptography.hazmat.primitives import hashes

        services.authorities_ensure()
        for authority in IssuingAuthority.objects.select_related("jurisdiction"):
            try:
                signer = signing.signer_for(
                    jurisdiction_code=authority.jurisdiction_id,
                    name=authority.name,
                    signing_key=authority.signing_key,
                )
            except ImproperlyConfigured as exc:
                self.stdout.write(
                    f"{authority.jurisdiction_id} {authority.name}: NOT SIGNED: {exc}"
                )
                continue
            cert = signer.cert
            self.stdout.write(
                f"{authority.jurisdiction_id} {authority.name} ({authority.code_prefix}): "
                f"{signer.subject} [{signer.source}] "
                f"SHA-256 {cert.fingerprint(hashes.SHA256()).hex(':').upper()} "
                f"valid {cert.not_valid_before_utc:%Y-%m-%d} – {cert.not_valid_after_utc:%Y-%m-%d}"
            )
