"""Settings, read from the environment (django-environ).

Every variable may also be given with a ``DJANGO_`` prefix (``DJANGO_SECRET_KEY``…). What runs embedded and
what is real is decided in one place, ``cnscd/embedded.py``:

* ``DATABASE_URL`` unset → a private PostgreSQL in ``.data/`` (pgserver). The portal is PostgreSQL-only.
* ``REDIS_URL`` unset → Celery tasks run in-process, the cache is per process.

Both only with ``DEBUG`` (or ``EMBEDDED_SERVICES=1``, which the test settings set for a machine without
PostgreSQL or Redis): production refuses to start without them. ``DEBUG`` is off unless set; with it off
``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DATABASE_URL``, ``REDIS_URL`` and ``PERSONAL_DATA_HASH_KEY`` are required
and the production security settings apply (``manage.py check --deploy`` passes without warnings).
"""

from datetime import timedelta
from pathlib import Path

import environ
import pghistory
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def setting(name: str, default=environ.Env.NOTSET, cast=str):
    """Read ``NAME`` or ``DJANGO_NAME`` from the environment."""
    for key in (name, f"DJANGO_{name}"):
        if key in env.ENVIRON:
            return env.get_value(key, cast=cast)
    if default is environ.Env.NOTSET:
        raise ImproperlyConfigured(f"Set the {name} environment variable.")
    return default


DEBUG = setting("DEBUG", default=False, cast=bool)
# Embedded PostgreSQL and in-process Celery are development tools: never chosen by a missing variable in production.
EMBEDDED_SERVICES = setting("EMBEDDED_SERVICES", default=DEBUG, cast=bool)

if DEBUG:
    SECRET_KEY = setting("SECRET_KEY", default="insecure-development-key-only-for-debug")
    ALLOWED_HOSTS = setting("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"], cast=list)
else:
    SECRET_KEY = setting("SECRET_KEY")
    ALLOWED_HOSTS = setting("ALLOWED_HOSTS", cast=list)

# Keyed hashes of personal identifiers (citizen-ID) use their own key, so that rotating SECRET_KEY does not
# break duplicate detection: production must set it; DEBUG has a development key of its own.
if DEBUG:
    PERSONAL_DATA_HASH_KEY = setting("PERSONAL_DATA_HASH_KEY", default="insecure-development-hash-key-only-for-debug")
else:
    PERSONAL_DATA_HASH_KEY = setting("PERSONAL_DATA_HASH_KEY", default="")
    if not PERSONAL_DATA_HASH_KEY:
        raise ImproperlyConfigured(
            "Set the PERSONAL_DATA_HASH_KEY environment variable: the key of the citizen-ID hashes, kept apart"
            " from SECRET_KEY so that rotating the secret does not orphan them."
        )

INSTALLED_APPS = [
    "cnscd.apps.PortalAdminConfig",  # django.contrib.admin, reserved to superusers (cnscd/admin.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "cnscd.apps.PortalConfig",
    "accounts",
    "areas",
    "teams",
    "members",
    "households",
    "imports",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "cnscd.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cnscd.middleware.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cnscd.middleware.PageMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "axes.middleware.AxesMiddleware",
    "cnscd.exceptions.IntegrityErrorMiddleware",  # a race on a unique rule: a 400 page, not a 500
]

ROOT_URLCONF = "cnscd.urls"
WSGI_APPLICATION = "cnscd.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Audit history (django-pghistory: database triggers, so bulk writes are recorded too) ---------------------
# Events are looked up by the object they record and by their context (who, from where); the copies of the tracked
# rows' foreign keys in the event tables carry no index, since nothing searches them and every write pays for each.
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_index=True)
PGHISTORY_CONTEXT_FIELD = pghistory.ContextForeignKey(db_index=True)
# One trigger call per statement (reading its transition table), not per row: an offline sync of 100 visits writes
# its audit events in two INSERT … SELECT statements instead of some 230 trigger calls.
PGHISTORY_LEVEL = pghistory.Statement

