"""The rules of a visit as functions of the objects they judge (households.visit_rules), without a request; and the
rules written once that the visits and the household importer share: the household flags, the consent rule
(Python and its SQL form agree), the words of a household file."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from accounts.models import Role, User
from areas import scoping
from areas.models import Area, Level
from households import flags, import_cells, labels, visit_rules
from households.models import ActivityType, Category, Household
from households.services import consent_recorded_at, consent_recorded_at_sql
from members.models import Member
from teams.models import Team

COMMUNE = Area(pk=2, level=Level.COMMUNE, path="/1/2/")
HAMLET = Area(pk=3, level=Level.HAMLET, path="/1/2/3/")
OTHER_COMMUNE = Area(pk=4, level=Level.COMMUNE, path="/1/4/")
TEAM = Team(pk=7, area=HAMLET, established_on=date(2024, 1, 15))
TYPES = {
    "vneid_activation": ActivityType(pk=1, code="vneid_activation", name_en="VNeID", name_vi="VNeID"),
    "other": ActivityType(pk=2, code="other", name_en="Other", name_vi="Khác", requires_note=True),
}


def user_with_roles(*roles: tuple[str, str]) -> User:
    """A user whose (role, area path) pairs are already read: the rules ask nothing of the database."""
    user = User(pk=11, username="to.vien", is_active=True)
    user.__dict__[scoping.ROLE_PATHS_CACHE] = list(roles)
    return user


def member_of(user: User, **extra) -> Member:
    return Member(pk=21, team=TEAM, user_id=user.pk, joined_on=date(2024, 2, 1), **extra)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


# --- The checks -----------------------------------------------------------------------------------------------


def test_a_visit_cannot_be_dated_in_the_future_or_before_its_team_was_founded():
    today = date(2026, 3, 1)
    assert visit_rules.date_problems(date=today, team=TEAM, today=today) == []
    assert visit_rules.date_problems(date=today + timedelta(days=1), team=TEAM, today=today) == [
        ("date", "The date of a visit cannot be in the future.")
    ]
    assert visit_rules.date_problems(date=date(2024, 1, 1), team=TEAM, today=today) == [
        ("date", "The date is before the team was founded (15/01/2024).")
    ]


def test_each_activity_is_of_the_catalogue_once_and_helps_someone_and_other_needs_a_note():
    wanted, problems = visit_rules.activities_checked([("vneid_activation", 2)], "", TYPES)
    assert (wanted, problems) == ({"vneid_activation": 2}, [])
    _wanted, problems = visit_rules.activities_checked(
        [("vneid_activation", 1), ("vneid_activation", 1), ("fishing", 1), ("other", True)], "", TYPES
    )
    assert [message for _field, message in problems] == [
        "The activity vneid_activation is listed twice.",
        "Unknown activity: fishing.",
        "The number of people helped must be a whole number of at least 1.",
    ]
    assert visit_rules.activities_checked([("other", 1)], " ", TYPES)[1] == [
        ("note", "Say in the note what help was given for: Other.")
    ]
    assert visit_rules.activities_checked([], "", TYPES)[1] == [("activities", "Tick at least one activity.")]


def test_a_member_who_left_syncs_only_the_visits_dated_before_the_day_they_left():
    user = user_with_roles((Role.TEAM_MEMBER, HAMLET.path))
    left = member_of(user, left_on=date(2026, 2, 1))
    assert visit_rules.member_problems(acting_user=user, member=left, date=date(2026, 1, 31)) == []
    assert visit_rules.member_problems(acting_user=user, member=left, date=date(2026, 2, 1)) == [
        ("member", "You left the team on 01/02/2026: only visits from before that day can be logged.")
    ]
    assert visit_rules.member_problems(acting_user=user, member=None, date=None)[0][0] == "member"


def test_the_one_stop_desk_of_a_hamlet_team_is_its_communes_and_no_other():
    assert visit_rules.one_stop_desk_path(TEAM) == COMMUNE.path
    assert visit_rules.at_one_stop_desk(area=COMMUNE, team=TEAM)
    assert not visit_rules.at_one_stop_desk(area=OTHER_COMMUNE, team=TEAM)
    assert not visit_rules.at_one_stop_desk(area=HAMLET, team=TEAM)
    assert not visit_rules.at_one_stop_desk(area=COMMUNE, team=None)


def test_a_desk_visit_outside_the_users_scope_is_allowed_on_the_teams_commune_only():
    user = user_with_roles((Role.TEAM_MEMBER, HAMLET.path))
    assert visit_rules.place_checked(acting_user=user, household=None, area=COMMUNE, team=TEAM) == (COMMUNE, [])
    area, problems = visit_rules.place_checked(acting_user=user, household=None, area=OTHER_COMMUNE, team=TEAM)
    assert problems == [("area", "This area does not exist or is outside your area.")]
    household = Household(pk=5, area=HAMLET)
    assert visit_rules.place_checked(acting_user=user, household=household, area=None, team=TEAM) == (HAMLET, [])


def test_a_visit_naming_no_member_goes_to_the_users_entry_on_the_roster_that_day():
    user = user_with_roles((Role.TEAM_MEMBER, HAMLET.path))
    elsewhere = Member(pk=22, team=Team(pk=8, area=OTHER_COMMUNE), user_id=user.pk)
    here = member_of(user)
    ended = member_of(user, left_on=date(2026, 2, 1))
    item = {"date": date(2026, 1, 10)}
    assert visit_rules.own_member_for(item, [elsewhere, here], [], HAMLET) is here
    assert visit_rules.own_member_for(item, [], [ended], HAMLET) is ended
    assert visit_rules.own_member_for({"date": date(2026, 3, 1)}, [], [ended], HAMLET) is ended  # refused later
    assert visit_rules.own_member_for({**item, "team": 99}, [here], [], HAMLET) is None


def test_a_visit_breaking_several_rules_is_refused_with_djangos_error_naming_each_field():
    user = user_with_roles((Role.TEAM_MEMBER, HAMLET.path))
    with pytest.raises(ValidationError) as refused:
        visit_rules.visit_checked(
            acting_user=user, member=member_of(user), household=None, area=OTHER_COMMUNE, date=None,
            channel="pigeon", activities=[], client_uuid="not-a-uuid", types=TYPES,
        )  # fmt: skip
    assert set(refused.value.message_dict) == {"area", "date", "channel", "activities", "client_uuid"}


def test_a_visit_keeping_every_rule_is_ready_to_store():
    user = user_with_roles((Role.TEAM_MEMBER, HAMLET.path))
    data = visit_rules.visit_checked(
        acting_user=user, member=member_of(user), household=Household(pk=5, area=HAMLET), area=None,
        date=date(2025, 5, 1), channel="door_to_door", activities={"vneid_activation": 3}, client_uuid=uuid.uuid4(),
        note=" Kích hoạt ", types=TYPES,
    )  # fmt: skip
    assert (data.area, data.team_id, data.note, data.activities) == (
        HAMLET,
        TEAM.pk,
        "Kích hoạt",
        {"vneid_activation": 3},
    )


# --- Rules written once -----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("consents", [True, False])
@pytest.mark.parametrize("consented", [True, False])
def test_the_consent_rule_in_python_and_in_the_importers_sql_agree(consents, consented):
    recorded, now = datetime(2025, 1, 2, tzinfo=UTC), datetime(2026, 3, 4, tzinfo=UTC)
    expected = consent_recorded_at(consents=consents, consented=consented, recorded_at=recorded, now=now)
    expression = consent_recorded_at_sql(
        consents="%s::boolean", consented="%s::boolean", recorded_at="%s::timestamptz", now="%s::timestamptz"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {expression}", [consents, consented, recorded, now])
        assert cursor.fetchone()[0] == expected
    assert expected == (None if not consents else recorded if consented else now)


@pytest.mark.django_db
def test_a_households_flags_are_those_its_visits_activities_prove():
    pairs = "VALUES (1, 'has_vneid'), (1, 'has_cashless'), (2, 'has_vneid')"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({flags.proved(pairs)}) f ORDER BY household_id")
        columns = [c.name for c in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    assert rows == [
        {"household_id": 1, "has_dvctt_account": False, "has_cashless": True, "has_vneid": True},
        {"household_id": 2, "has_dvctt_account": False, "has_cashless": False, "has_vneid": True},
    ]


def test_the_household_file_reads_the_catalogues_words_and_the_old_spellings():
    with translation.override("vi"):
        vietnamese = {value: str(label) for value, label in Category.choices}
    assert labels.category_labels() == vietnamese
    assert labels.categories()[vietnamese[Category.POOR].lower()] == Category.POOR
    assert labels.categories()["nghèo"] == labels.categories()["poor"] == Category.POOR
    assert labels.yes_no() == ("Có", "Không")
    assert [import_cells.yes_no(v) for v in ("Có", "x", "Không", "", "chưa", "maybe")] == [
        True, True, False, False, False, None,
    ]  # fmt: skip


def test_a_phone_cell_needs_consent_and_a_vietnamese_number():
    assert import_cells.phone("0912 345 678", True, "Đồng ý lưu SĐT") == ("0912345678", [])
    assert import_cells.phone("0912345678", False, "Đồng ý lưu SĐT")[1] == [
        ("phone", "A phone number can only be kept when the household has consented (column “Đồng ý lưu SĐT”).")
    ]
    assert import_cells.phone("09******78", True, "Đồng ý lưu SĐT") == ("09******78", [])  # checked on the portal
