"""Oracle probes: can a refusal tell a roster writer who is active outside their scope, or where?

For each roster writer of ``robustness.world`` (province admin, commune officer, team leader) and the hamlet
outside its scope, the person on that hamlet's roster (given a known citizen-ID here) is the secret. The probes
try to add that person to the persona's own team, or to turn one of its own members into them:

* API create (``POST /api/v1/members/``) with the secret phone, then with the secret citizen-ID;
* API ``PATCH`` of the persona's own member with the secret phone, then the citizen-ID;
* the member page (``/teams/{id}/members/new/``) with the secret phone;
* a dry-run roster import of the 100-candidate attack (citizen-IDs of province 80 born in 1995 with the last 4
  digits known, the two unknown digits tried), twice with the true candidate on different rows, then a real
  import of the same file, and a dry run naming the secret phone.

A probe leaks when its answer is not the neutral one (an API body other than the one non-field message, a page
without it, a member saved), when an import names a row for the out-of-scope person or answers differently
depending on where the true candidate sits. A control probe (a duplicate *inside* the scope) must still name the
team, so the check cannot pass by answering everything vaguely; and the daily limit must bite: after
``MEMBER_OUT_OF_SCOPE_REFUSALS_PER_DAY`` refusals the next write is a 429.

Every refused body (4xx, a rejected import's errors, a page re-shown with its errors) is then searched for the
secret person's name, team name, commune name, phone and citizen-ID (what the requester typed aside): rows
"oracle probes" and "error-body leaks". Runs in-process on a scratch copy of the suite's database.
"""

from __future__ import annotations

import argparse
import io
import json
import sys

from robustness.common import Row, count, django_setup, emit, scratch_database

WRITERS = ("province_admin", "commune_officer", "team_leader")
NEUTRAL_START = "Người này đang hoạt động ở một tổ khác"


def _cid(middle: int, last4: int = 4321) -> str:
    """A citizen-ID of province 80, born in 1995: the two ``middle`` digits are what the attack tries."""
    return f"080195{middle:02d}{last4}"


def _secret_cid(hamlet_index: int) -> str:
    """The citizen-ID given to the member of the hamlet: last four digits of its own, so that one hamlet's
    candidates never hit another hamlet's member (that one may be inside the prober's scope, and named)."""
    return _cid(10 + hamlet_index, 4321 + hamlet_index)


def _xlsx(rows) -> io.BytesIO:
    from openpyxl import Workbook

    from members.resources import MemberImport

    workbook = Workbook()
    sheet = workbook.active
    sheet.append([c.header for c in MemberImport.columns])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "ung-vien.xlsx"
    return out


class Tally:
    """Probes tried and leaked, refused bodies searched and leaked, and the lines of the log."""

    def __init__(self) -> None:
        self.probes = self.probe_leaks = self.bodies = self.body_leaks = 0
        self.lines: list[str] = []

    def probe(self, label: str, ok: bool, detail: str = "") -> None:
        self.probes += 1
        self.probe_leaks += not ok
        self.lines.append(f"  {'ok  ' if ok else 'LEAK'} {label}{(': ' + detail) if detail and not ok else ''}")

    def search(self, label: str, text: str, secret: dict, typed: tuple[str, ...] = ()) -> None:
        self.bodies += 1
        found = [value for value in secret.values() if value and value in text and value not in typed]
        if found:
            self.body_leaks += 1
            self.lines.append(f"  LEAK in body of {label}: {found}")


def _api(user_id: int):
    from rest_framework.test import APIClient

    from robustness import world as world_module

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {world_module.token(user_id)}")
    return client


def _errors(job: dict) -> str:
    return json.dumps(job.get("errors"), ensure_ascii=False, sort_keys=True)


