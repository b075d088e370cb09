from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_start, name="import-start"),
    path("template/<str:kind>.xlsx", views.import_template, name="import-template"),
    path("<int:pk>/", views.import_detail, name="import-detail"),
    path("<int:pk>/progress/", views.import_progress, name="import-progress"),
    path("<int:pk>/confirm/", views.import_confirm, name="import-confirm"),
]