# --- Database: PostgreSQL only -------------------------------------------------------------------------
if setting("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url_config(setting("DATABASE_URL"))}
elif not EMBEDDED_SERVICES:
    raise ImproperlyConfigured(
        "Set the DATABASE_URL environment variable (postgres://…): only DEBUG starts an embedded PostgreSQL."
    )
else:
    from cnscd.embedded import embedded_database

    DATABASES = {"default": embedded_database()}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("The portal runs on PostgreSQL only: DATABASE_URL must be postgres://…")
DATABASES["default"]["CONN_MAX_AGE"] = setting("CONN_MAX_AGE", default=60, cast=int)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})
# No request waits forever on a stuck database: connect and statement time-outs. The portal's prepared statements
# (cnscd.db: a visit's look-ups and insert, token authentication) take arrays, for which PostgreSQL's custom plans
# look cheaper than its generic ones, so it would plan them again on every call; their generic plans were checked
# with EXPLAIN ANALYZE, and ORM queries are never prepared (client-side binding), so the mode touches nothing else.
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
DATABASES["default"]["OPTIONS"].setdefault(
    "options",
    f"-c statement_timeout={setting('DB_STATEMENT_TIMEOUT_MS', default=60000, cast=int)}"
    " -c plan_cache_mode=force_generic_plan",
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker --------------------------------------------------------------------
REDIS_URL = setting("REDIS_URL", default="")
if not REDIS_URL and not EMBEDDED_SERVICES:
    raise ImproperlyConfigured(
        "Set the REDIS_URL environment variable (redis://…): the cache and the Celery broker;"
        " only DEBUG runs tasks in-process."
    )
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
# Queueing a task also subscribes to its result on Redis, and Celery's Redis result backend retries a lost
# connection 20 times a second apart: with Redis down a request that queues a task (KPI refresh) would hang 19 s
# before its fallback. Two quick tries, then the caller's fallback (a 503, the nightly run) answers at once.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
}
CELERY_BEAT_SCHEDULE: dict = {
    # The nightly full KPI recompute (incremental runs follow every visit within seconds).
    "kpi-rollup-nightly": {"task": "reports.tasks.rollup_full_task", "schedule": crontab(hour=1, minute=30)},
}

# --- Auth -------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Brute force (django-axes): 5 failures in 15 minutes for one username from one IP locks that pair out.
# Attempts live in PostgreSQL, so the lockout holds across gunicorn workers and machines.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_IPWARE_PROXY_COUNT = setting("PROXY_COUNT", default=0, cast=int) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if AXES_IPWARE_PROXY_COUNT else ("REMOTE_ADDR",)
)

# --- REST API -------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "cnscd.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # JSON nested deeper than 32 levels is a 400 (cnscd/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "cnscd.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # A race on a unique rule is the rule's 400, a body over DATA_UPLOAD_MAX_MEMORY_SIZE a 413 (cnscd/exceptions.py).
    "EXCEPTION_HANDLER": "cnscd.exceptions.exception_handler",
}


def _duration(value: str) -> timedelta:
    """``30d``, ``12h``, ``45m``, ``90s``; a bare number is days."""
    text = str(value).strip().lower()
    units = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
    unit = units.get(text[-1:], None)
    number = text[:-1] if unit else text
    try:
        amount = float(number)
    except ValueError:
        raise ImproperlyConfigured(f"API_TOKEN_TTL: {value!r} is not a duration such as 30d, 12h or 45m.") from None
    if amount <= 0:
        raise ImproperlyConfigured("API_TOKEN_TTL must be positive.")
    return timedelta(**{unit or "days": amount})


# An API token (POST /api/v1/auth/token/) lives this long from the login that issued it (accounts.authentication).
API_TOKEN_TTL = _duration(setting("API_TOKEN_TTL", default="30d"))
SPECTACULAR_SETTINGS = {
    "TITLE": "CNSCĐ Portal API",
    "DESCRIPTION": "Community Digital Technology Teams portal — REST API v1.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the portal itself, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Internationalisation ---------------------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
# The project's catalogue, then Vietnamese for the Django REST framework messages its own catalogue lacks.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "rest_framework"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

# --- Static files: served by the portal itself (whitenoise), never from a CDN ----------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(setting("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A request body (files aside: imports have IMPORT_MAX_BYTES) is at most 4 MB (a bulk of 500 visits is far less).
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024

# --- Security -----------------------------------------------------------------------------------------
# Content Security Policy (django-csp): every asset is the portal's own.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = setting("SECURE_SSL_REDIRECT", default=True, cast=bool)
    SECURE_HSTS_SECONDS = setting("SECURE_HSTS_SECONDS", default=31536000, cast=int)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = setting("CSRF_TRUSTED_ORIGINS", default=[], cast=list)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": setting("LOG_LEVEL", default="INFO")},
    "loggers": {"pgserver": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
