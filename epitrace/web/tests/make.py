"""Typed shortcuts over the shared factories.

factory_boy's type stubs say ``PersonFactory()`` returns a factory, not a
person; these wrappers give tests (and mypy) the model instance they get.
"""

from __future__ import annotations

from typing import Any, cast

from epitrace.accounts.models import Membership, User
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.labs.models import LabResult
from epitrace.people.models import ContactPoint, Person
from epitrace.testing import factories as f


def user(**kwargs: Any) -> User:
    return cast(User, f.UserFactory(**kwargs))


def membership(**kwargs: Any) -> Membership:
    return cast(Membership, f.MembershipFactory(**kwargs))


def person(**kwargs: Any) -> Person:
    return cast(Person, f.PersonFactory(**kwargs))


def contact_point(**kwargs: Any) -> ContactPoint:
    return cast(ContactPoint, f.ContactPointFactory(**kwargs))


def case(**kwargs: Any) -> Case:
    return cast(Case, f.CaseFactory(**kwargs))


def exposure(**kwargs: Any) -> Exposure:
    return cast(Exposure, f.ExposureFactory(**kwargs))


def lab(**kwargs: Any) -> LabResult:
    return cast(LabResult, f.LabResultFactory(**kwargs))
