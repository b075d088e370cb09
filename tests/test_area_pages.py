"""The commune's hamlet page: commune officers add hamlets; nobody sees another commune's page."""

from areas.models import Area


def login(client, user):
    client.force_login(user)
    return client


def test_a_commune_officer_adds_a_hamlet_from_the_page(client, commune_officer_a, commune_a, hamlet_a1):
    login(client, commune_officer_a)
    page = client.get(f"/communes/{commune_a.pk}/hamlets/")
    assert page.status_code == 200 and "Ấp A1" in page.content.decode() and "Thêm thôn" in page.content.decode()
    response = client.post(f"/communes/{commune_a.pk}/hamlets/", {"name": "Tổ dân phố 5", "kind": "Tổ dân phố"})
    assert response.status_code == 302
    assert Area.objects.filter(parent=commune_a, name="Tổ dân phố 5", level="hamlet").exists()


def test_a_duplicate_hamlet_gets_a_vietnamese_error_and_nothing_saved(client, commune_officer_a, commune_a, hamlet_a1):
    login(client, commune_officer_a)
    response = client.post(f"/communes/{commune_a.pk}/hamlets/", {"name": "ấp a1", "kind": "Ấp"})
    assert response.status_code == 200
    assert "đã có thôn, ấp trùng tên" in response.content.decode()
    assert Area.objects.filter(parent=commune_a, level="hamlet").count() == 1


def test_another_communes_page_is_404(client, commune_officer_a, commune_b):
    login(client, commune_officer_a)
    assert client.get(f"/communes/{commune_b.pk}/hamlets/").status_code == 404
    assert client.post(f"/communes/{commune_b.pk}/hamlets/", {"name": "X", "kind": "Ấp"}).status_code == 404
    assert not Area.objects.filter(name="X").exists()


def test_a_viewer_reads_the_page_but_cannot_add(client, viewer, commune_a):
    login(client, viewer)
    page = client.get(f"/communes/{commune_a.pk}/hamlets/")
    assert page.status_code == 200 and "Thêm thôn" not in page.content.decode()
    assert client.post(f"/communes/{commune_a.pk}/hamlets/", {"name": "Y", "kind": "Ấp"}).status_code == 403
    assert not Area.objects.filter(name="Y").exists()
