from django.utils.translation import gettext_lazy
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from cnscd.api import ScopedViewSetMixin
from imports import services
from imports.api.serializers import ImportJobSerializer
from imports.models import ImportJob


class ImportJobViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Spreadsheet imports (``kind`` ∈ hamlets, members, households): ``POST`` a file (multipart), then follow
    its progress.

    A file with any invalid row saves nothing; ``errors`` lists every row's problems. Rows naming units outside
    the user's scope are errors ("unknown"). Users see their own imports only.
    """

    queryset = ImportJob.objects.all()
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]
    denied_messages = {"add": gettext_lazy("Your role does not allow importing this kind of file.")}

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.import_job_create(acting_user=request.user, **serializer.validated_data)
        return Response(self.get_serializer(job).data, status=status.HTTP_201_CREATED)
