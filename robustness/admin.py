"""The Django admin: every admin URL tried by every persona made staff, and two personas at once.

On its own scratch copy of the suite's database. Each persona of ``robustness.world`` (and a staff login without
a role) is made staff with every Django permission, so that only the admin site's own gate stands between it
and the data. The URLs come from ``admin.site._registry`` (not a list kept by hand): the index, every app
index, the autocomplete of every autocomplete field and, for every ModelAdmin, its changelist, add, change,
delete and history pages (GET, and POST with what the superuser's own form would send back), a POST of each
action, the list_editable save, a user's password change and the pghistory event browser. A leak is any answer
but a redirect to the admin login, 403 or 404, and any change in any table (sessions aside) after a persona's
requests. The suite's superuser gets 200 on every changelist, so that the walk cannot pass by seeing nothing.

Concurrency: the superuser and a staff commune officer, in two threads released together, ask for the
household list and a household's page in turn, in one process (so on the same ModelAdmin instances, as the
threads of a gunicorn worker): the officer must always be refused, the superuser must always get the list with
every household and no full phone, and no ModelAdmin may gain or lose an attribute.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections import Counter
from html.parser import HTMLParser

from robustness.common import Row, count, django_setup, emit, scratch_database

ROOT_USERNAME = "r.root"
NO_ROLE_USERNAME = "r.staff_without_role"


class _FormParser(HTMLParser):
    """The fields of one admin form (``<form id=...>``) as a browser would send them."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, {}
        self._select = self._textarea = None

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or "disabled" in a:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "file", "image"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self._add(a["name"], a.get("value") or ("on" if a.get("type") == "checkbox" else ""))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self._add(self._select, a.get("value") or "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._add(self._textarea, "")

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self.inside = False


def form_of(response, form_id: str) -> dict:
    """The data a browser would POST back from the form ``form_id`` of ``response`` (nothing when not 200)."""
    if response.status_code != 200:
        return {}
    parser = _FormParser(form_id)
    parser.feed(response.content.decode())
    return {name: values if len(values) > 1 else values[0] for name, values in parser.data.items()}


def admin_requests(root) -> list[tuple[str, str, dict]]:
    """(method, URL, body) of every admin URL: index, app indexes, autocomplete, and for every ModelAdmin its
    changelist, add, change, delete and history (GET and POST), each action, list_editable saves, the password
    change of a user. POST bodies are what the superuser's own forms send back; ``root`` is a test client logged
    in as that superuser (the suite's and the test suite's alike)."""
    from django.contrib import admin
    from django.contrib.admin.utils import quote
    from django.test import RequestFactory
    from django.urls import reverse

    from accounts.models import User
    from households.models import Household

    site = admin.site
    calls = [("GET", reverse("admin:index"), {})]
    calls += [
        ("GET", reverse("admin:app_list", args=[label]), {}) for label in {m._meta.app_label for m in site._registry}
    ]
    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(pk=root.session["_auth_user_id"])
    autocomplete = reverse("admin:autocomplete")
    for model, model_admin in site._registry.items():
        info = model._meta.app_label, model._meta.model_name
        if model._meta.label == "pghistory.Events":
            event = model.objects.order_by("pgh_created_at").first()
            pk = quote(event.pk) if event else "none"
        else:
            first = model._default_manager.order_by("pk").first()
            pk = quote(first.pk) if first else "0"  # a token's pk is its user's id (TokenProxy)
        changelist, add = reverse("admin:{}_{}_changelist".format(*info)), reverse("admin:{}_{}_add".format(*info))
        change, delete, history = (
            reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[pk]) for view in ("change", "delete", "history")
        )
        form_id = f"{info[1]}_form"
        calls += [("GET", url, {}) for url in (changelist, add, change, delete, history)]
        calls += [
            ("POST", add, form_of(root.get(add, secure=True), form_id)),
            ("POST", change, form_of(root.get(change, secure=True), form_id)),
            ("POST", delete, {"post": "yes"}),
        ]
        for action in model_admin.get_actions(request):
            calls.append(
                ("POST", changelist, {"action": action, "_selected_action": [pk], "index": "0", "post": "yes"})
            )
        if model_admin.list_editable:
            calls.append(
                ("POST", changelist, form_of(root.get(changelist, secure=True), "changelist-form") | {"_save": "1"})
            )
        if model is User:
            password = reverse("admin:auth_user_password_change", args=[pk])
            new = "Mat-khau-moi-2026!"
            calls += [
                ("GET", password, {}),
                ("POST", password, {"password1": new, "password2": new, "usable_password": "true"}),
            ]
        fields = [(info, f) for f in model_admin.autocomplete_fields]
        fields += [
            ((i.model._meta.app_label, i.model._meta.model_name), f)
            for i in model_admin.inlines
            for f in i.autocomplete_fields
        ]
        for (app_label, model_name), field in fields:
            query = f"?app_label={app_label}&model_name={model_name}&field_name={field}&term="
            calls.append(("GET", autocomplete + query, {}))
    events = reverse("admin:pghistory_events_changelist")
    calls.append(("GET", f"{events}?model=households.HouseholdEvent", {}))
    household = Household.objects.order_by("pk").values_list("pk", flat=True).first()
    if household is not None:  # the events of one object: pghistory loads it, so it must exist
        calls.append(("GET", f"{events}?obj=households.Household:{household}", {}))
    return calls


