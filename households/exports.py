"""Exports of households' personal data (CSV, the import template's .xlsx) and the log the law asks for.

Every export and printout of personal data is logged (``export_log``, Decree 356/2025/ND-CP), and every phone in it
is shown as its reader may see it (``services.household_phone_shown``: masked above the household's commune).
"""

from __future__ import annotations

import csv
import io
import os

from django.db import transaction

from areas import policy, scoping
from areas.models import Area
from households.models import ExportLog
from households.resources import HouseholdImport
from households.services import household_phone_shown
from imports.base import neutralise, workbook_bytes
from imports.masking import mask_values

CSV_HEADERS = ["area", "code", "head_name", "address", "size", "phone", "consent_given", "categories",
               "has_smartphone", "has_dvctt_account", "has_cashless", "has_vneid"]  # fmt: skip


def export_log(*, acting_user, kind: str, rows: int, area: Area | None = None, params: dict | None = None) -> None:
    """Log an export of personal data under ``area``, what was exported (a hamlet's checklist, a filtered area).

    Without it the log is filed under the narrowest area holding the user's scope for exporting — one entry per
    area of that scope when it spans provinces — so that the administrators of that area see it (the
    administration lists logs by scope).
    """
    areas = [area] if area is not None else _export_scope_areas(acting_user)
    params = mask_values(params or {})  # a phone typed into a search box is not copied into the log
    ExportLog.objects.bulk_create(
        ExportLog(user=acting_user, kind=kind, rows=rows, area=where, params=params) for where in areas or [None]
    )


def _export_scope_areas(user) -> list[Area]:
    paths = scoping.scope_paths(user, policy.roles("household", "export"))
    common = os.path.commonprefix(paths) if paths else ""  # by characters: "/1/15/" and "/1/16/" give "/1/1"
    common = common[: common.rfind("/") + 1]
    return list(Area.objects.filter(path__in=[common] if common.count("/") > 1 else paths))


def _cell(value) -> str:
    """A CSV cell as text, with spreadsheet formulas neutralised (the rule of imports.base.neutralise)."""
    return neutralise("" if value is None else str(value))


@transaction.atomic
def households_export_csv(*, acting_user, households, params: dict, area: Area | None = None) -> tuple[str, int]:
    """CSV of ``households`` (already scoped), phones masked as the API shows them; the export is logged."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADERS)
    rows = 0
    for h in households.select_related("area").iterator(chunk_size=2000):
        phone = household_phone_shown(user=acting_user, household=h)
        writer.writerow(
            [_cell(h.area.name), _cell(h.code), _cell(h.head_name), _cell(h.address), h.size, _cell(phone),
             h.consent_given, " ".join(h.categories), h.has_smartphone, h.has_dvctt_account, h.has_cashless,
             h.has_vneid]
        )  # fmt: skip
        rows += 1
    export_log(acting_user=acting_user, kind="households_csv", rows=rows, area=area, params=params)
    return buffer.getvalue(), rows


def households_export_xlsx(*, acting_user, households, params: dict, area: Area | None = None) -> tuple[bytes, int]:
    """``households`` (already scoped) as an .xlsx in the import template's layout; the export is logged."""
    handler = HouseholdImport(acting_user=acting_user)
    content = workbook_bytes(handler.workbook(handler.export_rows(households)))
    export_log(acting_user=acting_user, kind="households_xlsx", rows=handler.exported, area=area, params=params)
    return content, handler.exported
