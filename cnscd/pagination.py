from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """``?page=N``, ``?page_size=N`` (at most 500), as docs/API.md says.

    A page or page size that is not a whole number from 1 is a 400 (DRF would answer a 404 for the page and ignore
    the size); a page beyond the last stays DRF's 404.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request, paginator):
        number = super().get_page_number(request, paginator)
        if number not in self.last_page_strings:
            _positive(str(number), self.page_query_param)
        return number

    def get_page_size(self, request):
        if value := request.query_params.get(self.page_size_query_param):
            _positive(value, self.page_size_query_param)
        return super().get_page_size(request)


def _positive(value: str, name: str) -> None:
    if not (value.isascii() and value.isdigit() and int(value) >= 1):
        raise ValidationError({name: [_("Give a whole number from 1.")]})
