"""Digital signatures of letters (PAdES-style CMS, ``adbe.pkcs7.detached``) and their check.

Every letter is signed with the key and certificate of the authority that issues it, so a
PDF reader shows who signed it and that nothing changed since; the seal image, where one
is configured, is drawn as the appearance of that signature (its visible mark, not its
proof). Keys come from the environment (``config.env.signing_keys_from_env``):

- ``LETTER_SIGNING_KEY`` / ``LETTER_SIGNING_CERT`` (PEM files; ``LETTER_SIGNING_CHAIN``
  optional intermediates, ``LETTER_SIGNING_KEY_PASSWORD`` if the key is encrypted): the key
  of every authority without its own;
- ``LETTER_SIGNING_KEY_<NAME>`` / ``LETTER_SIGNING_CERT_<NAME>`` (and ``…_CHAIN_<NAME>``,
  ``…_KEY_PASSWORD_<NAME>``): the key of the authorities whose *signing key* is NAME;
- none of them (the demo): a self-signed certificate per authority, made at first use under
  ``var/signing/`` with the authority's name as its subject. ``LETTER_SIGNING_DEMO=0``
  refuses that, so a production server never issues letters signed that way.

Speed: the PDF side (field, widget, placeholder, byte ranges) is pyHanko's
``PdfCMSEmbedder``; the CMS ``SignedData`` is built by ``cryptography``'s PKCS #7 builder
(OpenSSL), which takes ~1 ms where assembling it with asn1crypto took ~50 ms. Keys and
certificates are parsed once per process. A letter's signature costs ~5 ms.

Checking (``signature_check``) is pyHanko's validator against the trust roots: the
configured certificates and chains, ``LETTER_TRUST_ROOTS``, and the demo certificates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)

SIGNATURE_FIELD = "Signature1"
# Room for the CMS in /Contents, written as hex (twice the bytes) and never compressed, so it
# is sized per signer: a trial CMS plus a margin for DER lengths and the signing time.
RESERVE_MARGIN = 256


@dataclass
class LetterSigner:
    """A parsed key with its certificate (and chain), ready to sign many letters."""

    key: Any
    cert: Any
    chain: list[Any] = field(default_factory=list)
    source: str = ""

    @property
    def reserve(self) -> int:
        """Bytes to reserve for this signer's CMS (the hex placeholder is twice as long)."""
        if not hasattr(self, "_reserve"):
            self._reserve = len(self.cms(b"%PDF-")) + RESERVE_MARGIN
        return self._reserve

    @property
    def subject(self) -> str:
        from cryptography.x509.oid import NameOID

        names = self.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else self.cert.subject.rfc4514_string()

    def cms(self, data: bytes) -> bytes:
        """A detached CMS SignedData over ``data`` (signed attributes: content type, digest,
        signing time), DER."""
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.serialization import pkcs7

        builder = pkcs7.PKCS7SignatureBuilder().set_data(data)
        builder = builder.add_signer(self.cert, self.key, hashes.SHA256())
        for extra in self.chain:
            builder = builder.add_certificate(extra)
        return builder.sign(
            serialization.Encoding.DER,
            [
                pkcs7.PKCS7Options.DetachedSignature,
                pkcs7.PKCS7Options.NoCapabilities,
                pkcs7.PKCS7Options.Binary,  # the bytes as they are, never "canonical MIME"
            ],
        )


_lock = threading.Lock()
_signers: dict[tuple[str, ...], LetterSigner] = {}


def _load_pem(key_path: str, cert_path: str, chain_path: str | None, password: str | None):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(
        Path(key_path).read_bytes(), password=password.encode() if password else None
    )
    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    chain = x509.load_pem_x509_certificates(Path(chain_path).read_bytes()) if chain_path else []
    return key, cert, chain


def configured_signer(name: str) -> LetterSigner | None:
    """The signer configured by environment for ``name`` ("" = the default), or None."""
    spec = settings.FUNDFLOW_LETTER_SIGNING_KEYS.get(name)
    if spec is None:
        return None
    cache_key = ("env", name)
    with _lock:
        if cache_key not in _signers:
            key, cert, chain = _load_pem(
                str(spec["key"]), str(spec["cert"]), spec.get("chain"), spec.get("password")
            )
            _signers[cache_key] = LetterSigner(key, cert, chain, source=f"env:{name or 'default'}")
        return _signers[cache_key]


def demo_dir() -> Path:
    return Path(settings.VAR_DIR) / "signing"


