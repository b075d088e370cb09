"""Settings of the robustness suite: the production settings (``DEBUG`` off) with what a checkout lacks.

Static files are served without the collectstatic manifest (the suite never runs collectstatic) and passwords
use a fast hasher, so building the suite's users takes milliseconds; everything else — security middleware,
django-axes, Redis, Celery not eager — is what production runs.
"""

import os

os.environ.setdefault("SECRET_KEY", "robustness-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("PERSONAL_DATA_HASH_KEY", "robustness-only-personal-data-hash-key")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from cnscd.settings import *  # noqa: E402,F403

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["root"]["level"] = os.environ.get("LOG_LEVEL", "WARNING")  # noqa: F405
LOGGING["loggers"]["django.request"] = {"level": "ERROR"}  # noqa: F405 — 4xx are the fuzzer's daily bread
LOGGING["loggers"]["axes"] = {"level": "ERROR"}  # noqa: F405 — the brute-force check fails logins on purpose
