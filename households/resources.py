"""Household spreadsheets: the import handler (kind ``households``) and the export in the same layout.

A province imports up to 100,000 households from one file, so the whole file is checked with a few queries
(communes, hamlets in the user's scope, and the existing households only when a masked phone must be kept) and
written with one ``INSERT … ON CONFLICT (area_id, code) DO UPDATE … WHERE … IS DISTINCT FROM …`` per batch of
rows: a household already on the portal (same hamlet, same code) is updated only when something changed, so
importing the same file again reports it as unchanged. The history triggers of django-pghistory run inside
PostgreSQL, so every inserted or updated row is audited even though no model is saved one by one.

The consent rule is the one of ``households.services`` (its SQL form in the upsert), the words of the cells those
of the catalogue (``households.labels``). The digital status (``has_dvctt_account``, ``has_cashless``,
``has_vneid``) is never read from a file: it follows from the household's visits.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from areas import policy
from areas.models import Area, Level
from cnscd import audit, phones
from households import import_cells as cells
from households import labels, services
from households.models import Household
from imports.base import Column, ImportHandler, RowError, cell_text

BATCH = 20_000

_RECORDED_AT_INSERTED = services.consent_recorded_at_sql(
    consents="cg", consented="false", recorded_at="NULL", now="%s::timestamptz"
)
_RECORDED_AT_UPDATED = services.consent_recorded_at_sql(
    consents="EXCLUDED.consent_given",
    consented="h.consent_given",
    recorded_at="h.consent_recorded_at",
    now="EXCLUDED.consent_recorded_at",
)
_UPSERT = f"""
INSERT INTO households_household AS h
    (area_id, code, head_name, address, size, phone, consent_given, consent_recorded_at, categories,
     has_smartphone, has_dvctt_account, has_cashless, has_vneid, created_at, updated_at)
SELECT a, c, n, ad, s, p, cg, {_RECORDED_AT_INSERTED}, string_to_array(cat, ','),
       sp, false, false, false, %s, %s
FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::varchar[], %s::smallint[],
            %s::varchar[], %s::boolean[], %s::text[], %s::boolean[])
     AS x(a, c, n, ad, s, p, cg, cat, sp)
ON CONFLICT (area_id, code) DO UPDATE SET
    head_name = EXCLUDED.head_name,
    address = EXCLUDED.address,
    size = EXCLUDED.size,
    phone = EXCLUDED.phone,
    consent_given = EXCLUDED.consent_given,
    consent_recorded_at = {_RECORDED_AT_UPDATED},
    categories = EXCLUDED.categories,
    has_smartphone = EXCLUDED.has_smartphone,
    updated_at = EXCLUDED.updated_at
WHERE (h.head_name, h.address, h.size, h.phone, h.consent_given, h.categories, h.has_smartphone)
      IS DISTINCT FROM (EXCLUDED.head_name, EXCLUDED.address, EXCLUDED.size, EXCLUDED.phone,
                        EXCLUDED.consent_given, EXCLUDED.categories, EXCLUDED.has_smartphone)
RETURNING h.*, (xmax = 0) AS pgh_inserted
"""
# The history triggers of Household write one event row per household, each through a PL/pgSQL call that opens
# a subtransaction (pghistory's context lookup): ~0.1 ms a row, most of the time of a 100,000-row import. The
# upsert runs with those two triggers ignored (for this statement only, pgtrigger.ignore) and writes exactly the
# rows they would have written, in one INSERT … SELECT from the upserted rows: same columns (read from the event
# model), same labels (insert / update), the same pghistory context and pgh_created_at = NOW().
_HISTORY_LABELS = ("insert", "update")


def _upsert_sql() -> str:
    events = audit.events_sql(Household, "written", label="CASE WHEN pgh_inserted THEN 'insert' ELSE 'update' END")
    return f"""