def demo_signer(code: str, name: str) -> LetterSigner:
    """A self-signed certificate for an authority (made once under var/signing/)."""
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
    cache_key = ("demo", code, digest)
    with _lock:
        if cache_key in _signers:
            return _signers[cache_key]
        base = demo_dir() / f"demo-{code}-{digest}"
        key_path, cert_path = base.with_suffix(".key"), base.with_suffix(".crt")
        if not (key_path.exists() and cert_path.exists()):
            _demo_make(key_path, cert_path, name)
        key, cert, chain = _load_pem(str(key_path), str(cert_path), None, None)
        _signers[cache_key] = LetterSigner(key, cert, chain, source="demo")
        return _signers[cache_key]


def _demo_make(key_path: Path, cert_path: Path, name: str) -> None:
    import os
    import tempfile

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fundflow 演示证书（自签名）"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    for path, data, mode in (
        (
            key_path,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            0o600,
        ),
        (cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644),
    ):
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)  # atomic: concurrent first uses never read half a file
    log.warning("made a self-signed demo certificate for %s: %s", name, cert_path)


def signer_for(*, jurisdiction_code: str, name: str, signing_key: str = "") -> LetterSigner:
    """The signer of an authority: its named key, else the default key, else (demo) its own
    self-signed certificate."""
    if signing_key:
        signer = configured_signer(signing_key)
        if signer is None:
            raise ImproperlyConfigured(
                f"{name}: signing key {signing_key!r} is not configured "
                f"(LETTER_SIGNING_KEY_{signing_key} and LETTER_SIGNING_CERT_{signing_key})"
            )
        return signer
    signer = configured_signer("")
    if signer is not None:
        return signer
    if not settings.FUNDFLOW_LETTER_SIGNING_DEMO:
        raise ImproperlyConfigured(
            "No letter signing key: set LETTER_SIGNING_KEY and LETTER_SIGNING_CERT "
            "(or LETTER_SIGNING_DEMO=1 for self-signed demo certificates)"
        )
    return demo_signer(jurisdiction_code, name)


# ---------------------------------------------------------------- the seal as appearance


@dataclass(frozen=True)
class SealImage:
    width: int
    height: int
    rgb: bytes  # zlib-compressed samples
    alpha: bytes | None


_seals: dict[str, SealImage] = {}


def seal_image(data: bytes) -> SealImage:
    """A PNG's samples, compressed once per process and seal (keyed by its hash)."""
    key = hashlib.sha256(data).hexdigest()
    cached = _seals.get(key)
    if cached is not None:
        return cached
    from PIL import Image

    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGBA")
        image.thumbnail((600, 600))  # 42 mm at ~360 dpi: sharp in print, small in the PDF
        rgb = image.convert("RGB").tobytes()
        alpha = image.getchannel("A").tobytes()
        opaque = all(a == 255 for a in alpha[:: max(1, len(alpha) // 4096)])
        seal = SealImage(
            image.width,
            image.height,
            zlib.compress(rgb, 9),
            None if opaque else zlib.compress(alpha, 9),
        )
    _seals[key] = seal
    return seal


def _seal_appearance(writer, seal: SealImage, width: float, height: float):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name

    def image(samples: bytes, colour_space: str, smask=None):
        entries = {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Image"),
            pdf_name("/Width"): generic.NumberObject(seal.width),
            pdf_name("/Height"): generic.NumberObject(seal.height),
            pdf_name("/ColorSpace"): pdf_name(colour_space),
            pdf_name("/BitsPerComponent"): generic.NumberObject(8),
            pdf_name("/Filter"): pdf_name("/FlateDecode"),
        }
        if smask is not None:
            entries[pdf_name("/SMask")] = smask
        return writer.add_object(generic.StreamObject(entries, encoded_data=samples))

    smask = image(seal.alpha, "/DeviceGray") if seal.alpha is not None else None
    picture = image(seal.rgb, "/DeviceRGB", smask)
    # multiply, like red ink over black: the signature and date stay legible under the seal
    content = f"q /Ink gs {width:.2f} 0 0 {height:.2f} 0 0 cm /Seal Do Q".encode("ascii")
    form = generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): generic.ArrayObject(
                [generic.FloatObject(0), generic.FloatObject(0)]
                + [generic.FloatObject(round(width, 2)), generic.FloatObject(round(height, 2))]
            ),
            pdf_name("/Resources"): generic.DictionaryObject(
                {
                    pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/Seal"): picture}),
                    pdf_name("/ExtGState"): generic.DictionaryObject(
                        {
                            pdf_name("/Ink"): generic.DictionaryObject(
                                {
                                    pdf_name("/Type"): pdf_name("/ExtGState"),
                                    pdf_name("/BM"): pdf_name("/Multiply"),
                                }
                            )
                        }
                    ),
                }
            ),
        },
        stream_data=content,
    )
    return writer.add_object(form)


# ---------------------------------------------------------------- sign


