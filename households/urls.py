from django.urls import path

from households import views

urlpatterns = [
    path("visits/log/", views.visit_log, name="visit-log"),
    path("households/checklist/<int:hamlet_id>/", views.household_checklist, name="household-checklist"),
    path("households/checklist/", views.household_checklist_pick, name="household-checklist-pick"),
    path("sw.js", views.service_worker, name="service-worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
]
