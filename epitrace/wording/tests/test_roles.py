from epitrace.accounts.roles import role_grants
from epitrace.wording.access import CAPABILITY
from epitrace.wording.tests.conftest import ADMIN_ROLES


def test_administrators_word_messages_and_no_one_else() -> None:
    # The real table: no fixture here grants anything.
    for role in ADMIN_ROLES:
        assert role_grants(role, CAPABILITY), role
    for role in ("tracer", "supervisor", "epidemiologist", "cbo_coordinator", "analyst"):
        assert not role_grants(role, CAPABILITY), role