def snapshot() -> dict[str, tuple]:
    """Row count and a digest of the content of every table but the sessions'."""
    from django.db import connection

    with connection.cursor() as cursor:
        tables = [t for t in connection.introspection.table_names(cursor) if t != "django_session"]
        state = {}
        for table in tables:
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t"  # noqa: S608
            )
            state[table] = cursor.fetchone()
    return state


def refused(response) -> bool:
    from django.urls import reverse

    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def _send(client, method: str, url: str, body: dict):
    return client.get(url, secure=True) if method == "GET" else client.post(url, body, secure=True)


def walk(root, personas: dict) -> tuple[Row, list[str]]:
    from django.contrib import admin
    from django.test import Client
    from django.urls import reverse

    calls = admin_requests(root)
    lines, leaks, changes, tried = [], 0, 0, 0
    for name, user in personas.items():
        client = Client(raise_request_exception=False)  # a view that crashed was reached: a 500, counted as a leak
        client.force_login(user)
        before = snapshot()
        statuses = Counter()
        for method, url, body in calls:
            response = _send(client, method, url, body)
            tried += 1
            statuses[response.status_code] += 1
            if not refused(response):
                leaks += 1
                lines.append(f"LEAK {name:20} {method:4} {url} → {response.status_code}")
        changed = sorted(table for table, state in snapshot().items() if before.get(table) != state)
        changes += len(changed)
        lines.append(
            f"{name:20} {len(calls)} requests: {dict(sorted(statuses.items()))}; tables changed: {changed or 'none'}"
        )
    unseen = []
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        if root.get(url, secure=True).status_code != 200:
            unseen.append(model._meta.label)
    lines.append(f"superuser changelists not answering 200: {unseen or 'none'}")
    urls = len({(m, u) for m, u, _b in calls})
    result = (
        f"{count(urls, 'admin URL')} tried ({len(admin.site._registry)} ModelAdmins, GET and POST) "
        f"× {len(personas)} staff personas = {count(tried, 'request')}: {count(leaks, 'leak')}, "
        f"{count(changes, 'table')} changed; "
        f"the superuser opens {len(admin.site._registry) - len(unseen)}/{len(admin.site._registry)} changelists"
    )
    row = Row("Django admin: every admin URL per staff persona", "0 leaks (redirect to login, 403 or 404; no change)",
              result, leaks == 0 and changes == 0 and not unseen and tried > 0)  # fmt: skip
    return row, lines


