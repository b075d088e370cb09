"""The rules of a visit (docs/API.md), as small functions of the objects they judge: no request, no query.

A visit sent by a phone is resolved (``item_resolved``: its ids turned into the objects the user may log on), then
checked (``visit_check``: each rule below, every broken one reported at once, ``{field: [message]}``), then stored
(``households.visit_store``). ``households.visits`` runs the three in turn; the pages, the API, the imports and the
tests call the same functions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date as Date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from areas import policy, scoping
from areas.models import Area, Level
from households.models import ActivityType, Channel, Household
from members.models import Member
from teams.models import Team

# Who may log visits: the access policy's "visit" row (areas.policy).
VISIT_WRITERS = policy.roles("visit", "add")
CHANNELS = frozenset(Channel.values)  # the codes, for membership tests on the hot path

Problems = list[tuple[str, str]]  # (field, message) of each rule a visit breaks, in the order checked


@dataclass
class VisitData:
    """A visit that passed every rule, ready to store."""

    client_uuid: uuid.UUID
    member: Member
    household: Household | None
    area: Area
    date: Date
    channel: str
    activities: dict[str, int]
    note: str = ""
    id: int | None = None
    created_at: object = None
    types: dict[str, ActivityType] = field(default_factory=dict, repr=False)

    @property
    def team_id(self) -> int:
        return self.member.team_id

    def content(self) -> tuple:
        """What makes two sends the same visit (a repeat is a duplicate; different content, a conflict)."""
        return (
            self.household.pk if self.household else None,
            self.area.pk,
            self.member.team_id,
            self.member.pk,
            self.date,
            self.channel,
            self.note,
            tuple(sorted(self.activities.items())),
        )


# --- The one-stop desk --------------------------------------------------------------------------------------


def one_stop_desk_path(team: Team) -> str:
    """The path of the commune whose one-stop desk (bộ phận một cửa) a team staffs: its hamlet's commune, or its own
    commune for a commune-level team."""
    path = team.area.path
    if team.area.level == Level.COMMUNE:
        return path
    return path[: path.rstrip("/").rfind("/") + 1]


def at_one_stop_desk(*, area: Area, team: Team | None) -> bool:
    """A visit without a household logged on the commune of the team's hamlet (or a commune-level team's commune):
    help at the commune's one-stop desk, counted for that commune and above, never for a hamlet (docs/API.md)."""
    return team is not None and area.level == Level.COMMUNE and area.path == one_stop_desk_path(team)


def in_visit_scope(user, area: Area) -> bool:
    """``for_user(user, VISIT_WRITERS)`` (the scoping rule of areas.scoping) for a row already read."""
    return (
        getattr(user, "is_authenticated", False) and user.is_active and scoping.area_in_scope(user, area, VISIT_WRITERS)
    )


# --- The checks -----------------------------------------------------------------------------------------------


def member_problems(*, acting_user, member: Member | None, date: Date | None) -> Problems:
    """Who the visit is logged for: the user's own roster entry, or (for an officer) a member of a team of their
    scope still on its roster; a member who left syncs the visits dated before the day they left."""
    if member is None:
        return [("member", _("You are not on the roster of an active team, so you cannot log visits."))]
    own = member.user_id == acting_user.pk
    if not own and not policy.permits(acting_user, "visit", "add_for_member", member.team.area):
        return [("member", _("You can only log your own visits."))]
    if member.left_on is not None and not own:
        return [("member", _("This member has left the team."))]
    if member.left_on is not None and (date is None or date >= member.left_on):
        # ``left_on`` is the first day off the roster, as the rollup counts it.
        message = _("You left the team on %(date)s: only visits from before that day can be logged.")
        return [("member", message % {"date": member.left_on.strftime("%d/%m/%Y")})]
    return []


