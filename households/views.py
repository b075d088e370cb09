"""Pages: the mobile visit log (works offline), its service worker and manifest, the printable checklist."""

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from areas.models import Area, Level
from households import services
from households.models import Channel, Household, HouseholdFlag

# Bump when the page's assets change: the service worker then drops the old cache.
OFFLINE_VERSION = "v4"


@login_required
def visit_log(request):
    """The main screen of a team member: log a visit in a few taps, online or not."""
    members = services.own_members(request.user)
    return render(
        request,
        "households/visit_log.html",
        {"member": members[0] if members else None, "channels": Channel.choices, "strings": _page_strings()},
    )


def _page_strings() -> dict[str, str]:
    """The texts the page's script shows, translated here (Vietnamese by default)."""
    return {
        "online": _("Online"),
        "offline": _("Offline — visits are kept on this phone"),
        "pending": _("%(n)s visits waiting to sync"),
        "allSynced": _("Everything is synced"),
        "saved": _("Saved on this phone."),
        "savedSynced": _("Saved and synced."),
        "syncing": _("Syncing…"),
        "statusPending": _("Waiting to sync"),
        "statusCreated": _("Synced"),
        "statusDuplicate": _("Synced (already stored)"),
        "statusInvalid": _("Refused"),
        "remove": _("Remove"),
        "removeConfirm": _("Remove this refused visit from the phone?"),
        "chooseHousehold": _('Choose a household, or tick "not for one household".'),
        "chooseActivity": _("Tick at least one activity."),
        "futureDate": _("The date cannot be in the future."),
        "noMatch": _("No household matches."),
        "householdsCached": _("%(n)s households on this phone"),
        "moreResults": _("Type more to narrow the list (%(n)s matches)."),
        "noHousehold": _("Not for one household"),
        "loginAgain": _("Your session has ended: log in again to sync."),
        "persisted": _("This phone keeps the visits until they are synced."),
        "notPersisted": _("The browser may clear this storage when the phone is short of space: sync soon."),
        "exported": _("%(n)s visits saved to a file."),
        "imported": _("%(n)s visits loaded from the file."),
        "badFile": _("This file does not hold visits from the portal."),
        "otherUser": _(
            "This file holds the visits of the account %(user)s. Only that account may load them, so none were "
            "loaded: log in as %(user)s to sync them."
        ),
        "visits": _("visits"),
        "households": _("households"),
        "nothingYet": _("Nothing yet."),
        "people": _("people"),
    }


@never_cache
def service_worker(request):
    """Served from the site root so that its scope covers the visit log page."""
    assets = [
        "/visits/log/",
        static("css/portal.css"),
        static("households/visit_log.js"),
        static("households/logout_guard.js"),
        static("households/visit_log.css"),
        static("households/icon-192.png"),
        static("households/icon-512.png"),
        static("img/icon.svg"),
        "/manifest.webmanifest",
    ]
    response = render(
        request,
        "households/sw.js",
        {"version": OFFLINE_VERSION, "assets_json": json.dumps(assets)},
        content_type="application/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/"
    return response


def manifest(request):
    return render(
        request,
        "households/manifest.webmanifest",
        {"icon192": static("households/icon-192.png"), "icon512": static("households/icon-512.png")},
        content_type="application/manifest+json; charset=utf-8",
    )


@login_required
def household_checklist_pick(request):
    hamlets = Area.objects.for_user(request.user).filter(level=Level.HAMLET).select_related("parent").current()
    return render(request, "households/checklist_pick.html", {"hamlets": hamlets[:500]})


@login_required
def household_checklist(request, hamlet_id: int):
    """A4 checklist of a hamlet's households and what each still lacks. Names and addresses: logged."""
    hamlet = (
        Area.objects.for_user(request.user).filter(level=Level.HAMLET, pk=hamlet_id).select_related("parent").first()
    )
    if hamlet is None:
        raise Http404(_("No such hamlet in your area."))
    households = list(Household.objects.for_user(request.user).filter(area=hamlet).order_by("code"))
    flags = list(HouseholdFlag)
    for household in households:
        household.checks = [getattr(household, flag.value) for flag in flags]
    services.export_log(acting_user=request.user, kind="household_checklist", rows=len(households), area=hamlet)
    return render(
        request,
        "households/checklist.html",
        {"hamlet": hamlet, "households": households, "flags": flags},
    )
