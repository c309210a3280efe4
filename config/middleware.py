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
                from config.apikit import problem

                return problem(
                    413,
                    "too-large",
                    _("The upload is too large"),
                    _("The request is %(size).1f MB; an attachment may be at most %(max)d MB.")
                    % {"size": length / 1_048_576, "max": limit // 1_048_576},
                )
        return self.get_response(request)


class ChineseFirstLocaleMiddleware:
    """Pages are in Simplified Chinese unless the person chose English (language switch cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an
    English-language browser at a Chinese fund office would get English. Pages
    follow the explicit choice only; the API still honours Accept-Language, for
    the systems that call it.
    """

    def __init__(self, get_response):
        from django.middleware.locale import LocaleMiddleware

        self.get_response = get_response
        self.fallback = LocaleMiddleware(get_response)

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation

        if request.path.startswith("/api/"):
            return self.fallback(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
