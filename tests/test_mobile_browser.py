# ruff: noqa: F811  (fixtures shared with test_households are imported, then used as arguments)
"""The visit log in a real browser (Debian's Chromium driven by Playwright) on a 360×740 phone screen.

Log a visit online; go offline, log two visits, come back online: they are synced and stored once. Screenshots
of the screens go to /tmp/shots/ for a look by eye.
"""

import json
import os
import time
import uuid
from pathlib import Path

import pytest
from django.db import connections

from areas import services as area_services
from households.models import Visit
from tests.conftest import PASSWORD
from tests.test_households import _household, household_a1  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots"))  # noqa: S108  (screenshots to look at, not secrets)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("real_units"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture
def browser_context(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )  # fmt: skip
        context = browser.new_context(
            viewport={"width": 360, "height": 740},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="vi-VN",
        )
        try:
            yield context
        finally:
            # While Playwright's event loop runs, the test's ORM calls get a database connection of their own
            # (Django keys connections by async context); close it here, or it outlives the test database.
            connections.close_all()
            context.close()
            browser.close()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _log(page, household, taps: dict[str, int]) -> None:
    page.fill("#vl-search", household.code.lower())
    page.click(f".vl-hh[data-id='{household.pk}']")
    for code, n in taps.items():
        for _ in range(n):
            page.click(f".vl-type[data-code='{code}'] .vl-step >> nth=1")
    page.click("#vl-save")