def concurrent(root_user, officer, rounds: int) -> tuple[Row, list[str]]:
    from django.contrib import admin
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from households.models import Household

    households = list(Household.objects.values_list("pk", "code", "phone"))
    changelist = reverse("admin:households_household_changelist")
    pages = [changelist, reverse("admin:households_household_change", args=[households[0][0]])]
    answers: dict[str, list] = {"superuser": [], "officer": []}
    errors: list[str] = []
    barrier = threading.Barrier(2)
    before = {model: dict(vars(model_admin)) for model, model_admin in admin.site._registry.items()}

    def browse(name: str, user) -> None:
        try:
            client = Client()
            client.force_login(user)
            barrier.wait()
            for number in range(rounds):
                url = pages[number % 2]
                response = client.get(url, secure=True)
                answers[name].append((url, response.status_code, response.content.decode(errors="replace")))
        except Exception as error:  # noqa: BLE001 — reported as a failure of the row
            errors.append(f"{name}: {error!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=browse, args=a) for a in (("superuser", root_user), ("officer", officer))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = {model: dict(vars(model_admin)) for model, model_admin in admin.site._registry.items()}
    grown = {m._meta.label: sorted(set(after[m]) ^ set(before[m])) for m in before if set(after[m]) ^ set(before[m])}
    wrong = 0
    for _url, status, body in answers["officer"]:
        wrong += not (status == 302 and all(code not in body for _pk, code, _phone in households))
    for url, status, body in answers["superuser"]:
        ok = status == 200 and all(phone not in body for _pk, _code, phone in households if phone)
        if url == changelist:
            ok = ok and all(code in body for _pk, code, _phone in households)
        wrong += not ok
    total = len(answers["superuser"]) + len(answers["officer"])
    lines = [f"concurrent: {total} answers, {wrong} wrong, ModelAdmin attributes gained or lost: {grown or 'none'}"]
    lines += errors
    result = (
        f"{count(total, 'request')} of a superuser and a staff commune officer interleaved on the same ModelAdmins: "
        f"{count(wrong, 'answer')} for the wrong user, {len(grown)} ModelAdmins kept request state"
    )
    ok = wrong == 0 and not grown and not errors and total == 2 * rounds
    return Row("Django admin: two personas at once", "each answered for its own user", result, ok), lines


def run(quick: bool) -> tuple[list[Row], list[str]]:
    django_setup(DATABASE_URL=scratch_database("admin"))
    from django.contrib.auth.models import Permission
    from django.test import Client

    from accounts.models import Role, RoleAssignment, User
    from areas.models import Area
    from robustness import world as world_module

    world = world_module.build()
    root_user = User.objects.filter(username=ROOT_USERNAME).first() or User.objects.create_superuser(
        username=ROOT_USERNAME, password=world_module.PASSWORD
    )
    personas = {name: User.objects.get(pk=pk) for name, pk in world.users.items()}
    personas["staff_without_role"] = User.objects.filter(username=NO_ROLE_USERNAME).first() or User.objects.create_user(
        username=NO_ROLE_USERNAME, password=world_module.PASSWORD
    )
    everything = list(Permission.objects.all())
    for user in personas.values():
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.user_permissions.set(everything)
    root = Client()
    root.force_login(root_user)
    rows, lines = [], []
    row, walked = walk(root, personas)
    rows.append(row)
    lines += walked
    officer = User.objects.filter(username="r.concurrent_officer").first()
    if officer is None:
        officer = User.objects.create_user(
            username="r.concurrent_officer", password=world_module.PASSWORD, is_staff=True
        )
        RoleAssignment.objects.create(
            user=officer, role=Role.COMMUNE_OFFICER, area=Area.objects.get(pk=world.corners["A1"].commune)
        )
        officer.user_permissions.set(everything)
    row, raced = concurrent(root_user, officer, rounds=40 if quick else 400)
    rows.append(row)
    lines += raced
    return rows, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer concurrent rounds (the walk is the same)")
    args = parser.parse_args()
    rows, lines = run(args.quick)
    print("\n".join(lines), file=sys.stderr)
    emit(rows)


if __name__ == "__main__":
    main()
