"""Epitrace settings, read from the environment.

Development is the default: an SQLite database and job queue under the data
folder, a generated secret key kept there, DEBUG on. ``EPITRACE_ENV=production``
turns on every production safeguard and requires the secrets to be given.
See docs/configuration.md for every variable.
"""

from __future__ import annotations

from pathlib import Path

import environ

from epitrace.lib.env import (
    ConfigurationError,
    envbool,
    envint,
    envlist,
    envsecret,
    envstr,
    persistent_dev_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(envstr("EPITRACE_DATA_DIR", str(BASE_DIR / "var"))).resolve()

ENVIRONMENT = envstr("EPITRACE_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ConfigurationError(f"EPITRACE_ENV must be development or production, got {ENVIRONMENT!r}")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = envbool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ConfigurationError("DEBUG cannot be on with EPITRACE_ENV=production")

_secret = envsecret("SECRET_KEY")
if _secret is None:
    if PRODUCTION:
        raise ConfigurationError("SECRET_KEY (or SECRET_KEY_FILE) is required in production")
    _secret = persistent_dev_secret(DATA_DIR / "secret_key")
SECRET_KEY = _secret

ALLOWED_HOSTS = envlist(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ConfigurationError("ALLOWED_HOSTS is required in production")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

# --- Database -----------------------------------------------------------------
_env = environ.Env()
DEFAULT_SQLITE = DATA_DIR / "epitrace.sqlite3"
DATABASES = {"default": _env.db_url_config(envstr("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE}"))}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    Path(str(_db["NAME"])).parent.mkdir(parents=True, exist_ok=True)
    _db["OPTIONS"] = {
        # WAL lets the web server read while the worker writes; IMMEDIATE takes
        # the write lock at BEGIN so two writers queue instead of deadlocking.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    _db.setdefault("CONN_MAX_AGE", envint("DATABASE_CONN_MAX_AGE", 60))
    _db["CONN_HEALTH_CHECKS"] = True
_db["ATOMIC_REQUESTS"] = False
_db["TEST"] = {"NAME": envstr("EPITRACE_TEST_DATABASE_NAME") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Jobs ---------------------------------------------------------------------
REDIS_URL = envstr("REDIS_URL")
HUEY = {
    "name": "epitrace",
    "immediate": envbool("HUEY_IMMEDIATE", default=False),
    "consumer": {"workers": envint("HUEY_WORKERS", 2), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "jobs.sqlite3")})

# --- Applications -------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_filters",
    "huey.contrib.djhuey",
    "allauth",
    "allauth.account",
    "epitrace.core",
    "epitrace.accounts",
    "epitrace.jurisdictions",
    "epitrace.diseases",
    "epitrace.people",
    "epitrace.cases",
    "epitrace.contacts",
    "epitrace.labs",
    "epitrace.audit",
    "epitrace.seed",
    "epitrace.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "epitrace.core.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "epitrace" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "epitrace.web.context.navigation",
            ],
        },
    }
]

# --- Accounts -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*"]
ACCOUNT_ADAPTER = "epitrace.accounts.adapter.StaffAccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_VERIFICATION = "none"

SESSION_COOKIE_AGE = envint("SESSION_IDLE_TIMEOUT_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True  # the cookie age is an idle timeout, not a day's login
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Security headers ---------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # /healthz and /readyz are probed over plain HTTP by load balancers.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
TIME_ZONE = envstr("EPITRACE_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "epitrace" / "locale"]

# --- Static files -------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "epitrace" / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Email --------------------------------------------------------------------
EMAIL_BACKEND = envstr(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = str(DATA_DIR / "outbox-email")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Epitrace <no-reply@localhost>")

# --- Logging: structured, and never personal data (see docs/privacy.md) --------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request logs carry URLs; ours carry ids only, never names.
        "django.server": {"level": "WARNING"},
        "huey": {"level": "INFO"},
    },
}

# --- Epitrace -----------------------------------------------------------------
EPITRACE_STATE_CODE = envstr("EPITRACE_STATE_CODE", "XS")
EPITRACE_STATE_NAME = envstr("EPITRACE_STATE_NAME", "State Department of Public Health")
EPITRACE_PAGE_SIZE = envint("EPITRACE_PAGE_SIZE", 25)