def _wait(page, expression: str, timeout: float = 15.0) -> None:
    """Poll a JavaScript expression until it is true (the page's CSP forbids wait_for_function's eval)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(f"() => Boolean({expression})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {expression}")
        page.wait_for_timeout(100)


def _pending(page) -> str:
    return page.get_attribute("#vl-pending", "data-count")


def test_a_member_logs_visits_online_and_offline_and_they_sync_once(
    live_server, browser_context, team_member_a1, member_a1, household_a1, hamlet_a1
):
    other = _household(hamlet_a1, "A1-002", address="Tổ 2, đường Lê Lợi")
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/login/?next=/visits/log/")
    page.fill("input[name=username]", team_member_a1.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url("**/visits/log/")
    page.wait_for_selector("#visit-log[data-ready='1']")
    _shot(page, "01-visit-log")

    # Online: saved and synced at once.
    _log(page, household_a1, {"vneid_activation": 2, "cybersafety": 1})
    page.wait_for_selector(".vl-q[data-status='created']")
    assert Visit.objects.count() == 1
    _wait(page, "navigator.serviceWorker.controller")
    _shot(page, "02-online-synced")

    # Offline: two visits wait on the phone.
    browser_context.set_offline(True)
    _wait(page, "!navigator.onLine")
    _log(page, other, {"dvctt_account": 1})
    _log(page, household_a1, {"cashless_account": 3})
    _wait(page, "document.getElementById('vl-pending').dataset.count === '2'")
    assert "2" in page.inner_text("#vl-pending")
    assert Visit.objects.count() == 1
    _shot(page, "03-offline-waiting")

    # The page opens again without a connection (service worker + IndexedDB).
    page.reload()
    page.wait_for_selector("#visit-log[data-ready='1']")
    assert _pending(page) == "2"
    page.fill("#vl-search", "le loi")  # search without diacritics, on the phone
    assert page.locator(".vl-hh").count() == 1
    _shot(page, "04-offline-reloaded")

    # Back online: synced, stored once.
    browser_context.set_offline(False)
    _wait(page, "document.getElementById('vl-pending').dataset.count === '0'")
    page.click("#vl-sync")  # a second send changes nothing
    page.wait_for_timeout(500)
    assert Visit.objects.count() == 3
    assert Visit.objects.values("client_uuid").distinct().count() == 3
    assert page.locator(".vl-q[data-status='pending']").count() == 0
    _wait(page, "document.querySelectorAll('#vl-recent li').length >= 3")
    _shot(page, "05-synced")
    assert errors == []


def _login(page, url: str, user, next_url: str = "") -> None:
    page.goto(f"{url}/login/" + (f"?next={next_url}" if next_url else ""))
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")


def _databases(page) -> list[str]:
    return page.evaluate("() => indexedDB.databases().then((all) => all.map((d) => d.name))")


def test_other_help_without_a_note_is_stopped_on_the_phone(
    live_server, browser_context, team_member_a1, member_a1, household_a1
):
    page = browser_context.new_page()
    _login(page, live_server.url, team_member_a1)
    page.wait_for_url("**/visits/log/")
    page.wait_for_selector("#visit-log[data-ready='1']")
    _log(page, household_a1, {"other": 1})
    assert page.inner_text("#vl-error") == "Ghi rõ trong phần ghi chú đã hỗ trợ gì cho: Nội dung khác."
    assert _pending(page) == "0" and page.locator(".vl-q").count() == 0
    _shot(page, "07-other-needs-a-note")
    page.fill("#vl-note", "Cài ứng dụng Zalo cho cả nhà")
    page.click("#vl-save")
    page.wait_for_selector(".vl-q[data-status='created']")
    assert Visit.objects.get().note == "Cài ứng dụng Zalo cho cả nhà"


def test_logging_out_on_any_page_warns_while_visits_wait_to_sync(
    live_server, browser_context, team_member_a1, member_a1, household_a1
):
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    dialogs: list[str] = []
    answer = {"accept": False}

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.accept() if answer["accept"] else dialog.dismiss()

    page.on("dialog", on_dialog)

    # A member lands on the visit log (no ?next=); one visit waits, the server being out of reach for it.
    _login(page, live_server.url, team_member_a1)
    page.wait_for_url("**/visits/log/")
    page.wait_for_selector("#visit-log[data-ready='1']")
    page.route("**/api/v1/visits/bulk/", lambda route: route.abort())
    _log(page, household_a1, {"cybersafety": 1})
    _wait(page, "document.getElementById('vl-pending').dataset.count === '1'")

    # Another page: logging out asks first, with the count, in Vietnamese; "cancel" keeps the session.
    page.goto(f"{live_server.url}/")
    page.click("form.logout button[type=submit]")
    _wait_for(page, lambda: len(dialogs) == 1)
    assert "Còn 1 lượt hỗ trợ chưa đồng bộ" in dialogs[0]
    page.wait_for_timeout(300)
    assert page.url == f"{live_server.url}/" and page.locator("form.logout").count() == 1
    assert page.locator("a.cta[href='/visits/log/']").is_visible()  # home leads a member to the visit log
    _shot(page, "06-home-member-logout-kept")

    # On the visit log itself: one prompt, not two.
    page.goto(f"{live_server.url}/visits/log/")
    page.wait_for_selector("#visit-log[data-ready='1']")
    page.click("form.logout button[type=submit]")
    _wait_for(page, lambda: len(dialogs) == 2)
    page.wait_for_timeout(500)
    assert len(dialogs) == 2 and page.url.endswith("/visits/log/")

    # "OK" logs out; the visit stays on the phone, tagged with its member.
    answer["accept"] = True
    page.goto(f"{live_server.url}/teams/")
    page.click("form.logout button[type=submit]")
    page.wait_for_url("**/login/")
    assert len(dialogs) == 3
    assert Visit.objects.count() == 0
    assert errors == []


def test_logging_out_without_waiting_visits_goes_at_once_and_creates_no_database(
    live_server, browser_context, province_admin
):
    page = browser_context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _login(page, live_server.url, province_admin)
    page.wait_for_url(f"{live_server.url}/")  # not on a roster: home
    page.wait_for_load_state("load")
    page.click("form.logout button[type=submit]")
    page.wait_for_url("**/login/")
    assert dialogs == []
    assert "cnscd-visit-log" not in _databases(page)


def _wait_for(page, condition, timeout: float = 10.0) -> None:
    """Poll a Python condition, letting Playwright handle the page's events (dialogs) meanwhile."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        page.wait_for_timeout(50)


