"""``manage.py generate_demo``: the small data set is valid, consistent, deterministic and not generated twice."""

import io
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from areas.models import Area, Level, Structure
from demo import plan
from members.validators import normalize_phone
from teams.models import Team


def generate(**options) -> str:
    out = io.StringIO()
    call_command("generate_demo", scale=options.pop("scale", "small"), stdout=out, **options)
    return out.getvalue()


def scalar(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def fingerprint() -> str:
    """A digest of everything generated, independent of the ids the sequences gave."""
    return scalar(
        """
        SELECT md5(concat_ws('|',
            (SELECT string_agg(concat_ws(',', c.code, a.name, a.kind, a.path IS NOT NULL), ';' ORDER BY c.code, a.name)
             FROM areas_area a JOIN areas_area c ON c.id = a.parent_id WHERE a.level = 'hamlet'),
            (SELECT string_agg(concat_ws(',', t.name, t.established_on, t.decision_number, t.zalo_group_url,
                                         m.full_name, m.gender, m.birth_year, m.phone, m.citizen_id_last4,
                                         m.organization, m.role, m.trained_on), ';'
                               ORDER BY t.area_id, t.name, m.role, m.full_name, m.phone)
             FROM teams_team t JOIN members_member m ON m.team_id = t.id),
            (SELECT string_agg(concat_ws(',', h.code, h.head_name, h.address, h.size, h.phone, h.consent_given,
                                         h.categories, h.has_smartphone, h.has_dvctt_account, h.has_cashless,
                                         h.has_vneid), ';' ORDER BY h.code)
             FROM households_household h),
            (SELECT string_agg(concat_ws(',', v.client_uuid, h.code, v.date, v.channel, v.note, m.full_name,
                                         m.phone, t.code, va.quantity), ';' ORDER BY v.client_uuid, t.code)
             FROM households_visit v
             LEFT JOIN households_household h ON h.id = v.household_id
             JOIN members_member m ON m.id = v.member_id
             JOIN households_visitactivity va ON va.visit_id = v.id
             JOIN households_activitytype t ON t.id = va.activity_type_id)
        ))
        """
    )


def fingerprint_of_a_run(**options) -> str:
    """Generate inside a savepoint, take the fingerprint, and roll it all back."""
    with transaction.atomic():
        generate(**options)
        value = fingerprint()
        transaction.set_rollback(True)
    return value


@pytest.fixture
def small(legacy_province) -> str:
    return generate(seed=1)


def test_the_small_set_has_the_expected_size(small):
    hamlets = Area.objects.filter(level=Level.HAMLET, teams__notes__startswith=plan.MARKER)
    teams = Team.objects.filter(notes__startswith=plan.MARKER)
    communes = Area.objects.filter(pk__in=hamlets.values("parent"))
    assert 25 <= hamlets.count() <= 40
    assert communes.count() <= 10
    assert communes.values("parent").distinct().count() == 1  # one district
    assert hamlets.count() <= teams.count() <= hamlets.count() + communes.count()
    assert scalar("SELECT count(*) FROM members_member") == 4 * (teams.count() - hamlets.count()) + 5 * hamlets.count()
    households = scalar("SELECT count(*) FROM households_household")
    visits = scalar("SELECT count(*) FROM households_visit")
    activities = scalar("SELECT count(*) FROM households_visitactivity")
    assert 4_000 <= households <= 6_500
    assert 20_000 <= visits <= 40_000
    assert 1.2 <= activities / visits <= 1.36
    assert "Done in" in small and "visits: " in small


def test_hamlets_hang_under_real_legacy_communes_with_stored_paths(small):
    for hamlet in Area.objects.filter(level=Level.HAMLET).select_related("parent"):
        assert hamlet.parent.level == Level.COMMUNE and hamlet.structure == Structure.LEGACY
        assert hamlet.path == f"{hamlet.parent.path}{hamlet.pk}/"
        assert hamlet.valid_to == hamlet.parent.valid_to
        assert hamlet.name.startswith(("Ấp ", "Khu phố "))


def test_every_team_is_active_with_exactly_one_leader_and_one_team_per_hamlet(small):
    rows = scalar(
        """
        SELECT count(*) FROM teams_team t
        WHERE t.status <> 'active'
           OR (SELECT count(*) FROM members_member m WHERE m.team_id = t.id AND m.role = 'leader'
               AND m.left_on IS NULL) <> 1
        """
    )
    assert rows == 0
    assert scalar("SELECT count(*) - count(DISTINCT area_id) FROM teams_team") == 0
    assert scalar("SELECT count(*) FROM areas_area a WHERE level = 'hamlet' AND NOT EXISTS "
                  "(SELECT 1 FROM teams_team t WHERE t.area_id = a.id)") == 0  # fmt: skip


def test_members_are_mostly_youth_union_and_mostly_trained_with_valid_unique_phones(small):
    members = apps.get_model("members", "Member").objects.all()
    total = members.count()
    assert members.filter(organization="youth_union").count() > 0.7 * total
    assert 0.65 * total <= members.filter(trained_on__isnull=False).count() <= 0.92 * total
    phones = [p for p in members.values_list("phone", flat=True) if p]
    assert len(phones) == len(set(phones))
    assert all(normalize_phone(p) == p for p in phones)
    assert not members.filter(trained_on__lt=F("joined_on")).exists()


def test_household_phones_are_kept_only_with_consent_and_are_vietnamese_mobiles(small):
    households = apps.get_model("households", "Household").objects.all()
    assert not households.exclude(phone="").filter(consent_given=False).exists()
    phones = list(households.exclude(phone="").values_list("phone", flat=True))
    assert len(phones) > 0.25 * households.count()
    assert all(normalize_phone(p) == p for p in phones)
    assert households.filter(size__gte=1, size__lte=7).count() == households.count()
    assert households.filter(categories__contains=["poor"]).exists()


def test_household_flags_follow_the_visits(small):
    mismatches = scalar(
        """
        WITH f AS (
            SELECT v.household_id AS id,
                   bool_or(t.household_flag = 'has_dvctt_account') AS dvctt,
                   bool_or(t.household_flag = 'has_cashless') AS cashless,
                   bool_or(t.household_flag = 'has_vneid') AS vneid
            FROM households_visit v
            JOIN households_visitactivity va ON va.visit_id = v.id
            JOIN households_activitytype t ON t.id = va.activity_type_id
            WHERE v.household_id IS NOT NULL
            GROUP BY v.household_id
        )
        SELECT count(*) FROM households_household h LEFT JOIN f ON f.id = h.id
        WHERE h.has_dvctt_account <> coalesce(f.dvctt, false)
           OR h.has_cashless <> coalesce(f.cashless, false)
           OR h.has_vneid <> coalesce(f.vneid, false)
        """
    )
    assert mismatches == 0
    assert scalar("SELECT count(*) FROM households_household WHERE has_vneid") > 1000


def test_visits_are_consistent_with_their_team_member_household_and_dates(small):
    today = timezone.localdate()
    bad = scalar(
        """
        SELECT count(*) FROM households_visit v
        JOIN teams_team t ON t.id = v.team_id
        JOIN areas_area ta ON ta.id = t.area_id
        JOIN areas_area va ON va.id = v.area_id
        JOIN members_member m ON m.id = v.member_id
        LEFT JOIN households_household h ON h.id = v.household_id
        WHERE v.date < t.established_on OR v.date > %s OR v.date < %s
           OR m.team_id <> t.id
           OR NOT va.path LIKE ta.path || '%%'
           OR (h.id IS NOT NULL AND h.area_id <> v.area_id)
           OR (h.id IS NULL AND (va.level <> 'commune' OR v.channel <> 'one_stop_desk'))
        """,
        [today, today.replace(year=today.year - 2)],
    )
    assert bad == 0
    at_the_desk = scalar("SELECT count(*) FROM households_visit WHERE household_id IS NULL")
    assert 0 < at_the_desk < 0.1 * scalar("SELECT count(*) FROM households_visit")
    door_to_door = scalar("SELECT avg((channel = 'door_to_door')::int) FROM households_visit")
    assert door_to_door > 0.75


def test_the_campaign_days_are_the_peak(small):
    per_day = scalar(
        """
        SELECT avg(n) FILTER (WHERE campaign) / avg(n) FILTER (WHERE NOT campaign) FROM (
            SELECT date, count(*) AS n, extract(month FROM date) = 10 AND extract(day FROM date) <= 10 AS campaign
            FROM households_visit GROUP BY date
        ) d
        """
    )
    assert per_day > 3


def test_some_teams_are_idle_lately_and_some_communes_far_ahead(legacy_province):
    generate(scale="small", seed=3)
    idle = scalar(
        "SELECT count(*) FROM teams_team t WHERE NOT EXISTS (SELECT 1 FROM households_visit v "
        "WHERE v.team_id = t.id AND v.date > %s)",
        [timezone.localdate() - timedelta(days=40)],
    )
    assert 1 <= idle < scalar("SELECT count(*) FROM teams_team") * 0.3
    spread = scalar(
        """
        SELECT max(r) / min(r) FROM (
            SELECT c.id, count(v.id)::float / (SELECT count(*) FROM households_household h
                                               JOIN areas_area a ON a.id = h.area_id WHERE a.parent_id = c.id) AS r
            FROM areas_area c JOIN areas_area a ON a.parent_id = c.id JOIN households_visit v ON v.area_id = a.id
            WHERE c.level = 'commune'
            GROUP BY c.id
        ) x
        """
    )
    assert spread > 1.5


def test_no_audit_events_are_written_for_the_generated_rows(legacy_province):
    models = ["households.HouseholdEvent", "households.VisitEvent", "households.VisitActivityEvent",
              "teams.TeamEvent", "members.MemberEvent", "areas.AreaEvent"]  # fmt: skip
    before = {name: apps.get_model(name).objects.count() for name in models}
    generate(seed=1)
    assert {name: apps.get_model(name).objects.count() for name in models} == before


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(legacy_province):
    first = fingerprint_of_a_run(seed=1)
    assert fingerprint_of_a_run(seed=1) == first
    assert fingerprint_of_a_run(seed=2) != first


def test_it_refuses_to_generate_over_an_existing_set(small):
    visits = scalar("SELECT count(*) FROM households_visit")
    with pytest.raises(CommandError, match="--reset"):
        generate(seed=1)
    with pytest.raises(CommandError, match="--reset"):
        generate(scale="province", seed=2)
    assert scalar("SELECT count(*) FROM households_visit") == visits


def test_reset_replaces_the_set_with_a_new_one(small):
    hamlets_before = set(Area.objects.filter(level=Level.HAMLET).values_list("pk", flat=True))
    out = generate(seed=2, reset=True)
    assert "deleted visits" in out
    assert set(Team.objects.filter(notes__startswith=plan.MARKER).values_list("notes", flat=True)) == {
        plan.marker("small", 2)
    }
    assert not Area.objects.filter(pk__in=hamlets_before).exists()
    assert scalar("SELECT count(*) FROM households_visit v JOIN teams_team t ON t.id = v.team_id") == scalar(
        "SELECT count(*) FROM households_visit"
    )


def test_factor_is_for_the_nation_scale_only(legacy_province):
    with pytest.raises(CommandError, match="nation"):
        generate(scale="small", factor=2)


def test_the_nation_scale_takes_factor_times_the_province_communes(legacy_province):
    communes = plan.communes_for("nation", 0.1)
    assert len(communes) == round(0.1 * 186)
    assert all(c.path.startswith(legacy_province.path) for c in communes)
    with pytest.raises(plan.DemoError, match="import_admin_units --structure legacy"):
        plan.communes_for("nation", 2)  # only province 80 is imported in the test database
