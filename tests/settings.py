"""Settings for the test suite: the real ones (cnscd.settings) with test-only defaults.

Tests run against real PostgreSQL (DATABASE_URL, or the embedded server) and, where marked ``redis``, a real
Redis (REDIS_URL). Celery tasks run in-process unless a test starts a real worker (fixture ``celery_worker``).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("PERSONAL_DATA_HASH_KEY", "test-only-personal-data-hash-key")
os.environ.setdefault("EMBEDDED_SERVICES", "1")  # no PostgreSQL or Redis here: the embedded server, eager tasks

from cnscd.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
