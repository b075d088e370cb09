from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api.views import LogoutView, TokenView, UserViewSet
from areas.api.views import AreaViewSet
from cnscd import views
from cnscd.routers import Router
from households.api.views import ActivityTypeViewSet, HouseholdViewSet, VisitViewSet
from imports.api.views import ImportJobViewSet
from members.api.views import MemberViewSet, TrainingSessionViewSet
from reports import views as report_views
from reports.api.views import IndicatorViewSet, KpiRefreshView, KpiView, ReportViewSet, TargetViewSet
from teams.api.views import TeamViewSet

router = Router()  # detail routes match only ids of 1–18 digits: any other {id} is a 404 (cnscd/routers.py)
# Patterns are tried in order: the phones' visit endpoints, the busiest by far, come first.
router.register("visits", VisitViewSet, basename="visit")
router.register("areas", AreaViewSet, basename="area")
router.register("users", UserViewSet, basename="user")
router.register("teams", TeamViewSet, basename="team")
router.register("members", MemberViewSet, basename="member")
router.register("training-sessions", TrainingSessionViewSet, basename="training-session")
router.register("imports", ImportJobViewSet, basename="import")
router.register("households", HouseholdViewSet, basename="household")
router.register("activity-types", ActivityTypeViewSet, basename="activity-type")
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("targets", TargetViewSet, basename="target")
router.register("reports", ReportViewSet, basename="report")

api = [
    path("v1/", include(router.urls)),
    path("v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("v1/auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("v1/kpis/", KpiView.as_view(), name="kpis"),
    path("v1/kpis/refresh/", KpiRefreshView.as_view(), name="kpis-refresh"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI sets a few inline styles; its page alone allows them.
    path(
        "docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
]

urlpatterns = [
    path("api/", include(api)),  # first: most requests are the API's, and the pages never start with api/
    path("", views.home, name="home"),  # the start page and login gather every app's part (cnscd/views.py)
    path("login/", views.LoginView.as_view(), name="login"),
    path("", include("accounts.urls")),
    path("teams/", include("teams.urls")),
    path("imports/", include("imports.urls")),
    path("reports/", include("reports.urls")),
    path("dashboard/", report_views.dashboard, name="dashboard"),
    path("", include("households.urls")),
    path("", include("areas.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
# No URL serves MEDIA_ROOT, not even with DEBUG (``make run``): it holds the uploaded import files, citizens' data
# that only their import job's pages hand out, after the policy's check.
