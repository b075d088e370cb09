from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.db import connection
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import check_for_language


class HealthCheckMiddleware:
    """Answers ``/healthz`` before host validation and HTTPS redirects, for container health checks.

    200 "ok" when PostgreSQL answers, 503 otherwise. It reveals nothing else.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != "/healthz":
            return self.get_response(request)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception:  # noqa: BLE001 — any database failure means "not healthy"
            return HttpResponse("database unavailable", status=503, content_type="text/plain")
        return HttpResponse("ok", content_type="text/plain")


class VietnameseFirstLocaleMiddleware(LocaleMiddleware):
    """Vietnamese unless the user chose another language (the switcher's cookie).

    Django's own middleware follows the browser's Accept-Language; many officials' phones are set to English,
    and the portal is Vietnamese first, so the browser's preference is ignored.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen and check_for_language(chosen) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class PageMessageMiddleware(MessageMiddleware):
    """Django's messages for the pages only: the API never shows one, and setting up their storage (a cookie signer
    and the session) on each API request was 2 % of a visit POST."""

    def process_request(self, request):
        if not request.path.startswith("/api/"):
            super().process_request(request)