WITH written AS ({_UPSERT}),
events AS ({events})
SELECT pgh_inserted FROM written
"""


class HouseholdImport(ImportHandler):
    kind = "households"
    title = "Danh sách hộ gia đình"
    max_rows = 100_000
    fast_xlsx = True  # no date columns
    progress_every = 5_000
    columns = [
        Column("commune_code", "Mã xã", True, gettext_lazy("Official code of the commune (5 digits)."), "27496"),
        Column("hamlet", "Tên thôn/ấp", True, gettext_lazy("Name of the hamlet, as on the portal."), "Ấp 1"),
        Column(
            "code",
            "Mã hộ",
            True,
            gettext_lazy("The household's code, unique in its hamlet: a household with the same code is updated."),
            "HGD-001",
        ),
        Column(
            "head_name", "Họ tên chủ hộ", True, gettext_lazy("Full name of the head of household."), "Trần Văn Bình"
        ),
        Column("address", "Địa chỉ", False, gettext_lazy("House number, road."), "Số 12, đường Lê Lợi"),
        Column("size", "Số nhân khẩu", False, gettext_lazy("Number of people, at least 1 (empty: 1)."), "4"),
        Column(
            "phone",
            "Số điện thoại",
            False,
            gettext_lazy("Vietnamese mobile or landline number; kept only if the household agreed (next column)."),
            "0912345678",
        ),
        Column(
            "consent_given",
            "Đồng ý lưu SĐT",
            False,
            gettext_lazy("Có if the household agreed to the portal keeping its phone number; otherwise Không."),
            "Có",
        ),
        Column(
            "categories",
            "Phân loại hộ",
            False,
            gettext_lazy("Zero or more of the categories listed above, separated by commas or semicolons."),
            "Hộ nghèo; Dân tộc thiểu số",
        ),
        Column("has_smartphone", "Có điện thoại thông minh", False, gettext_lazy("Có or Không."), "Có"),
    ]
    instructions = [
        gettext_lazy(
            "One row per household. Columns marked * are required. Keep the first row (the headers) as it is."
        ),
        gettext_lazy("A hamlet is found by the commune code and its name; it must already exist on the portal."),
        gettext_lazy(
            "A household is matched by its hamlet and its code: importing the same file again creates no duplicates."
        ),
        gettext_lazy(
            "A phone number is kept only with the household's consent (column “Đồng ý lưu SĐT” = Có). "
            "A masked number (09******23) from an export keeps the number already on the portal."
        ),
        gettext_lazy(
            "Whether the household has an online public-service account, cashless payment or VNeID is not imported: "
            "it follows from the team's visits."
        ),
        gettext_lazy(
            "If any row has an error nothing is saved; the error list gives the row, the column and the reason."
        ),
        gettext_lazy("Check first with “Check only (dry run)”, then import."),
        labels.categories_listed(),
    ]

    # --- check ---------------------------------------------------------------------------------------------
    def check(self, rows, progress) -> list[RowError]:
        errors: list[RowError] = []
        headers = {c.key: c.header for c in self.columns}
        parsed: list[list] = []
        for i, (number, raw) in enumerate(rows, start=1):
            values = self._clean(number, raw, errors, headers)
            if values is not None:
                parsed.append(values)
            if i % self.progress_every == 0:
                progress(i * 9 // 10)
        self._rows = self._resolve(parsed, errors, headers)
        progress(len(rows))
        return sorted(errors, key=lambda e: (e.row or 0, e.field))

    def _clean(self, number: int, raw: dict, errors: list[RowError], headers: dict[str, str]) -> list | None:
        """A row as [number, commune code, hamlet, code, head, address, size, phone, consent, categories,
        smartphone], or None (its errors added: one per cell)."""
        count = len(errors)
        texts = {key: self.text(raw, key, errors, number) for key in cells.TEXTS}
        size, sized = cells.size(cell_text(raw.get("size")))
        answers, answered = cells.yes_nos(raw)
        phone, phoned = cells.phone(texts["phone"], answers["consent_given"], headers["consent_given"])
        categories, categorised = cells.categories(texts["categories"])
        for key, message in cells.text_problems(texts) + sized + answered + phoned + categorised:
            if not any(e.field == headers[key] for e in errors[count:]):
                errors.append(RowError(number, headers[key], message))
        if len(errors) > count:
            return None
        named = [texts[key] for key in ("commune_code", "hamlet", "code", "head_name", "address")]
        consent, smartphone = bool(answers["consent_given"]), bool(answers["has_smartphone"])
        return [number, *named, size, phone, consent, ",".join(sorted(categories)), smartphone]

    def _resolve(self, parsed: list[list], errors: list[RowError], headers: dict[str, str]) -> list[list]:
        """Hamlets inside the user's scope (anything else is "unknown"), duplicates in the file, masked phones.

        Returns the rows ready to write: [hamlet id, code, head, address, size, phone, consent, categories,
        smartphone].
        """
        communes, hamlets = self._places({values[1] for values in parsed})
        ready: list[list] = []
        seen: dict[tuple[int, str], int] = {}
        masked: list[tuple[int, list]] = []
        for number, commune_code, hamlet_name, code, *rest in parsed:
            hamlet_id, problem = cells.hamlet_of(communes, hamlets, commune_code, hamlet_name)
            if problem is None and (hamlet_id, code) in seen:
                message = _("Household code “%(code)s” is already used at row %(row)s of this file.")
                problem = ("code", message % {"code": code, "row": seen[(hamlet_id, code)]})
            if problem is not None:
                errors.append(RowError(number, headers[problem[0]], problem[1]))
                continue
            seen[(hamlet_id, code)] = number
            values = [hamlet_id, code, *rest]
            if "*" in values[5]:
                masked.append((number, values))
            ready.append(values)
        if masked:
            self._unmask(masked, errors, headers)
        return ready

    def _places(self, codes: set[str]) -> tuple[dict[str, Area], dict[tuple[int, str], int]]:
        """The communes of these codes, and their hamlets the user may add households to: {(commune id, name in
        lower case): hamlet id}."""
        communes = {
            a.code: a
            for a in Area.objects.current().filter(level=Level.COMMUNE, code__in=codes).only("pk", "code", "name")
        }
        hamlets = {
            (parent_id, name.lower()): pk
            for pk, parent_id, name in policy.areas(self.acting_user, "household", "add")
            .current()
            .filter(level=Level.HAMLET, parent__in=[c.pk for c in communes.values()])
            .values_list("pk", "parent_id", "name")
        }
        return communes, hamlets

    def _unmask(self, masked: list[tuple[int, list]], errors: list[RowError], headers: dict[str, str]) -> None:
        """A masked phone (as exported to staff above the commune) keeps the number already on the portal."""
        stored = {
            (area_id, code): phone
            for area_id, code, phone in Household.objects.filter(
                area_id__in={v[0] for _n, v in masked}, code__in={v[1] for _n, v in masked}
            ).values_list("area_id", "code", "phone")
        }
        for number, values in masked:
            phone = stored.get((values[0], values[1]), "")
            if phone and phones.mask_phone(phone) == values[5]:
                values[5] = phone  # the same list is in the rows to write
            else:
                message = _(
                    "“%(value)s” is a masked number; type the full number or leave the exported cell as it was."
                )
                errors.append(RowError(number, headers["phone"], message % {"value": values[5]}))

    # --- save ----------------------------------------------------------------------------------------------
    def save(self) -> tuple[int, int, int]:
        """One upsert per batch of rows, sorted by (hamlet, code) so two imports cannot deadlock."""
        rows = sorted(self._rows, key=lambda r: (r[0], r[1]))
        now = timezone.now()
        created = updated = 0
        sql = _upsert_sql()
        with audit.context(user=getattr(self.acting_user, "pk", None), import_kind=self.kind):
            with connection.cursor() as cursor:
                context_id = audit.attach_context(cursor)
                withdrawn = self._withdrawals(cursor, rows)
                with audit.triggers_skipped(Household, labels=_HISTORY_LABELS):
                    for start in range(0, len(rows), BATCH):
                        columns = [list(column) for column in zip(*rows[start : start + BATCH], strict=True)]
                        cursor.execute(sql, [now, now, now, *columns, context_id])
                        inserted = [row[0] for row in cursor.fetchall()]
                        created += sum(inserted)
                        updated += len(inserted) - sum(inserted)
            # A row saying Không for a household that had consented withdraws it: the history loses the phone too.
            services.household_consent_withdrawn(acting_user=self.acting_user, household_ids=withdrawn)
        return created, updated, len(rows) - created - updated

    @staticmethod
    def _withdrawals(cursor, rows: list[list]) -> list[int]:
        """The households that consent now and whose row in the file does not (locked, in the upsert's order)."""
        refusing = [row for row in rows if not row[6]]
        if not refusing:
            return []
        cursor.execute(
            "SELECT h.id FROM households_household h JOIN unnest(%s::bigint[], %s::varchar[]) AS x(a, c) "
            "ON h.area_id = x.a AND h.code = x.c WHERE h.consent_given ORDER BY h.area_id, h.code FOR UPDATE OF h",
            [[row[0] for row in refusing], [row[1] for row in refusing]],
        )
        return [row[0] for row in cursor.fetchall()]

    # --- export --------------------------------------------------------------------------------------------
    def export_rows(self, queryset) -> Iterator[list]:
        """Rows in the template's layout; phones masked for users above the household's commune."""
        user = self.acting_user
        self.exported = 0
        yes, no = labels.yes_no()
        categories = labels.category_labels()
        for household in queryset.select_related("area__parent").order_by("area__path", "code").iterator(2000):
            self.exported += 1
            yield [
                household.area.parent.code,
                household.area.name,
                household.code,
                household.head_name,
                household.address,
                household.size,
                services.household_phone_shown(user=user, household=household),
                yes if household.consent_given else no,
                "; ".join(categories.get(c, c) for c in household.categories),
                yes if household.has_smartphone else no,
            ]