def _persona(tally: Tally, world, persona: str) -> None:
    """Every probe of one roster writer against the person on the roster of the hamlet outside its scope."""
    from django.test import Client

    from accounts.models import User
    from areas.models import Area
    from members.models import Member
    from robustness import world as world_module

    inside, outside = world_module.SCOPE[persona]
    mine, theirs = world.corners[inside], world.corners[outside]
    secret_member = Member.objects.select_related("team__area__parent").get(pk=theirs.member)
    secret_cid = _secret_cid(world_module.HAMLETS.index(outside))
    last4 = int(secret_cid[-4:])
    secret = {
        "name": secret_member.full_name,
        "team": secret_member.team.name,
        "commune": secret_member.team.area.parent.name,
        "phone": secret_member.phone,
        "citizen-ID": secret_cid,
    }
    tally.lines.append(f"{persona}: own hamlet {inside}, secret person in {outside}")
    api = _api(world.users[persona])
    before = Member.objects.count()
    new = {"team": mine.team, "full_name": "Người Dò", "gender": "male", "organization": "other"}

    def refused_neutrally(label: str, response) -> None:
        text = response.content.decode()
        body = response.json() if response["Content-Type"].startswith("application/json") else {}
        neutral = (
            response.status_code == 400
            and list(body) == ["non_field_errors"]
            and str(body["non_field_errors"][0]).startswith(NEUTRAL_START)
        )
        tally.probe(label, neutral, f"{response.status_code} {text[:200]}")
        tally.search(label, text, secret)

    refused_neutrally("API create, secret phone", api.post("/api/v1/members/", new | {"phone": secret["phone"]}))
    refused_neutrally(
        "API create, secret citizen-ID",
        api.post("/api/v1/members/", new | {"phone": "0987000111", "citizen_id": secret_cid}),
    )
    own = f"/api/v1/members/{mine.leader}/"
    refused_neutrally("API PATCH, secret phone", api.patch(own, {"phone": secret["phone"]}, format="json"))
    refused_neutrally("API PATCH, secret citizen-ID", api.patch(own, {"citizen_id": secret_cid}, format="json"))

    page_client = Client()
    page_client.force_login(User.objects.get(pk=world.users[persona]))
    page = page_client.post(
        f"/teams/{mine.team}/members/new/",
        {
            "full_name": "Người Dò",
            "gender": "male",
            "organization": "other",
            "role": "member",
            "phone": secret["phone"],
        },  # fmt: skip
    )
    html = page.content.decode()
    tally.probe("member page, secret phone", page.status_code == 200 and NEUTRAL_START in html, html[-300:])
    tally.search("member page", html, secret, typed=(secret["phone"],))

    commune, hamlet = Area.objects.get(pk=mine.commune), Area.objects.get(pk=mine.hamlet)

    def row(name: str, phone: str, cid: str) -> list:
        return [commune.code, hamlet.name, "", name, "Nữ", 1995, phone, cid, "Công an", "Thành viên"]

    def candidates(true_at: int) -> list[list]:
        cids = [_cid(i, last4) for i in range(100) if _cid(i, last4) != secret_cid]
        cids.insert(true_at, secret_cid)
        return [row(f"Ứng viên {i:03d}", "", cid) for i, cid in enumerate(cids)]

    def upload(rows, dry_run: bool) -> dict:
        response = api.post(
            "/api/v1/imports/", {"kind": "members", "file": _xlsx(rows), "dry_run": dry_run}, format="multipart"
        )
        return {"status_code": response.status_code, **response.json()}

    def at(job: dict, row_number: int | None) -> list:
        return sorted((e["field"], e["message"]) for e in job.get("errors", []) if e.get("row") == row_number)

    # The true candidate's row must answer as a wrong candidate's row does (team leaders, whose scope is one
    # hamlet, get "unknown commune" on every row: the same for all), and the file the same wherever it sits.
    answers = []
    for true_at in (7, 81):
        job = upload(candidates(true_at), dry_run=True)
        answers.append(_errors(job))
        true_row, wrong_row = true_at + 2, true_at + 3
        alike = job.get("status") == "rejected" and at(job, true_row) == at(job, wrong_row)
        tally.probe(f"dry run of 100 candidates, true one on row {true_row}", alike, answers[-1][:300])
        tally.search(f"dry run {true_at}", answers[-1], secret)
    same = answers[0] == answers[1]
    tally.probe("the dry run answers the same wherever the true candidate is", same, " ≠ ".join(answers))
    real = upload(candidates(40), dry_run=False)
    whole = real.get("status") == "rejected" and _errors(real) == answers[0]
    tally.probe("real import of the candidates: refused as a whole, the same answer", whole, _errors(real))
    tally.search("real import", _errors(real), secret)
    by_phone = upload([row("Người Dò", secret["phone"], "")], dry_run=True)
    first = json.loads(answers[0])
    first = {"errors": first or []}
    alike = at(by_phone, None) == at(first, None) and at(by_phone, 2) == at(first, 3)
    tally.probe("dry run with the secret phone: the same answer as the citizen-IDs", alike, _errors(by_phone))
    tally.search("dry run, phone", _errors(by_phone), secret)
    tally.probe("nothing saved", Member.objects.count() == before)


