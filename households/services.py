"""Writes on households: create, update, the consent rule and its withdrawal, the derived flags.

A household's phone is kept only with its consent (docs/SPEC.md §4): ``household_consent`` is that rule for the API,
the pages and the administration, ``consent_recorded_at_sql`` the same rule for the importer's upsert. Withdrawing
consent erases the phone from the household, its audit history and every copy in free text
(``household_consent_withdrawn``); a daily sweep is the safety net. Who reads the number in full is
``household_phone_shown``'s decision; visits and exports have their own modules (``households.visits``,
``households.exports``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from areas import policy, scoping
from areas.models import Area, Level
from cnscd import audit
from cnscd.phones import mask_phone
from households import flags
from households.models import Household

# --- Consent ----------------------------------------------------------------------------------------------------


def consent_recorded_at(*, consents: bool, consented: bool, recorded_at, now):
    """When the household's consent was recorded: never without consent, kept while consent lasts, ``now`` when
    it is given."""
    if not consents:
        return None
    return recorded_at if consented else now


def consent_recorded_at_sql(*, consents: str, consented: str, recorded_at: str, now: str) -> str:
    """``consent_recorded_at`` as an SQL expression of the four SQL expressions given (the importer's upsert)."""
    return f"CASE WHEN NOT {consents} THEN NULL WHEN {consented} THEN {recorded_at} ELSE {now} END"


def household_consent(fields: dict, instance: Household | None) -> dict:
    """Apply the consent rule: a phone only with consent; withdrawing consent erases the phone."""
    consent = fields.get("consent_given", instance.consent_given if instance else False)
    phone = fields.get("phone", instance.phone if instance else "")
    if phone and not consent:
        if "phone" in fields and fields["phone"]:
            raise ValidationError(
                {"phone": [_("A phone number can only be kept when the household has consented; tick the consent.")]}
            )
        fields["phone"] = ""  # consent withdrawn: the number goes with it
    fields["consent_recorded_at"] = consent_recorded_at(
        consents=consent,
        consented=bool(instance and instance.consent_given),
        recorded_at=instance.consent_recorded_at if instance else None,
        now=timezone.now(),
    )
    return fields


CONSENT_WITHDRAWN = "consent_withdrawn"  # the label of the audit event that records a withdrawal


def household_consent_withdrawn(*, acting_user, household_ids: Iterable[int]) -> int:
    """Follow a withdrawal of consent into the audit history, in the caller's transaction.

    The households (their consent is already withdrawn, their phone erased) lose the phone from every event of
    their history, and every copy of those numbers kept in the free text of import reports and export logs is
    masked. Each household gets one ``consent_withdrawn`` event: its row as it now is (no phone), with who and
    when in the audit context, so the history still shows that there was consent and that it was withdrawn.
    Returns the number of event rows scrubbed.
    """
    ids = sorted(set(household_ids))
    if not ids:
        return 0
    table = Household.pgh_event_model._meta.db_table
    with audit.context(user=getattr(acting_user, "pk", None)), connection.cursor() as cursor:
        cursor.execute(
            f'SELECT DISTINCT phone FROM "{table}" WHERE pgh_obj_id = ANY(%s) AND phone <> %s', [ids, ""]
        )  # fmt: skip
        numbers = [row[0] for row in cursor.fetchall()]
        cursor.execute(f'UPDATE "{table}" SET phone = %s WHERE pgh_obj_id = ANY(%s) AND phone <> %s', ["", ids, ""])
        scrubbed = cursor.rowcount
        withdrawn = "households_household WHERE id = ANY(%s) AND NOT consent_given"
        events = audit.events_sql(Household, withdrawn, label=f"'{CONSENT_WITHDRAWN}'")
        cursor.execute(events, [audit.attach_context(cursor), ids])
        _phone_copies_mask(cursor, numbers)
    return scrubbed


# The free text the portal keeps that may hold a phone as typed: import reports (and their audit events), export
# logs' parameters. New rows are masked when stored (imports.masking); this covers the rows stored before.
_PHONE_COPIES = (
    ("imports_importjob", "errors"),
    ("imports_importjobevent", "errors"),
    ("households_exportlog", "params"),
)


def _phone_pattern(number: str) -> str:
    """A PostgreSQL regular expression for ``number`` (``0…``) as it may have been typed: with spaces, dots or
    dashes between its digits, or with +84 / 84 for the leading 0."""
    return r"(\+?84|0)[ .-]?" + r"[ .-]?".join(number[1:])


def _phone_copies_mask(cursor, numbers: list[str]) -> None:
    for number in numbers:
        if not (number.isdigit() and number.startswith("0")):
            continue  # stored numbers are 0 and digits (cnscd.phones); anything else is not replaced in JSON text
        for table, column in _PHONE_COPIES:
            cursor.execute(
                f"UPDATE {table} SET {column} = regexp_replace({column}::text, %s, %s, 'g')::jsonb "
                f"WHERE {column}::text ~ %s",
                [_phone_pattern(number), mask_phone(number), _phone_pattern(number)],
            )


def household_history_sweep() -> int:
    """Erase the phone from every audit event of a household that no longer consents or no longer exists.

    The safety net of ``household_consent_withdrawn`` (run daily by Celery beat): whatever path withdrew consent,
    no phone stays in the history without the consent that allowed it. Returns the number of events scrubbed.
    """
    table = Household.pgh_event_model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" e SET phone = %s WHERE e.phone <> %s AND NOT EXISTS '
            "(SELECT 1 FROM households_household h WHERE h.id = e.pgh_obj_id AND h.consent_given)",
            ["", ""],
        )
        return cursor.rowcount


