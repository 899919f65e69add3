"""§4.5.1: a named, dated correspondent per municipality — admin, import, no overlaps, history kept."""
from datetime import date
from html import unescape

import pytest

from models import AuditEntry, Correspondent, Municipality
from services.audit import Actor
from services.imports import run_import
from services.masterdata import check_correspondent
from services.recipients import municipality_addresses
from services.errors import DomainError

ACTOR = Actor.cli("test")
HEADER = "bfs_nr,name,function,email,phone,valid_from,valid_to\n"


def _import(content, dry_run=False):
    return run_import("correspondents", "k.csv", content.encode("utf-8"), ACTOR, dry_run=dry_run)


def test_admin_creates_a_correspondent_with_audit_entry(client, auth, make_municipality):
    auth.login("admin")
    muni = make_municipality()
    response = client.post("/admin/correspondent/new/", data={
        "municipality": muni.id, "name": "Kora Muster", "function": "Gemeindeschreiberin",
        "email": "kora@gemeinde.ch", "phone": "+41 32 627 23 45", "valid_from": "2024-01-01"})
    assert response.status_code == 302, unescape(response.get_data(as_text=True))[:2000]
    created = Correspondent.get()
    assert (created.name, created.email, created.phone) == ("Kora Muster", "kora@gemeinde.ch", "+41 32 627 23 45")
    assert AuditEntry.select().where(AuditEntry.model == "Correspondent", AuditEntry.action == "create").count() == 1


@pytest.mark.parametrize("field, value, message", [
    ("email", "kora(at)gemeinde.ch", "keine gültige E-Mail-Adresse"),
    ("email", "", "Dieses Feld wird benötigt"),
    ("phone", "032 ABC", "keine gültige Telefonnummer"),
    ("phone", "12", "keine gültige Telefonnummer"),
])
def test_admin_refuses_invalid_address_or_phone_next_to_the_field(client, auth, make_municipality, field, value,
                                                                    message):
    auth.login("admin")
    data = {"municipality": make_municipality().id, "name": "Kora", "email": "kora@gemeinde.ch",
            "phone": "", "valid_from": "2024-01-01", field: value}
    response = client.post("/admin/correspondent/new/", data=data)
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and message in page and "invalid-feedback" in page
    assert Correspondent.select().count() == 0


def test_overlapping_periods_are_refused_and_a_successor_keeps_the_history(client, auth, make_municipality):
    auth.login("admin")
    muni = make_municipality()
    first = Correspondent.create(municipality=muni, name="Alt", email="alt@gemeinde.ch", valid_from=date(2020, 1, 1))
    response = client.post("/admin/correspondent/new/", data={
        "municipality": muni.id, "name": "Neu", "email": "neu@gemeinde.ch", "valid_from": "2025-01-01"})
    assert response.status_code == 200 and "Alt ist ab 01.01.2020 Korrespondenzperson" in unescape(
        response.get_data(as_text=True))
    assert Correspondent.select().count() == 1
    Correspondent.update(valid_to=date(2024, 12, 31)).where(Correspondent.id == first.id).execute()
    response = client.post("/admin/correspondent/new/", data={
        "municipality": muni.id, "name": "Neu", "email": "neu@gemeinde.ch", "valid_from": "2025-01-01"})
    assert response.status_code == 302
    assert [c.name for c in Correspondent.select().order_by(Correspondent.valid_from)] == ["Alt", "Neu"]
    page = client.get(f"/gemeinden/{muni.id}").get_data(as_text=True)
    assert "Alt" in page and "Neu" in page and "31.12.2024" in page  # the history is shown


def test_the_admin_cannot_delete_a_correspondent(client, auth, make_municipality):
    auth.login("admin")
    row = Correspondent.create(municipality=make_municipality(), name="A", email="a@gemeinde.ch",
                               valid_from=date(2024, 1, 1))
    client.post("/admin/correspondent/delete/", data={"id": row.id})
    assert Correspondent.select().count() == 1


def test_import_correspondents_upserts_on_municipality_and_start(app, make_municipality):
    make_municipality(bfs_nr=2601)
    content = HEADER + "2601,Kora Muster,Gemeindeschreiberin,kora@solothurn.ch,+41 32 626 96 26,01.01.2020,31.12.2024\n" \
                       "2601,Nina Neu,,nina@solothurn.ch,,2025-01-01,\n"
    result = _import(content)
    assert result.ok and result.created == 2, result.errors
    again = _import(content)
    assert again.ok and again.unchanged == 2 and Correspondent.select().count() == 2
    assert Correspondent.get(Correspondent.name == "Kora Muster").phone == "+41 32 626 96 26"


def test_import_refuses_bad_addresses_phones_and_overlaps_with_line_numbers(app, make_municipality):
    make_municipality(bfs_nr=2601)
    result = _import(HEADER + "2601,A,,a(at)solothurn.ch,,2020-01-01,\n"
                              "2601,B,,b@solothurn.ch,=1+1,2021-01-01,\n"
                              "9999,C,,c@solothurn.ch,,2021-01-01,\n")
    assert [line for line, _ in result.errors] == [2, 3]
    assert "keine gültige E-Mail-Adresse" in result.errors[0][1] and "Telefonnummer" in result.errors[1][1]
    overlap = _import(HEADER + "2601,A,,a@solothurn.ch,,2020-01-01,\n2601,B,,b@solothurn.ch,,2022-01-01,\n")
    assert not overlap.ok and "Korrespondenzperson" in overlap.errors[0][1]
    assert Correspondent.select().count() == 0  # all or nothing


def test_check_refuses_an_end_before_the_start(app, make_municipality):
    row = Correspondent(municipality=make_municipality(), name="A", email="a@gemeinde.ch",
                        valid_from=date(2025, 1, 1), valid_to=date(2024, 1, 1))
    with pytest.raises(DomainError, match="vor dem Beginn"):
        check_correspondent(row)


def test_recipients_include_the_correspondent_valid_on_the_day(app, make_municipality):
    muni = make_municipality()
    Correspondent.create(municipality=muni, name="Alt", email="alt@gemeinde.ch", valid_from=date(2020, 1, 1),
                         valid_to=date(2024, 12, 31))
    Correspondent.create(municipality=muni, name="Neu", email="neu@gemeinde.ch", valid_from=date(2025, 1, 1))
    on = lambda day: municipality_addresses([muni], day, officers=False, correspondent=True)[muni.id]  # noqa: E731
    assert on(date(2024, 6, 1)) == [("Alt", "alt@gemeinde.ch")]
    assert on(date(2025, 6, 1)) == [("Neu", "neu@gemeinde.ch")]
    assert municipality_addresses([muni], date(2025, 6, 1), officers=False) == {muni.id: []}


def test_finance_address_is_validated_in_the_admin(client, auth, make_municipality):
    auth.login("admin")
    muni = make_municipality()
    response = client.post(f"/admin/municipality/edit/?id={muni.id}", data={
        "bfs_nr": muni.bfs_nr, "name": muni.name, "district": muni.district, "creditor_number": muni.creditor_number,
        "iban": muni.iban, "finance_email": "finanzen at gemeinde"})
    assert response.status_code == 200 and "keine gültige E-Mail-Adresse" in unescape(response.get_data(as_text=True))
    assert Municipality.get_by_id(muni.id).finance_email is None
