from django.urls import path

from members import views as member_views
from teams import views

app_name = "teams"

urlpatterns = [
    path("", views.team_list, name="team-list"),
    path("new/", views.team_found, name="team-found"),
    path("export.xlsx", views.roster_export, name="roster-export"),
    path("<int:pk>/", views.team_detail, name="team-detail"),
    path("<int:pk>/edit/", views.team_edit, name="team-edit"),
    path("<int:pk>/dissolve/", views.team_dissolve, name="team-dissolve"),
    path("<int:pk>/members/new/", member_views.member_add, name="member-add"),
    path("members/<int:pk>/edit/", member_views.member_edit, name="member-edit"),
    path("members/<int:pk>/retire/", member_views.member_retire, name="member-retire"),
]
