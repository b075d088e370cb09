"""The contract of ``cnscd/audit.py`` with django-pghistory and django-pgtrigger: the hand-written bulk path writes
the history rows the triggers write, skipping triggers skips exactly them, reads run without the context prefix,
and the installed releases are the ones the module was written for."""

import pytest
from django.db import connection, transaction

from cnscd import audit
from households.models import Household
from tests.test_household_import import households, post

Event = Household.pgh_event_model
# What differs between two event rows of the same content: identities and clocks.
VOLATILE = {"pgh_id", "pgh_obj", "pgh_obj_id", "pgh_context", "pgh_context_id", "pgh_created_at", "id", "code"}
VOLATILE |= {"created_at", "updated_at", "consent_recorded_at"}


def content(event) -> dict:
    return {f.attname: getattr(event, f.attname) for f in Event._meta.concrete_fields if f.attname not in VOLATILE}


@pytest.fixture
def household(hamlet_a1) -> Household:
    return Household.objects.create(area=hamlet_a1, code="A1-900", head_name="Chủ hộ Kiểm Toán", size=3)


def copy_through_the_triggers(household: Household, code: str) -> Household:
    """The same household written by the ORM: the triggers write its history."""
    values = {f.attname: getattr(household, f.attname) for f in Household._meta.concrete_fields if f.name != "id"}
    return Household.objects.create(**(values | {"code": code}))


def test_the_import_writes_the_insert_and_update_events_the_triggers_would(
    api, commune_officer_a, commune_a, hamlet_a1, hamlet_a2
):
    client = api(commune_officer_a)
    rows = households(commune_a, [hamlet_a1, hamlet_a2], n=2)
    post(client, rows)  # the bulk path: triggers skipped, event rows written by events_sql
    imported = Household.objects.get(code="HGD-000")
    with audit.context(user=commune_officer_a.pk, import_kind="households"):
        twin = copy_through_the_triggers(imported, "TWIN-000")

    bulk_insert = Event.objects.get(pgh_obj_id=imported.pk)
    trigger_insert = Event.objects.get(pgh_obj_id=twin.pk)
    assert (bulk_insert.pgh_label, trigger_insert.pgh_label) == ("insert", "insert")
    assert content(bulk_insert) == content(trigger_insert)
    told = trigger_insert.pgh_context.metadata  # the import's context also names the request's URL
    assert {key: bulk_insert.pgh_context.metadata[key] for key in told} == told

    rows[0][3] = "Trần Văn Mới"
    post(client, rows)  # one update event for HGD-000, none for the unchanged HGD-001
    Household.objects.filter(pk=twin.pk).update(head_name="Trần Văn Mới")
    bulk_update = Event.objects.filter(pgh_obj_id=imported.pk).latest("pgh_id")
    trigger_update = Event.objects.filter(pgh_obj_id=twin.pk).latest("pgh_id")
    assert (bulk_update.pgh_label, trigger_update.pgh_label) == ("update", "update")
    assert content(bulk_update) == content(trigger_update)
    other = Household.objects.get(code="HGD-001")
    assert Event.objects.filter(pgh_obj_id=other.pk).count() == 1


def test_the_event_rows_written_by_hand_cover_every_column_the_triggers_track():
    sql = audit.events_sql(Household, "written", label="'insert'")
    tracked = [f.column for f in Event._meta.concrete_fields if not f.name.startswith("pgh_")]
    assert tracked and all(f'"{column}"' in sql for column in tracked)
    assert {f.column for f in Household._meta.concrete_fields} == set(tracked)  # every column of the row is tracked


def test_skipping_the_triggers_writes_no_history_and_only_while_inside(household):
    events = Event.objects.filter(pgh_obj_id=household.pk)
    before = events.count()
    with transaction.atomic(), audit.triggers_skipped(Household):
        Household.objects.filter(pk=household.pk).update(address="Số 1, đường bỏ qua")
    assert events.count() == before
    Household.objects.filter(pk=household.pk).update(address="Số 2, đường có ghi")
    assert events.count() == before + 1 and events.latest("pgh_id").address == "Số 2, đường có ghi"


def test_the_trigger_uris_are_those_of_the_history_and_filter_by_label():
    every = audit.event_triggers(Household)
    assert sorted(uri.split(":")[1] for uri in every) == ["delete_delete", "insert_insert", "update_update"]
    assert sorted(audit.event_triggers(Household, labels=("insert", "update"))) == [
        "households.Household:insert_insert",
        "households.Household:update_update",
    ]


def test_statements_without_the_context_carry_no_prefix_and_writes_inside_a_context_do(household, superuser):
    with audit.context(user=superuser.pk):
        with audit.without_context():
            with connection.cursor() as cursor:
                cursor.execute("UPDATE households_household SET address = 'Không ngữ cảnh' WHERE id = %s",
                               [household.pk])  # fmt: skip
        Household.objects.filter(pk=household.pk).update(address="Có ngữ cảnh")
    quiet, told = Event.objects.filter(pgh_obj_id=household.pk).order_by("-pgh_id")[:2][::-1]
    assert quiet.address == "Không ngữ cảnh" and quiet.pgh_context_id is None
    assert told.address == "Có ngữ cảnh" and told.pgh_context.metadata == {"user": superuser.pk}


def test_the_installed_releases_are_the_ones_the_module_was_written_for(monkeypatch):
    assert audit.check_versions() == []
    monkeypatch.setitem(audit.SUPPORTED, "django-pgtrigger", "1.0")
    (error,) = audit.check_versions()
    assert error.id == "cnscd.E001" and "django-pgtrigger" in error.msg


@pytest.mark.django_db
def test_the_version_check_runs_with_the_system_checks():
    from django.core import checks

    assert audit.check_versions in checks.registry.registry.get_checks()
