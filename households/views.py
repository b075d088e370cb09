"""Pages: the mobile visit log (works offline), its service worker and manifest, the printable checklist."""

import json
import re
import unicodedata

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from areas import policy
from areas.models import Area, Level
from cnscd.text import clean_text
from households import exports, visit_rules, visits
from households.models import Channel, Household, HouseholdFlag

# Bump when the page's assets change: the service worker then drops the old cache.
OFFLINE_VERSION = "v9"


@login_required
def visit_log(request):
    """The main screen of a team member: log a visit in a few taps, online or not."""
    members = visits.own_members(request.user)
    member = members[0] if members else None
    # Help at the one-stop desk, without a household, is logged on the commune (visit_rules.at_one_stop_desk).
    desk = visit_rules.one_stop_desk_path(member.team) if member else ""
    desk_area = Area.objects.filter(path=desk).values_list("pk", flat=True).first() if desk else None
    return render(
        request,
        "households/visit_log.html",
        {"member": member, "desk_area": desk_area, "channels": Channel.choices, "strings": _page_strings()},
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
        "atDesk": _("At the commune's one-stop desk"),
        "chooseActivity": _("Tick at least one activity."),
        "futureDate": _("The date cannot be in the future."),
        "noteNeeded": _("Say in the note what help was given for: %(n)s."),
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
        static("vendor/htmx.min.js"),
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


# The checklist is a printout of households' names and addresses, for officers and team leaders on their rounds:
# the policy's ``household.checklist`` (not for team members nor viewers). A user who also holds such a role
# elsewhere gets the checklists of that scope only.
CHECKLIST_PAGE_SIZE = 50


def checklist_allowed(user) -> bool:
    """Whether ``user`` may print household checklists (of some hamlet of their scope)."""
    return policy.permits(user, "household", "checklist")


def _checklist_hamlets(user):
    return policy.areas(user, "household", "checklist").filter(level=Level.HAMLET)


def _fold(text: str) -> str:
    """Lower case without diacritics ("Ấp Đông" -> "ap dong"), so that a search typed without them matches."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    return "".join(char for char in text if not unicodedata.combining(char))


def _sort_key(folded: str) -> list:
    """Numbers in names sort as numbers: "to 2" before "to 10"."""
    return [(int(part), "") if part.isdigit() else (0, part) for part in re.split(r"(\d+)", folded)]


@login_required
def household_checklist_pick(request):
    """Pick a hamlet of the user's scope by commune and/or by name (typed with or without diacritics), a page at a
    time: a province holds thousands of hamlets. Names are sorted here, as a reader of Vietnamese expects ("Đông"
    beside "Dong", "Tổ 2" before "Tổ 10"), which the database's collation does not promise."""
    if not checklist_allowed(request.user):
        return render(request, "403.html", status=403)
    hamlets = _checklist_hamlets(request.user).current()
    communes = sorted(
        Area.objects.filter(pk__in=hamlets.values("parent_id")), key=lambda c: (_sort_key(_fold(c.name)), c.pk)
    )
    commune = next((c for c in communes if str(c.pk) == request.GET.get("commune")), None)
    if commune:
        hamlets = hamlets.filter(parent=commune)
    rows = [(_fold(parent), _fold(name), pk) for pk, name, parent in hamlets.values_list("pk", "name", "parent__name")]
    query = clean_text(request.GET.get("q", ""))[:100]
    if query:
        words = _fold(query).split()
        rows = [row for row in rows if all(w in f"{row[1]} {row[0]}" for w in words)]
    rows.sort(key=lambda row: (_sort_key(row[0]), _sort_key(row[1]), row[2]))
    page = Paginator([row[2] for row in rows], CHECKLIST_PAGE_SIZE).get_page(request.GET.get("page"))
    by_pk = Area.objects.select_related("parent").in_bulk(page.object_list)
    page.object_list = [by_pk[pk] for pk in page.object_list]
    return render(
        request,
        "households/checklist_pick.html",
        {"page": page, "communes": communes if len(communes) > 1 else [], "commune": commune, "query": query},
    )


@login_required
def household_checklist(request, hamlet_id: int):
    """A4 checklist of a hamlet's households and what each still lacks. Names and addresses: logged."""
    if not checklist_allowed(request.user):
        return render(request, "403.html", status=403)
    hamlet = _checklist_hamlets(request.user).filter(pk=hamlet_id).select_related("parent").first()
    if hamlet is None:
        raise Http404(_("No such hamlet in your area."))
    households = list(Household.objects.restrict(request.user, "checklist").filter(area=hamlet).order_by("code"))
    flags = list(HouseholdFlag)
    for household in households:
        household.checks = [getattr(household, flag.value) for flag in flags]
    exports.export_log(acting_user=request.user, kind="household_checklist", rows=len(households), area=hamlet)
    return render(
        request,
        "households/checklist.html",
        {"hamlet": hamlet, "households": households, "flags": flags},
    )