def _visits_file(username: str, household, client_uuid: str) -> dict:
    payload = {
        "client_uuid": client_uuid, "household": household.pk, "date": "2025-03-01", "channel": "door_to_door",
        "activities": [{"type": "cybersafety", "quantity": 1}], "note": "",
    }  # fmt: skip
    row = {
        "client_uuid": client_uuid, "user": username, "payload": payload, "status": "pending", "created": 1,
        "label": household.code, "summary": "",
    }  # fmt: skip
    content = json.dumps({"kind": "cnscd-visits", "user": username, "saved": "2025-03-01T08:00:00Z", "visits": [row]})
    return {"name": "luot-ho-tro.json", "mimeType": "application/json", "buffer": content.encode()}


def test_a_file_of_waiting_visits_saved_by_another_user_is_refused(
    live_server, browser_context, team_member_a1, member_a1, household_a1
):
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _login(page, live_server.url, team_member_a1)
    page.wait_for_url("**/visits/log/")
    page.wait_for_selector("#visit-log[data-ready='1']")

    # Saved by someone else on this phone: refused, nothing queued, nothing sent in this member's name.
    page.set_input_files("#vl-import", files=[_visits_file("to.vien.khac", household_a1, str(uuid.uuid4()))])
    _wait(page, "document.getElementById('vl-flash').classList.contains('is-error')")
    assert page.inner_text("#vl-flash") == (
        "Tệp này chứa các lượt hỗ trợ của tài khoản to.vien.khac. Chỉ tài khoản đó mới được nạp các lượt này, "
        "nên không lượt nào được nạp: hãy đăng nhập bằng tài khoản to.vien.khac để đồng bộ."
    )
    page.wait_for_timeout(500)
    assert _pending(page) == "0" and page.locator(".vl-q").count() == 0
    assert Visit.objects.count() == 0
    page.locator("#vl-flash").scroll_into_view_if_needed()
    _shot(page, "07-file-of-another-user-refused")

    # Saved by this member: loaded and synced as before.
    mine = str(uuid.uuid4())
    page.set_input_files("#vl-import", files=[_visits_file(team_member_a1.username, household_a1, mine)])
    page.wait_for_selector(f".vl-q[data-uuid='{mine}'][data-status='created']")
    assert Visit.objects.get().client_uuid == uuid.UUID(mine)
    assert Visit.objects.get().member == member_a1
    assert errors == []


def test_a_commune_officer_finds_a_hamlet_checklist_from_the_menu(
    live_server, browser_context, commune_officer_a, commune_a, hamlet_a1, household_a1
):
    for i in range(1, 13):
        _household(hamlet_a1, f"A1-1{i:02d}")
    for name in ("Ấp Đông Hòa", "Ấp Tây Hòa", "Khu phố 3", "Khu phố 10"):
        area_services.hamlet_create(parent=commune_a, name=name, kind="Ấp")
    page = browser_context.new_page()
    _login(page, live_server.url, commune_officer_a)
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav a[href='/households/checklist/']")
    page.wait_for_url("**/households/checklist/")
    _shot(page, "08-checklist-pick")
    page.fill("#q", "a1")
    page.click("form.checklist-filter button[type=submit]")
    page.wait_for_url("**q=a1**")
    assert page.locator("main .list li a").all_inner_texts() == ["Ấp A1"]
    _shot(page, "09-checklist-search")
    page.click("text=Ấp A1")
    page.wait_for_selector(".checklist-table")
    assert "Chủ hộ A1-001" in page.inner_text(".checklist-table")
    _shot(page, "10-checklist")


_STORES = """() => new Promise((resolve, reject) => {
  const req = indexedDB.open("cnscd-visit-log");
  req.onerror = () => reject(req.error);
  req.onsuccess = () => {
    const db = req.result, out = {};
    const t = db.transaction(["households", "queue", "meta"], "readonly");
    t.objectStore("households").getAll().onsuccess = (e) => { out.households = e.target.result; };
    t.objectStore("queue").getAll().onsuccess = (e) => { out.queue = e.target.result; };
    t.objectStore("meta").getAllKeys().onsuccess = (e) => { out.meta = e.target.result; };
    t.oncomplete = () => { db.close(); resolve(out); };
  };
})"""
_CACHED_PATHS = """() => caches.keys()
  .then((keys) => Promise.all(keys.map((k) => caches.open(k).then((c) => c.keys()))))
  .then((lists) => lists.flat().map((r) => new URL(r.url).pathname))"""


