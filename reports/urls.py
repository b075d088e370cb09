from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="report-list"),
    path("new/", views.report_create, name="report-create"),
    path("<int:pk>/print/", views.report_print, name="report-print"),
    path("<int:pk>/<str:action>/", views.report_action, name="report-action"),
]
