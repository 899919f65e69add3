"""Facts loaded by `init-db`: the tariff history of R5 and the default form versions (R18, R21).

Rows are only inserted when missing, so admin changes survive and a second run changes nothing.
"""
from datetime import date
from decimal import Decimal

from models import FormField, FormVersion, Tariff, db
from payouts.inputs import (
    FIRST_INFO_INTERPRETER,
    FIRST_INFO_INTERVIEWS,
    INTEGRATION_INTERPRETER,
    INTEGRATION_INTERVIEWS,
)

from .audit import Actor, record, snapshot

CIRCULAR = "Kreisschreiben KRS-GEF-2017/01"

# R5: the circular's tariff history. The interpreter rate before 01.07.2018 is not in the
# circular and is deliberately absent (the admin records it once known).
TARIFFS = [
    ("fee_first_info", "200.00", date(2017, 1, 1), f"{CIRCULAR} §4.3.2, Fassung vom 01.01.2017"),
    ("fee_interpreter_first_info", "160.00", date(2018, 7, 1),
     f"{CIRCULAR} §4.3.2 Fn. 3, Tarif angepasst mit Wirkung per 01.07.2018"),
    ("base_per_foreign_resident", "7.00", date(2018, 1, 1),
     f"{CIRCULAR} §4.3.1/§4.3.2, Sockelbeitrag seit 2018"),
    ("fee_integration", "200.00", date(2022, 1, 1),
     f"{CIRCULAR} §4.3.1/§4.3.2, Änderung vom 01.01.2022"),
    ("fee_interpreter_integration", "160.00", date(2022, 1, 1),
     f"{CIRCULAR} §4.3.1/§4.3.2, Änderung vom 01.01.2022"),
]

