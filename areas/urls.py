from django.urls import path

from areas import views

urlpatterns = [
    path("communes/<int:pk>/hamlets/", views.commune_hamlets, name="commune-hamlets"),
    path("reorganization/roles/", views.reorganization_roles, name="reorganization-roles"),
]