def date_problems(*, date: Date | None, team: Team | None, today: Date) -> Problems:
    """A visit has a date, not in the future, not before its team was founded."""
    if date is None:
        return [("date", _("Enter the date of the visit."))]
    if date > today:
        return [("date", _("The date of a visit cannot be in the future."))]
    if team is not None and date < team.established_on:
        message = _("The date is before the team was founded (%(date)s).")
        return [("date", message % {"date": team.established_on.strftime("%d/%m/%Y")})]
    return []


def activities_checked(
    activities: dict[str, int] | list[tuple[str, int]], note: str, types: dict[str, ActivityType]
) -> tuple[dict[str, int], Problems]:
    """({code: people helped}, problems): at least one activity of the catalogue, each once, each helping at least
    one person; an activity that needs a note (e.g. "other") comes with one."""
    if isinstance(activities, dict):
        activities = list(activities.items())
    problems: Problems = [] if activities else [("activities", _("Tick at least one activity."))]
    wanted: dict[str, int] = {}
    for code, quantity in activities:
        if code not in types:
            problems.append(("activities", _("Unknown activity: %(code)s.") % {"code": code}))
        elif code in wanted:
            problems.append(("activities", _("The activity %(code)s is listed twice.") % {"code": code}))
        elif isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            problems.append(("activities", _("The number of people helped must be a whole number of at least 1.")))
        else:
            wanted[code] = quantity
    if not (note or "").strip() and (vague := [types[code].name for code in wanted if types[code].requires_note]):
        message = _("Say in the note what help was given for: %(activities)s.")
        problems.append(("note", message % {"activities": ", ".join(vague)}))
    return wanted, problems


def place_checked(
    *, acting_user, household: Household | None, area: Area | None, team: Team | None
) -> tuple[Area | None, Problems]:
    """(the visit's area, problems): a household's hamlet, or (without a household) a hamlet or a commune of the
    user's scope and the team's area — or the commune whose one-stop desk the team staffs."""
    if household is not None:
        problems: Problems = []
        if area is not None and area.pk != household.area_id:
            problems.append(("area", _("The area of a visit to a household is the household's hamlet.")))
        area = household.area
        if not scoping.area_in_scope(acting_user, area, VISIT_WRITERS):
            problems.append(("household", _("This household does not exist or is outside your area.")))
        elif team is not None and not area.path.startswith(team.area.path):
            problems.append(("household", _("This household is outside your team's area.")))
        return area, problems
    if area is None:
        return None, [("area", _("Choose the household, or the hamlet or commune where the help was given."))]
    if area.level not in (Level.HAMLET, Level.COMMUNE):
        return area, [("area", _("Without a household, the area must be a hamlet or a commune."))]
    if at_one_stop_desk(area=area, team=team):
        return area, []  # the member was checked (member_problems); the desk is the team's own commune
    if not scoping.area_in_scope(acting_user, area, VISIT_WRITERS):
        return area, [("area", _("This area does not exist or is outside your area."))]
    if team is not None and not area.path.startswith(team.area.path):
        return area, [("area", _("This area is outside your team's area."))]
    return area, []


def client_uuid_checked(value) -> tuple[uuid.UUID | None, Problems]:
    try:
        return (value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))), []
    except ValueError:
        return None, [("client_uuid", _("Must be a valid UUID."))]


def visit_check(
    *,
    acting_user,
    member: Member | None,
    household: Household | None,
    area: Area | None,
    date: Date | None,
    channel: str,
    activities: dict[str, int] | list[tuple[str, int]],
    client_uuid: uuid.UUID,
    types: dict[str, ActivityType],
    note: str = "",
) -> tuple[VisitData | None, dict[str, list[str]]]:
    """Apply every rule; returns (the visit ready to store, {}) or (None, {field: [messages]})."""
    team = member.team if member is not None else None
    problems = member_problems(acting_user=acting_user, member=member, date=date)
    if channel not in CHANNELS:
        problems.append(("channel", _("Unknown channel.")))
    problems += date_problems(date=date, team=team, today=timezone.localdate())
    wanted, found = activities_checked(activities, note, types)
    area, placed = place_checked(acting_user=acting_user, household=household, area=area, team=team)
    client_uuid, parsed = client_uuid_checked(client_uuid)
    errors: dict[str, list[str]] = {}
    for name, message in problems + found + placed + parsed:
        errors.setdefault(name, []).append(message)
    if errors:
        return None, errors
    data = VisitData(client_uuid, member, household, area, date, channel, wanted, (note or "").strip(), types=types)
    return data, {}


