"""Request guards that must act before Django parses a body."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

# Multipart framing and form fields around a maximal file.
OVERHEAD = 1024 * 1024


class ApiBodyLimitMiddleware:
    """Refuse an API body larger than an attachment may be, with 413, before it is read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = settings.FUNDFLOW_MAX_UPLOAD_BYTES
            if length > limit + OVERHEAD:
                from config.api import problem

                return problem(
                    413,
                    "too-large",
                    _("The upload is too large"),
                    _("The request is %(size).1f MB; an attachment may be at most %(max)d MB.")
                    % {"size": length / 1_048_576, "max": limit // 1_048_576},
                )
        return self.get_response(request)
