"""The REST API: the staff pages' restricted querysets, as JSON.

Every queryset starts from ``restrict(request.user, "view")``, where the
user is a staff member (session) or an API client (key); a record out of
reach answers the same 404 as a missing one. Every record returned is an
audited read.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from epitrace.api.serializers import CaseSerializer, LabResultSerializer, PersonSerializer
from epitrace.audit.services import record_bulk, record_denied, record_read
from epitrace.cases.models import Case
from epitrace.labs.models import LabResult
from epitrace.people.models import ContactPoint, Person


class StablePages(CursorPagination):
    """Cursor paging: stable while records are added, cheap at any depth."""

    page_size = 100
    max_page_size = 500
    page_size_query_param = "page_size"
    ordering = "-id"


class AuditedReadOnly(viewsets.ReadOnlyModelViewSet[Any]):
    pagination_class = StablePages

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if "pk" in kwargs:
            # Before the method is judged: a record out of reach answers 404 to
            # OPTIONS, PUT or DELETE too, exactly like a missing one.
            self.record = self._visible_or_404(request, kwargs["pk"])

    def _visible_or_404(self, request: Request, pk: Any) -> Any:
        queryset = self.get_queryset()
        obj = queryset.filter(pk=pk).first() if str(pk).isdigit() else None
        if obj is None:
            record_denied(request.user, queryset.model, pk, request=request)
            raise NotFound
        return obj

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record_read(request.user, self.record, request=request)
        return Response(self.get_serializer(self.record).data)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = list(page or [])
        if rows:
            record_bulk(request.user, "read", rows, request=request)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


class CaseViewSet(AuditedReadOnly):
    serializer_class = CaseSerializer

    def get_queryset(self) -> QuerySet[Case]:
        cases = Case.objects.restrict(self.request.user, "view").select_related(
            "disease", "jurisdiction"
        )
        status = self.request.query_params.get("status")
        return cases.filter(status=status) if status else cases


class PersonViewSet(AuditedReadOnly):
    serializer_class = PersonSerializer

    def get_queryset(self) -> QuerySet[Person]:
        from django.db.models import Prefetch

        phones = ContactPoint.objects.restrict(self.request.user, "view")
        return (
            Person.objects.restrict(self.request.user, "view")
            .select_related("jurisdiction")
            .prefetch_related(Prefetch("contact_points", queryset=phones))
        )


class LabResultViewSet(AuditedReadOnly):
    serializer_class = LabResultSerializer

    def get_queryset(self) -> QuerySet[LabResult]:
        labs = LabResult.objects.restrict(self.request.user, "view")
        case = self.request.query_params.get("case")
        return labs.filter(case_id=case) if case and case.isdigit() else labs
