"""The errors screen: rejected messages at the state, correction, reprocessing, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from epitrace.accounts.models import User
from epitrace.audit.models import AuditEvent
from epitrace.labs.choices import MessageState
from epitrace.labs.models import LabResult, RawMessage
from epitrace.labs.web.content import display_lines, file_name, named_segments, with_line_breaks
from epitrace.labs.web.tests.messages import (
    VALID_TYPE,
    WRONG_TYPE,
    WRONG_TYPE_REASON,
    rejected,
    rejected_oru,
    staff,
    wrong_type_oru,
)
from epitrace.testing.personas import Personas
from epitrace.web.tests.utils import without_csrf_tokens

LIST = reverse("labs:errors")
REPROCESS = reverse("labs:errors_reprocess")
METHODS = ["get", "head", "options", "post", "put", "patch", "delete"]


def detail(pk: int) -> str:
    return reverse("labs:error_detail", args=[pk])


def shown(response: Any) -> list[int]:
    return [row.message.pk for row in response.context["rows"]]


def notices(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def admin(personas: Personas) -> User:
    return staff("state.admin", personas.state, "state_admin")


# --- The list ----------------------------------------------------------------


def test_state_admin_sees_rejected_messages_newest_first(
    admin: User, client: Client, personas: Personas
) -> None:
    older = rejected(control_id="OLD1")
    newer = rejected(control_id="NEW1", source_name="C:\\feeds\\lab\\march.hl7", position=7)
    RawMessage.objects.filter(pk=older.pk).update(received_at=timezone.now() - dt.timedelta(days=2))
    processed = rejected(state=MessageState.PROCESSED, jurisdiction=personas.state)
    client.force_login(admin)
    response = client.get(LIST)
    body = response.content.decode()
    assert response.status_code == 200
    assert shown(response) == [newer.pk, older.pk]
    assert processed.pk not in shown(response)
    assert "NEW1" in body
    assert "ZZZ^Z01 is not a lab result (ORU^R01)" in body
    # The file name without the importing server's directories.
    assert "march.hl7" in body
    assert "feeds" not in body
    assert "/srv/epitrace" not in body
    assert "2 rejected messages" in body
    assert 'name="selected"' in body
    assert "Reprocess selected" in body


def test_filters_by_reason_source_format_and_dates(admin: User, client: Client) -> None:
    today = timezone.localdate()
    hl7 = rejected(error="no patient: the message has no PID segment")
    fhir = rejected(format="fhir", source="api", error="the Bundle holds no Observation")
    mllp = rejected(source="mllp", error="unterminated MLLP frame")
    RawMessage.objects.filter(pk=mllp.pk).update(received_at=timezone.now() - dt.timedelta(days=10))
    client.force_login(admin)
    assert shown(client.get(LIST, {"reason": "PID"})) == [hl7.pk]
    assert shown(client.get(LIST, {"reason": "pid segment"})) == [hl7.pk]
    assert shown(client.get(LIST, {"source": "api"})) == [fhir.pk]
    assert shown(client.get(LIST, {"format": "fhir"})) == [fhir.pk]
    old_day = (today - dt.timedelta(days=10)).isoformat()
    assert shown(client.get(LIST, {"received_to": old_day})) == [mllp.pk]
    assert set(shown(client.get(LIST, {"received_from": today.isoformat()}))) == {
        hl7.pk,
        fhir.pk,
    }
    response = client.get(LIST, {"reason": "nothing like this"})
    assert shown(response) == []
    assert "No rejected message matches these filters." in response.content.decode()


def test_a_source_the_screen_does_not_know_is_still_offered(admin: User, client: Client) -> None:
    feed = rejected(source="sftp feed")
    client.force_login(admin)
    response = client.get(LIST, {"source": "sftp feed"})
    assert shown(response) == [feed.pk]
    choices = dict(response.context["filter"].form.fields["source"].choices)
    assert {"file", "mllp", "api", "drop folder", "reprocess", "sftp feed"} <= set(choices)


def test_htmx_filtering_gets_the_results_fragment(admin: User, client: Client) -> None:
    rejected()
    client.force_login(admin)
    response = client.get(LIST, {"format": "hl7"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert 'hx-swap-oob="innerHTML"' in body
    assert 'name="query" value="format=hl7"' in body


def test_paging_25_per_page(admin: User, client: Client) -> None:
    for n in range(26):
        rejected(control_id=f"C{n}")
    client.force_login(admin)
    first = client.get(LIST)
    assert len(shown(first)) == 25
    assert "26 rejected messages · page 1 of 2" in first.content.decode()
    assert len(shown(client.get(LIST, {"page": 2}))) == 1


def test_list_query_count_does_not_grow_with_rows(
    admin: User, client: Client, django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        rejected()
    client.force_login(admin)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for _ in range(30):
        rejected(source="mllp")
    with django_assert_max_num_queries(len(few)):
        response = client.get(LIST)
    assert len(shown(response)) == 25


def test_an_lhd_tracer_sees_no_rejected_message(personas: Personas, client: Client) -> None:
    rejected()
    client.force_login(personas.a.tracer)
    response = client.get(LIST)
    assert response.status_code == 200
    assert shown(response) == []
    assert "ZZZ^Z01" not in response.content.decode()


def test_a_state_analyst_may_look_but_not_reprocess(personas: Personas, client: Client) -> None:
    message = rejected()
    analyst = staff("state.analyst", personas.state, "analyst")
    client.force_login(analyst)
    response = client.get(LIST)
    assert shown(response) == [message.pk]
    assert "Reprocess selected" not in response.content.decode()
    assert client.post(REPROCESS, {"selected": [message.pk]}).status_code == 404
    assert client.get(detail(message.pk)).status_code == 200
    assert "Save and reprocess" not in client.get(detail(message.pk)).content.decode()
    assert client.post(detail(message.pk), {"content": "MSH|"}).status_code == 404
    message.refresh_from_db()
    assert message.content.startswith("MSH|^~")


# --- One message --------------------------------------------------------------


def test_the_message_page_shows_segments_with_the_reason_marked(
    admin: User, client: Client
) -> None:
    message = rejected_oru()
    client.force_login(admin)
    response = client.get(detail(message.pk))
    body = response.content.decode()
    assert response.status_code == 200
    assert WRONG_TYPE_REASON in body
    assert "<pre>" in body
    # One segment per line; the MSH, where the message type lives, is marked.
    assert "<mark>MSH|" in body
    assert "\nPID|1||" in body
    assert "<mark>PID" not in body
    assert "Save and reprocess" in body
    assert "<textarea" in body


def test_opening_a_message_is_an_audited_read(admin: User, client: Client) -> None:
    message = rejected_oru()
    client.force_login(admin)
    client.get(detail(message.pk))
    event = AuditEvent.objects.get(action="read", object_type="labs.rawmessage")
    assert event.object_id == str(message.pk)
    assert event.actor_id == admin.pk


def test_lhd_tracer_gets_404_on_a_rejected_message_for_every_method(
    personas: Personas, client: Client
) -> None:
    message = rejected()
    client.force_login(personas.a.tracer)
    missing = client.get(detail(message.pk + 1000))
    for method in METHODS:
        response = getattr(client, method)(detail(message.pk), {})
        assert response.status_code == 404, method
    hidden = client.get(detail(message.pk))
    assert without_csrf_tokens(hidden.content) == without_csrf_tokens(missing.content)
    message.refresh_from_db()
    assert message.state == MessageState.REJECTED
    denied = AuditEvent.objects.filter(action="denied", object_type="labs.rawmessage")
    assert denied.filter(object_id=str(message.pk), actor=personas.a.tracer).exists()


def test_another_lhds_processed_message_is_404(personas: Personas, client: Client) -> None:
    theirs = rejected(state=MessageState.PROCESSED, jurisdiction=personas.b.jurisdiction)
    ours = rejected(state=MessageState.PROCESSED, jurisdiction=personas.a.jurisdiction)
    client.force_login(personas.a.tracer)
    assert client.get(detail(theirs.pk)).status_code == 404
    assert client.post(detail(theirs.pk), {"content": "MSH|"}).status_code == 404
    assert client.get(detail(ours.pk)).status_code == 200


# --- Correcting and reprocessing ------------------------------------------------


def test_save_and_reprocess_accepts_the_corrected_message(admin: User, client: Client) -> None:
    message = rejected_oru()
    # What a browser sends back from a textarea: CRLF line breaks.
    corrected = message.content.replace(WRONG_TYPE, VALID_TYPE).replace("\r", "\r\n")
    client.force_login(admin)
    response = client.post(detail(message.pk), {"content": corrected}, follow=True)
    message.refresh_from_db()
    assert message.state == MessageState.PROCESSED
    assert message.error == ""
    # Stored with the message's own segment terminator.
    assert message.content == wrong_type_oru().replace(WRONG_TYPE, VALID_TYPE)
    results = LabResult.objects.filter(raw_message=message)
    assert results.exists()
    body = response.content.decode()
    assert any("Message" in n and "accepted" in n for n in notices(response))
    assert "Results stored from this message" in body
    person = results[0].person
    assert reverse("person_detail", args=[person.pk]) in body
    assert "Save and reprocess" not in body


def test_the_correction_is_audited_with_the_text_in_the_erasable_payload(
    admin: User, client: Client
) -> None:
    message = rejected_oru()
    corrected = message.content.replace(WRONG_TYPE, VALID_TYPE)
    client.force_login(admin)
    client.post(detail(message.pk), {"content": corrected})
    edit = AuditEvent.objects.get(
        action="update", object_type="labs.rawmessage", reason="lab message corrected"
    )
    assert edit.object_id == str(message.pk)
    assert edit.payload.data["changes"]["content"] == [wrong_type_oru(), corrected]
    # Only ids and labels in the event row itself.
    assert "Buckridge" not in f"{edit.reason}{edit.actor_label}{edit.object_id}"
    again = AuditEvent.objects.get(reason="lab message reprocessed", object_id=str(message.pk))
    assert again.payload.data["reprocess"] == "accepted"
    assert again.payload.data["changes"]["state"] == ["rejected", "processed"]
    assert AuditEvent.objects.filter(action="create", object_type="labs.labresult").exists()


def test_a_correction_that_is_still_wrong_shows_the_new_reason(admin: User, client: Client) -> None:
    message = rejected_oru()
    still_wrong = message.content.replace(WRONG_TYPE, "||")
    client.force_login(admin)
    response = client.post(detail(message.pk), {"content": still_wrong}, follow=True)
    message.refresh_from_db()
    assert message.state == MessageState.REJECTED
    assert "MSH-9 is empty" in message.error
    assert message.content == still_wrong
    assert any("still rejected" in n and "MSH-9 is empty" in n for n in notices(response))
    assert "Save and reprocess" in response.content.decode()


def test_an_empty_correction_is_refused(admin: User, client: Client) -> None:
    message = rejected_oru()
    client.force_login(admin)
    response = client.post(detail(message.pk), {"content": "  \r\n"})
    assert response.status_code == 200
    assert "The message cannot be empty." in response.content.decode()
    message.refresh_from_db()
    assert message.content == wrong_type_oru()


def test_an_accepted_message_cannot_be_edited(personas: Personas, client: Client) -> None:
    message = rejected(state=MessageState.PROCESSED, jurisdiction=personas.state)
    client.force_login(personas.state_epi)
    assert "Save and reprocess" not in client.get(detail(message.pk)).content.decode()
    response = client.post(detail(message.pk), {"content": "MSH|x"}, follow=True)
    assert "Only a rejected message can be corrected." in notices(response)
    message.refresh_from_db()
    assert message.content != "MSH|x"


def test_reprocess_one_unchanged_stays_rejected_with_the_reason(
    admin: User, client: Client
) -> None:
    message = rejected_oru()
    client.force_login(admin)
    response = client.post(REPROCESS, {"selected": [message.pk], "query": "format=hl7"})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?format=hl7"
    message.refresh_from_db()
    assert message.state == MessageState.REJECTED
    assert message.error == WRONG_TYPE_REASON
    assert notices(response) == [f"Message {message.pk} is still rejected: {WRONG_TYPE_REASON}"]
    event = AuditEvent.objects.get(reason="lab message reprocessed")
    assert event.payload.data == {"reprocess": "rejected", "changes": {}}


def test_reprocess_many_reports_each_outcome_and_audits_each(
    admin: User, client: Client, personas: Personas
) -> None:
    fixable = rejected_oru(position=1)
    # The same report, already corrected by hand earlier: reprocessing it is accepted once.
    valid = wrong_type_oru().replace(WRONG_TYPE, VALID_TYPE)
    fixed = rejected(content=valid, error="a parser bug, fixed since", position=2)
    copy = rejected(content=valid, error="a parser bug, fixed since", position=3)
    broken = rejected(position=4)
    done = rejected(state=MessageState.PROCESSED, jurisdiction=personas.state)
    client.force_login(admin)
    ids = [fixable.pk, fixed.pk, copy.pk, broken.pk, done.pk, 987654]
    response = client.post(REPROCESS, {"selected": ids})
    states = dict(RawMessage.objects.filter(pk__in=ids).values_list("pk", "state"))
    assert states[fixed.pk] == MessageState.PROCESSED
    assert states[fixable.pk] == states[broken.pk] == MessageState.REJECTED
    # A copy of a message already accepted leaves the errors list.
    assert states[copy.pk] == MessageState.DUPLICATE
    texts = notices(response)
    assert any(t.startswith(f"Message {fixed.pk} accepted.") for t in texts)
    assert f"Message {copy.pk} is a copy" in " ".join(texts)
    assert f"Message {fixable.pk} is still rejected: {WRONG_TYPE_REASON}" in texts
    assert any(f"Message {broken.pk} is still rejected" in t for t in texts)
    assert any(f"{done.pk}, 987654 were not reprocessed" in t for t in texts)
    audited = AuditEvent.objects.filter(reason="lab message reprocessed")
    assert set(audited.values_list("object_id", flat=True)) == {
        str(pk) for pk in (fixable.pk, fixed.pk, copy.pk, broken.pk)
    }
    assert AuditEvent.objects.filter(action="denied", object_id="987654").exists()


def test_reprocess_without_a_selection_says_so(admin: User, client: Client) -> None:
    client.force_login(admin)
    response = client.post(REPROCESS, {"selected": ["x", "²", "-1"]})
    assert notices(response) == ["Select at least one message to reprocess."]


def test_an_lhd_tracer_cannot_reprocess_the_states_messages(
    personas: Personas, client: Client
) -> None:
    message = rejected_oru()
    client.force_login(personas.a.tracer)
    response = client.post(REPROCESS, {"selected": [message.pk]})
    message.refresh_from_db()
    assert message.state == MessageState.REJECTED
    assert not AuditEvent.objects.filter(reason="lab message reprocessed").exists()
    assert any("not reprocessed" in t for t in notices(response))
    assert AuditEvent.objects.filter(action="denied", object_id=str(message.pk)).exists()


def test_reprocess_takes_only_posts(admin: User, client: Client) -> None:
    client.force_login(admin)
    assert client.get(REPROCESS).status_code == 405


# --- Display helpers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "segments"),
    [
        ("no message type (MSH-9 is empty); expected ORU^R01", {"MSH"}),
        ("ADT^A01 is not a lab result (ORU^R01)", {"MSH"}),
        ("no patient: the message has no PID segment", {"PID"}),
        ("2 patients (PID segments) in one message", {"PID"}),
        ("no test result: no OBX with a test code (OBX-3)", {"OBX"}),
        ("unterminated MLLP frame", set()),
    ],
)
def test_the_segments_a_reason_names(reason: str, segments: set[str]) -> None:
    assert named_segments(reason) == segments


def test_lines_of_other_formats_are_never_marked() -> None:
    lines = display_lines('{"resourceType": "Bundle"}\n{"PID": 1}', "fhir", "no PID segment")
    assert [(line.text, line.flagged) for line in lines] == [
        ('{"resourceType": "Bundle"}', False),
        ('{"PID": 1}', False),
    ]


def test_file_name_drops_directories() -> None:
    assert file_name("/srv/in/2026/a.hl7") == "a.hl7"
    assert file_name("C:\\in\\b.csv") == "b.csv"
    assert file_name("") == ""


def test_line_breaks_follow_the_original() -> None:
    assert with_line_breaks("A\r\nB\r\nC", "X\rY") == "A\rB\rC"
    assert with_line_breaks("A\r\nB", "X\nY") == "A\nB"
    assert with_line_breaks("A\r\nB", "one line") == "A\rB"
