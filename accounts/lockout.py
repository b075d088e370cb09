from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a locked-out login: JSON for the API, the Vietnamese page otherwise (429)."""
    if request.path.startswith("/api/"):
        message = _("Too many failed logins: this account is locked for 15 minutes on this device.")
        return JsonResponse({"detail": message}, status=429)
    return render(request, "registration/locked_out.html", status=429)