def visit_checked(**visit) -> VisitData:
    """``visit_check`` for a single visit: the visit ready to store, or Django's ``ValidationError``."""
    data, errors = visit_check(**visit)
    if errors:
        raise ValidationError(errors)
    return data


# --- Resolution: the objects a visit names ----------------------------------------------------------------------


@dataclass
class Found:
    """What a batch's ids name inside the user's scope for logging visits (an id outside reads as missing)."""

    households: dict[int, Household]
    areas: dict[int, Area]
    communes: dict[int, Area]  # outside the user's scope: only a team's one-stop desk may use them
    members: dict[int, Member]
    mine: list[Member]  # the user's active roster entries
    former: list[Member]  # the user's ended roster entries, for visits dated before the end


def own_member_for(item: dict, active: list[Member], former: list[Member], place: Area | None) -> Member | None:
    """The user's own roster entry a visit is logged under when it names no member: one on the visit's team (if it
    names one) and on the roster on the visit's date — an active entry, else one that ended after that date (a
    visit typed offline before the member left; ``left_on`` is the first day off the roster) — preferring a team
    whose area holds the visit's place and an entry that had begun by that date. With none, the entry that ended
    last (``visit_check`` then refuses the visit with the day the member left)."""
    day, team_id = item.get("date"), item.get("team")
    active = [m for m in active if team_id in (None, m.team_id)]
    former = [m for m in former if team_id in (None, m.team_id)]
    candidates = active + [m for m in former if day is not None and day < m.left_on]

    def fit(member: Member) -> tuple[bool, bool]:  # False sorts first; the sort is stable: active entries first
        began = member.joined_on is None or day is None or member.joined_on <= day
        holds = place is None or place.path.startswith(member.team.area.path)
        return (not (holds or at_one_stop_desk(area=place, team=member.team)), not began)

    candidates.sort(key=fit)
    if not candidates:  # the latest ended entry, so that the refusal says when the member left
        candidates = sorted(former, key=lambda m: m.left_on, reverse=True)
    return candidates[0] if candidates else None


def item_resolved(item: dict, found: Found, types: dict[str, ActivityType]) -> dict:
    """A shape-valid item as the keyword arguments of ``visit_check``, or ``{"errors": {...}}`` when an id names
    nothing the user may log on."""
    errors: dict[str, list[str]] = {}
    household = area = member = desk = None
    if item.get("household") is not None and (household := found.households.get(item["household"])) is None:
        errors["household"] = [_("This household does not exist or is outside your area.")]
    if item.get("area") is not None:
        area = found.areas.get(item["area"])
        desk = found.communes.get(item["area"]) if household is None else None
    if item.get("member") is not None:
        if (member := found.members.get(item["member"])) is None:
            errors["member"] = [_("This member does not exist or is outside your area.")]
    else:
        place = household.area if household is not None else area or desk
        member = own_member_for(item, found.mine, found.former, place)
    if area is None and desk is not None and member is not None and at_one_stop_desk(area=desk, team=member.team):
        area = desk
    if item.get("area") is not None and area is None:
        errors["area"] = [_("This area does not exist or is outside your area.")]
    if member is not None and item.get("team") is not None and item["team"] != member.team_id:
        errors["team"] = [_("The member is not on this team.")]
    if errors:
        return {"errors": errors}
    return {
        "member": member,
        "household": household,
        "area": area,
        "date": item.get("date"),
        "channel": item.get("channel"),
        "activities": [(a["type"], a["quantity"]) for a in item.get("activities", [])],
        "client_uuid": item["client_uuid"],
        "note": item.get("note", ""),
        "types": types,
    }