def _household_area_check(area: Area) -> None:
    if area.level != Level.HAMLET:
        raise ValidationError({"area": [_("A household belongs to a hamlet.")]})


def _household_code_check(*, area: Area, code: str, household: Household | None = None) -> None:
    others = Household.objects.filter(area=area, code=code)
    if (others.exclude(pk=household.pk) if household else others).exists():
        raise ValidationError({"code": [_("This hamlet already has a household with this code.")]})


@transaction.atomic
def household_create(*, acting_user, area: Area, code: str, head_name: str, **fields) -> Household:
    _household_area_check(area)
    code = code.strip()
    _household_code_check(area=area, code=code)
    fields = household_consent(fields, None)
    return Household.objects.create(area=area, code=code, head_name=head_name.strip(), **fields)


@transaction.atomic
def household_update(*, acting_user, household: Household, **fields) -> Household:
    """Change a household; unticking consent erases its phone, from its history too."""
    if "area" in fields:
        _household_area_check(fields["area"])
    if "code" in fields:
        fields["code"] = fields["code"].strip()
    area, code = fields.get("area", household.area), fields.get("code", household.code)
    _household_code_check(area=area, code=code, household=household)
    consented = household.consent_given
    fields = household_consent(fields, household)
    for name, value in fields.items():
        setattr(household, name, value)
    household.save()
    if consented and not household.consent_given:
        household_consent_withdrawn(acting_user=acting_user, household_ids=[household.pk])
    return household


def household_flags_refresh(*, household_ids: Iterable[int]) -> None:
    """Recompute the derived flags of these households from their visits (after a visit is removed)."""
    ids = sorted(set(household_ids))
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(flags.RECOMPUTED, {"ids": ids})


# --- Who reads the phone ----------------------------------------------------------------------------------------


def household_phone_visible(*, user, household: Household) -> bool:
    """Full phone only for commune officers and teams assigned to the household's commune or below (docs/SPEC.md §4)."""
    hamlet_path = household.area.path
    commune_path = hamlet_path[: hamlet_path.rstrip("/").rfind("/") + 1]
    phone_readers = policy.roles("household", "view_phone")
    return any(
        role in phone_readers and path.startswith(commune_path) and hamlet_path.startswith(path)
        for role, path in scoping.role_paths(user)
    )


def household_phone_shown(*, user, household: Household) -> str:
    """The household's phone as ``user`` reads it (API, exports): in full or masked (``cnscd.phones.mask_phone``)."""
    if household.phone and not household_phone_visible(user=user, household=household):
        return mask_phone(household.phone)
    return household.phone