def _one_synced_and_one_waiting(page, household) -> None:
    """On the visit log: a visit synced at once, then one that waits (the server out of reach for it)."""
    _log(page, household, {"vneid_activation": 1})
    page.wait_for_selector(".vl-q[data-status='created']")
    page.route("**/api/v1/visits/bulk/", lambda route: route.abort())
    _log(page, household, {"cybersafety": 1})
    _wait(page, "document.getElementById('vl-pending').dataset.count === '1'")


def test_logging_out_forgets_the_households_and_keeps_the_waiting_visits(
    live_server, browser_context, team_member_a1, member_a1, household_a1
):
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    _login(page, live_server.url, team_member_a1)
    page.wait_for_url("**/visits/log/")
    page.wait_for_selector("#visit-log[data-ready='1']")
    _wait(page, "navigator.serviceWorker.controller")
    _one_synced_and_one_waiting(page, household_a1)
    before = page.evaluate(_STORES)
    assert [h["code"] for h in before["households"]] == [household_a1.code]
    assert {"user", f"recent:{team_member_a1.username}"} <= set(before["meta"])
    _wait(page, "caches.keys().then((k) => k.length > 0)")
    assert "/visits/log/" in page.evaluate(_CACHED_PATHS)

    page.click("form.logout button[type=submit]")  # the warning (1 visit waits) is accepted
    page.wait_for_url("**/login/")
    assert len(dialogs) == 1 and "Còn 1 lượt hỗ trợ chưa đồng bộ" in dialogs[0]
    after = page.evaluate(_STORES)
    assert after["households"] == []
    assert [(r["status"], r["user"]) for r in after["queue"]] == [("pending", team_member_a1.username)]
    assert after["queue"][0]["payload"]["activities"] == [{"type": "cybersafety", "quantity": 1}]
    assert set(after["meta"]) <= {"types"}  # the activity catalogue names nobody
    assert "/visits/log/" not in page.evaluate(_CACHED_PATHS)
    assert errors == []


def test_another_user_logging_in_after_a_session_expired_finds_no_households(
    live_server, browser_context, team_member_a1, member_a1, household_a1, province_admin
):
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _login(page, live_server.url, team_member_a1)
    page.wait_for_url("**/visits/log/")
    page.wait_for_selector("#visit-log[data-ready='1']")
    _one_synced_and_one_waiting(page, household_a1)
    assert len(page.evaluate(_STORES)["households"]) == 1

    # The session ends without a logout (expiry); the member logging in again keeps the cached households.
    browser_context.clear_cookies()
    _login(page, live_server.url, team_member_a1)
    page.wait_for_url("**/visits/log/")
    page.wait_for_selector("#visit-log[data-ready='1']")
    assert len(page.evaluate(_STORES)["households"]) == 1

    # Someone else logging in on this phone: the households are gone before they are in, the waiting visit stays.
    browser_context.clear_cookies()
    _login(page, live_server.url, province_admin)
    page.wait_for_url(f"{live_server.url}/")
    stores = page.evaluate(_STORES)
    assert stores["households"] == []
    assert [(r["status"], r["user"]) for r in stores["queue"]] == [("pending", team_member_a1.username)]
    assert not any(key.startswith("recent:") for key in stores["meta"])
    assert errors == []


def test_help_at_the_communes_one_stop_desk_is_logged_on_the_commune(
    live_server, browser_context, team_member_a1, member_a1, hamlet_a1, commune_a
):
    page = browser_context.new_page()
    _login(page, live_server.url, team_member_a1)
    page.wait_for_url("**/visits/log/")
    page.wait_for_selector("#visit-log[data-ready='1']")
    page.check("#vl-nohousehold")
    page.select_option("#vl-channel", "one_stop_desk")
    page.click(".vl-type[data-code='vneid_activation'] .vl-step >> nth=1")
    page.click("#vl-save")
    page.wait_for_selector(".vl-q[data-status='created']")
    visit = Visit.objects.get()
    assert visit.area_id == commune_a.pk and visit.household_id is None and visit.channel == "one_stop_desk"
    assert "Tại bộ phận một cửa của xã" in page.inner_text("#vl-queue")