def run() -> tuple[list[Row], list[str]]:
    from django.conf import settings

    from members import duplicates
    from members.models import Member
    from members.validators import citizen_id_hash
    from robustness import world as world_module

    world = world_module.build()
    tally = Tally()
    for name, corner in world.corners.items():  # a known citizen-ID for each hamlet's member
        Member.objects.filter(pk=corner.member).update(
            citizen_id_hash=citizen_id_hash(cid := _secret_cid(world_module.HAMLETS.index(name))),
            citizen_id_last4=cid[-4:],
        )
    for user_id in world.users.values():
        duplicates.refusals_forget(user_id=user_id)
    for persona in WRITERS:
        _persona(tally, world, persona)

    # Control: a duplicate inside the scope is still named (the check cannot pass by saying nothing to anyone).
    a1 = world.corners["A1"]
    in_scope = Member.objects.select_related("team").get(pk=a1.member)
    control = _api(world.users["commune_officer"]).post(
        "/api/v1/members/",
        {"team": a1.team, "full_name": "Trùng", "gender": "male", "organization": "other", "phone": in_scope.phone},
    )
    named = control.status_code == 400 and in_scope.team.name in control.content.decode()
    tally.probe("control: a duplicate inside the scope names the team", named, control.content.decode()[:200])

    # The limit: refusals of the day are counted per user; beyond the limit a 429, whatever the data.
    limit = int(getattr(settings, "MEMBER_OUT_OF_SCOPE_REFUSALS_PER_DAY", duplicates.DEFAULT_LIMIT))
    leader_id = world.users["team_leader"]
    duplicates.refusals_forget(user_id=leader_id)
    leader = _api(leader_id)
    outside_phone = Member.objects.get(pk=world.corners["B1"].member).phone
    statuses = []
    for phone in [outside_phone] * (limit + 1) + ["0987000999"]:
        response = leader.post(
            "/api/v1/members/",
            {"team": a1.team, "full_name": "Dò", "gender": "male", "organization": "other", "phone": phone},
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            tally.search("429 answer", response.content.decode(), {"phone": outside_phone})
    bites = statuses == [400] * limit + [429, 429]
    tally.probe(f"the limit bites: {limit} refusals, then 429 even for an unused phone", bites, str(statuses))
    for user_id in world.users.values():
        duplicates.refusals_forget(user_id=user_id)

    rows = [
        Row(
            "oracle probes",
            "0 leaks: out-of-scope duplicates named nowhere, one answer per file, limit bites",
            f"{count(tally.probes, 'probe')} (API create and PATCH, page, dry-run and real import, "
            f"{len(WRITERS)} personas; control named in scope; 429 after {limit} refusals): "
            f"{tally.probe_leaks} leaks",
            tally.probe_leaks == 0,
        ),
        Row(
            "error-body leaks",
            "0 refused bodies naming the out-of-scope person, team, commune, phone or citizen-ID",
            f"{count(tally.bodies, 'refused answer')} searched: {tally.body_leaks} leaks",
            tally.body_leaks == 0 and tally.bodies > 0,
        ),
    ]
    return rows, tally.lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="(the same: it takes seconds)")
    parser.parse_args()
    django_setup(DATABASE_URL=scratch_database("oracles"))
    rows, lines = run()
    print("\n".join(lines), file=sys.stderr)
    emit(rows)


if __name__ == "__main__":
    main()
