"""Pagination for the REST API."""

from rest_framework.pagination import LimitOffsetPagination


class LimitOffsetPaginationWithMax(LimitOffsetPagination):
    """DRF's limit/offset with a ceiling: `?limit=` larger than a PostgreSQL bigint was a
    500 (found by the fuzz drill); now it is clamped like any large limit."""

    max_limit = 1000
