"""What the API shows of each record: the same fields a staff page shows."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from epitrace.accounts.fields import shows_field
from epitrace.cases.models import Case
from epitrace.labs.models import LabResult
from epitrace.people.models import ContactPoint, Person


class MinimumNecessary:
    """Leaves out the fields the requesting user's roles may not see."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)  # type: ignore[misc]
        request = self.context.get("request")  # type: ignore[attr-defined]
        if request is None:
            return data
        label = instance._meta.label_lower
        return {k: v for k, v in data.items() if shows_field(request.user, label, k)}


class ContactPointSerializer(MinimumNecessary, serializers.ModelSerializer[ContactPoint]):
    class Meta:
        model = ContactPoint
        fields = ["kind", "value", "use", "rank"]


class PersonSerializer(MinimumNecessary, serializers.ModelSerializer[Person]):
    jurisdiction: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    contact_points = ContactPointSerializer(many=True, read_only=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "given_name",
            "middle_name",
            "family_name",
            "birth_date",
            "sex",
            "preferred_language",
            "street",
            "unit",
            "city",
            "state",
            "postcode",
            "jurisdiction",
            "deceased_date",
            "guardian",
            "contact_points",
        ]


class CaseSerializer(serializers.ModelSerializer[Case]):
    disease: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    jurisdiction: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    number = serializers.CharField(read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "person",
            "disease",
            "episode",
            "classification",
            "status",
            "investigation_status",
            "jurisdiction",
            "report_date",
            "specimen_date",
            "onset_date",
            "isolation_start",
            "isolation_end",
        ]


class LabResultSerializer(serializers.ModelSerializer[LabResult]):
    class Meta:
        model = LabResult
        fields = [
            "id",
            "person",
            "case",
            "control_id",
            "test_code",
            "test_loinc",
            "test_name",
            "test_class",
            "interpretation",
            "result_value",
            "result_code",
            "status",
            "specimen_collected_at",
            "resulted_at",
            "performing_lab_id",
            "ordering_facility",
        ]
