"""Lab messages and users for the lab screen tests.

The HL7 message is a real ORU^R01 (CDC PRIME ReportStream, synthetic
patient) from the shared test data, with segments ending in a bare CR as an
MLLP feed delivers them. Its MSH-9 is changed to ADT^A01 to make it a
message the importer rejects; putting ORU^R01 back makes it valid.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from epitrace.accounts.models import User
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.labs.choices import MessageState
from epitrace.labs.models import RawMessage
from epitrace.testing import factories as f

TESTDATA = Path(__file__).resolve().parents[4].parent / "shared" / "testdata"
ORU_FILE = TESTDATA / "elr/hl7/reportstream/src/test/hl7_test_files/single_message.hl7"
VALID_TYPE = "|ORU^R01^ORU_R01|"
WRONG_TYPE = "|ADT^A01^ADT_A01|"
WRONG_TYPE_REASON = "ADT^A01 is not a lab result (ORU^R01)"


def valid_oru() -> str:
    text = ORU_FILE.read_text(encoding="utf-8").strip()
    return "\r".join(line for line in text.splitlines() if line)


def wrong_type_oru() -> str:
    text = valid_oru()
    assert VALID_TYPE in text
    return text.replace(VALID_TYPE, WRONG_TYPE, 1)


def rejected(**fields: Any) -> RawMessage:
    """A rejected message as the importer keeps it: no jurisdiction, a reason."""
    content = fields.pop("content", "MSH|^~\\&|LAB|FAC|||20260301||ZZZ^Z01|CTRL1|P|2.5.1")
    values = {
        "format": "hl7",
        "source": "file",
        "source_name": "/srv/epitrace/incoming/2026-03-01/batch.hl7",
        "content": content,
        "sha256": hashlib.sha256(content.encode()).hexdigest(),
        "state": MessageState.REJECTED,
        "error": "ZZZ^Z01 is not a lab result (ORU^R01)",
        "control_id": "CTRL1",
        "position": 1,
        **fields,
    }
    return RawMessage.objects.create(**values)


def rejected_oru(**fields: Any) -> RawMessage:
    """The real ORU^R01 with a wrong message type, as the importer rejected it."""
    return rejected(
        content=wrong_type_oru(), error=WRONG_TYPE_REASON, control_id="371784", **fields
    )


def staff(username: str, jurisdiction: Jurisdiction, role: str) -> User:
    user = f.UserFactory.create(username=username)
    f.MembershipFactory.create(user=user, jurisdiction=jurisdiction, role=role)
    return user