COUNT = {"field_type": "integer", "required": True, "min_value": 0, "max_value": 100000}
FIRST_INFO_FIELDS = [
    dict(key=FIRST_INFO_INTERVIEWS, label="Anzahl Erstinformationsgespräche",
         help="Gespräche mit Einzelpersonen oder Familien zählen je einmal (§4.3.2).", **COUNT),
    dict(key=FIRST_INFO_INTERPRETER, label="Dolmetscheinsätze bei Erstinformationsgesprächen",
         help="Nur über HEKS Linguadukt bestellte Einsätze (§4.3.1).", **COUNT),
]
INTEGRATION_FIELDS = [
    dict(key=INTEGRATION_INTERVIEWS, label="Anzahl Integrationsgespräche",
         help="Gespräche bei Integrationsbedarf, geführt durch Verantwortliche von start.integration.",
         **COUNT),
    dict(key=INTEGRATION_INTERPRETER, label="Dolmetscheinsätze bei Integrationsgesprächen",
         help="Nur über HEKS Linguadukt bestellte Einsätze (§4.3.1).", **COUNT),
    dict(key="integration_confirmation", field_type="yes_no", required=False,
         label="Bestätigung Integrationsgespräche",
         help="Pflicht bei Integrationsgesprächen: durch start.integration geführt und für den "
              "Kanton nachprüfbar (§4.3.1, R19)."),
]
CLOSING_FIELDS = [
    dict(key="interpreter_justification", field_type="textarea", required=False,
         label="Begründung, falls mehr Dolmetscheinsätze als Gespräche",
         help="Pflicht, wenn die Dolmetscheinsätze die Gespräche übersteigen (R20)."),
    dict(key="remarks", field_type="textarea", required=False, label="Bemerkungen", help=""),
]
TASKS = [
    ("task_contact_point", "Anlauf- und Koordinationsstelle für Integration"),
    ("task_first_information", "Erstinformation aller neuzugezogenen Personen aus dem Ausland"),
    ("task_regular_structures", "Beratung und Unterstützung der Regelstrukturen"),
    ("task_social_integration", "Angebote und Massnahmen zur Förderung der sozialen Integration"),
    ("task_counselling", "Beratung von Personen und individuelle Integrationsmassnahmen"),
    ("task_reporting", "Information des Kantons über nicht gelingende Integration"),
]
FULFILMENT = "fulfilled|erfüllt\npartly|teilweise erfüllt\nnot|nicht erfüllt"
FULFILMENT_HELP = "Wie weit die Gemeinde diese Aufgabe im Vorjahr erfüllt hat (Selbsteinschätzung)."
SELF_DECLARATION_FIELDS = [
    field
    for index, (key, label) in enumerate(TASKS, start=1)
    for field in (
        dict(key=key, label=f"Aufgabe {index} (§3.2): {label}", field_type="choice",
             required=True, choices=FULFILMENT, help=FULFILMENT_HELP),
        dict(key=f"{key}_comment", label=f"Kommentar zu Aufgabe {index}", field_type="textarea",
             required=False, help=""),
    )
] + [
    dict(key="officer_name", label="Name der/des Integrationsbeauftragten", field_type="text",
         required=True, help="§3.4.1"),
    dict(key="course_attendance", label="Einführungskurse besucht", field_type="yes_no",
         required=True, help="§4.2 letzter Absatz"),
    dict(key="network_meeting_attendance", label="Vernetzungstreffen besucht", field_type="yes_no",
         required=True, help="§4.2 letzter Absatz"),
]
FORM_VERSIONS = [
    # R6: before 01.07.2018 no interpreter rate is known, so the form of that time does not ask for assignments
    ("report", "Reportingformular (Anhang 2) 2017", date(2017, 1, 1), date(2018, 6, 30),
     f"{CIRCULAR} Anhang 2", FIRST_INFO_FIELDS[:1] + CLOSING_FIELDS[1:]),
    ("report", "Reportingformular (Anhang 2) 2018", date(2018, 7, 1), date(2021, 12, 31),
     f"{CIRCULAR} Anhang 2, Dolmetschpauschale ab 01.07.2018 (Fn. 3)", FIRST_INFO_FIELDS + CLOSING_FIELDS),
    ("report", "Reportingformular (Anhang 2) 2022", date(2022, 1, 1), None,
     f"{CIRCULAR} Anhang 2, Anpassung vom 01.01.2022",
     FIRST_INFO_FIELDS + INTEGRATION_FIELDS + CLOSING_FIELDS),
    ("self_declaration", "Selbstdeklaration (Anhang 3)", date(2017, 1, 1), None,
     f"{CIRCULAR} Anhang 3", SELF_DECLARATION_FIELDS),
]


def load_reference_data(actor: Actor) -> list[str]:
    """Insert missing tariffs and form versions; returns a line per inserted row."""
    done = []
    with db.atomic():
        for kind, amount, valid_from, reference in TARIFFS:
            if not Tariff.select().where((Tariff.kind == kind) & (Tariff.valid_from == valid_from)).exists():
                tariff = Tariff.create(kind=kind, amount=Decimal(amount), valid_from=valid_from,
                                       reference=reference)
                record(actor, "create", tariff, after=snapshot(tariff), reason="Referenzdaten R5")
                done.append(f"Tarif {kind} ab {valid_from:%d.%m.%Y}: CHF {amount}")
        for form_type, name, valid_from, valid_to, reference, fields in FORM_VERSIONS:
            # a version starting that day, or an older one already covering it (a database seeded before
            # the 2018 version existed keeps its own versions: admin-maintained data is never rewritten)
            exists = FormVersion.select().where(
                (FormVersion.form_type == form_type) & FormVersion.covering(valid_from)).exists()
            if exists:
                continue
            version = FormVersion.create(form_type=form_type, name=name, valid_from=valid_from,
                                         valid_to=valid_to, reference=reference)
            record(actor, "create", version, after=snapshot(version), reason="Referenzdaten R18")
            for position, spec in enumerate(fields, start=1):
                FormField.create(form_version=version, position=position, **spec)
            done.append(f"Formularversion {name} ({len(fields)} Felder)")
    return done