def sign_pdf(
    pdf: bytes,
    *,
    signer: LetterSigner,
    name: str,
    reason: str,
    location: str = "",
    page: int = 0,
    box: tuple[float, float, float, float] | None = None,
    seal: bytes | None = None,
) -> bytes:
    """``pdf`` with an incremental update holding the signature of ``signer``.

    ``box`` (PDF points, lower-left origin) is where the seal is printed: the signature's
    widget sits there, its appearance the seal image when there is one. Without a seal the
    signature is invisible (the place stays blank for a wet seal)."""
    from pyhanko.pdf_utils.generic import pdf_name
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields
    from pyhanko.sign.signers import cms_embedder
    from pyhanko.sign.signers.pdf_byterange import SignatureObject

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    visible = box is not None and seal is not None
    field_box: Any = tuple(round(v, 2) for v in box) if box is not None and visible else None
    spec = fields.SigFieldSpec(SIGNATURE_FIELD, on_page=page, box=field_box)
    embedder = cms_embedder.PdfCMSEmbedder(new_field_spec=spec)
    process = embedder.write_cms(SIGNATURE_FIELD, writer)
    field_ref = next(process)
    if visible and box is not None and seal is not None:
        width, height = box[2] - box[0], box[3] - box[1]
        appearance = _seal_appearance(writer, seal_image(seal), width, height)
        from pyhanko.pdf_utils import generic

        field_ref.get_object()[pdf_name("/AP")] = generic.DictionaryObject(
            {pdf_name("/N"): appearance}
        )
    placeholder = SignatureObject(
        bytes_reserved=2 * signer.reserve,  # pyHanko counts the hex digits
        subfilter=fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED,
        name=name,
        reason=reason,
        location=location or None,
        timestamp=dt.datetime.now(dt.UTC),
    )
    process.send(cms_embedder.SigObjSetup(sig_placeholder=placeholder))
    prepared, output = process.send(cms_embedder.SigIOSetup(md_algorithm="sha256", in_place=False))
    buffer = output.getbuffer()
    try:
        signed = bytes(buffer[: prepared.reserved_region_start]) + bytes(
            buffer[prepared.reserved_region_end :]
        )
    finally:
        del buffer
    process.send(signer.cms(signed))
    return output.getvalue()


# ---------------------------------------------------------------- check


def trust_roots() -> list[Any]:
    """asn1crypto certificates a letter's signature may chain to."""
    from asn1crypto import pem  # type: ignore[import-untyped]
    from asn1crypto import x509 as asn1_x509

    found: list[bytes] = []
    paths = list(settings.FUNDFLOW_LETTER_TRUST_ROOTS)
    for spec in settings.FUNDFLOW_LETTER_SIGNING_KEYS.values():
        paths += [str(spec["cert"])] + ([str(spec["chain"])] if spec.get("chain") else [])
    if demo_dir().is_dir():
        paths += [str(p) for p in sorted(demo_dir().glob("demo-*.crt"))]
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError:
            continue
        if pem.detect(data):
            found += [der for _type, _headers, der in pem.unarmor(data, multiple=True)]
        else:
            found.append(data)
    return [asn1_x509.Certificate.load(der) for der in dict.fromkeys(found)]


@dataclass
class SignatureReport:
    present: bool
    intact: bool = False  # the signed bytes are unchanged
    trusted: bool = False  # the certificate chains to a trusted root
    covers_file: bool = False  # nothing was appended after signing
    signer: str = ""
    signed_at: dt.datetime | None = None
    problem: str = ""

    @property
    def valid(self) -> bool:
        return self.present and self.intact and self.trusted and self.covers_file

    def as_dict(self) -> dict[str, Any]:
        return {
            "present": self.present,
            "valid": self.valid,
            "intact": self.intact,
            "trusted": self.trusted,
            "covers_whole_file": self.covers_file,
            "signer": self.signer,
            "signed_at": self.signed_at,
        }


def signature_check(pdf: bytes) -> SignatureReport:
    """pyHanko's verdict on the last signature of ``pdf`` (never raises for a bad file)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # noqa: BLE001 - any unreadable file is "no signature"
        return SignatureReport(present=False, problem=f"unreadable: {exc.__class__.__name__}")
    if not signatures:
        return SignatureReport(present=False)
    embedded = signatures[-1]
    context = ValidationContext(
        trust_roots=trust_roots(), allow_fetching=False, revocation_mode="soft-fail"
    )
    try:
        status = validate_pdf_signature(embedded, context)
    except Exception as exc:  # noqa: BLE001 - a mangled signature is an invalid one
        return SignatureReport(present=True, problem=f"{exc.__class__.__name__}: {exc}"[:200])
    cert = status.signing_cert
    signer = ""
    if cert is not None:
        signer = cert.subject.native.get("common_name", "") or cert.subject.human_friendly
    return SignatureReport(
        present=True,
        intact=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        covers_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        signer=signer,
        signed_at=status.signer_reported_dt,
    )
