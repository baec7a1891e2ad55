"""Epitrace settings, read from the environment.

Development is the default: an SQLite database and job queue under the data
folder, a generated secret key kept there, DEBUG on. ``EPITRACE_ENV=production``
turns on every production safeguard and requires the secrets to be given.
See docs/configuration.md for every variable.
"""

from __future__ import annotations

import datetime as dt
import os
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
    # Short OLTP queries: compiling them (JIT) costs more than running them.
    # Random reads are nearly as cheap as sequential ones on SSDs and cached
    # data (PostgreSQL's default of 4 assumes spinning disks): with it, the
    # import's lookup of 2,000 keys read the whole key table (47 ms) instead
    # of probing its index (8 ms).
    _db.setdefault("OPTIONS", {})["options"] = "-c jit=off -c random_page_cost=1.1"
    # Server-side prepared statements: a staff page runs a dozen restricted
    # queries that PostgreSQL takes longer to plan (about 1 ms each) than to
    # run; prepared on their second use on a connection, they are planned once
    # (the queue benchmark's throughput nearly doubles). Off behind a pooler in
    # transaction mode, which cannot keep a session's prepared statements.
    if envbool("DATABASE_PREPARED_STATEMENTS", default=True):
        _db["OPTIONS"]["server_side_binding"] = True
        _db["OPTIONS"]["prepare_threshold"] = 2
    _db["CONN_HEALTH_CHECKS"] = True
    if _db["ENGINE"] == "django.db.backends.postgresql":
        _db["ENGINE"] = "epitrace.core.db.postgresql"  # a health check without a round trip
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

# --- Cache ----------------------------------------------------------------------
# Login and MFA rate limits and the "TOTP code already used" marks live in the
# cache, so several web processes must share one: Redis when there is one.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "epitrace-cache",
        }
    }

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
    "allauth.mfa",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "epitrace.core",
    "epitrace.accounts",
    "epitrace.jurisdictions",
    "epitrace.diseases",
    "epitrace.people",
    "epitrace.cases",
    "epitrace.contacts",
    "epitrace.labs",
    "epitrace.queues",
    "epitrace.letters",
    "epitrace.outreach",
    "epitrace.interviews",
    "epitrace.portal",
    "epitrace.wording",
    "epitrace.monitoring",
    "epitrace.audit",
    "epitrace.seed",
    "epitrace.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "epitrace.accounts.middleware.SecurityHeadersMiddleware",
    # Django's, refreshing an unchanged session's end at most once a minute.
    "epitrace.accounts.sessions.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "epitrace.core.middleware.LoginRequiredMiddleware",
    "epitrace.accounts.middleware.MFARequiredMiddleware",
    # Last, as django-axes asks: it turns a flagged login response into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "epitrace" / "templates"],
        "OPTIONS": {
            # Django's cached loader with literal translations rendered once
            # per language and literal url tags reversed once (core/templating.py),
            # inside django-template-partials' loader, as that app would wrap the
            # cached one.
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    [
                        (
                            "epitrace.core.templating.Loader",
                            [
                                "django.template.loaders.filesystem.Loader",
                                "django.template.loaders.app_directories.Loader",
                            ],
                        )
                    ],
                )
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "epitrace.web.context.navigation",
                "epitrace.accounts.context.demo",
                "epitrace.labs.feeds.context.feed_alerts",
            ],
        },
    }
]

# --- Accounts -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, as django-axes requires: it refuses a locked-out account before any
    # password is checked.
    "epitrace.accounts.security.LockoutBackend",
    # One password check per attempt (argon2 is slow on purpose): allauth's
    # backend is Django's ModelBackend with allauth's username matching (ours
    # reads the signed-in user of each request more cheaply).
    "epitrace.accounts.backends.AuthenticationBackend",
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
ACCOUNT_RATE_LIMITS = {
    # Wrong passwords, per client address (per account, django-axes locks below).
    "password_failed": "10/m/ip",
    # Wrong second-factor codes: per address and per account (allauth's default).
    "login_failed": "10/m/ip,5/5m/key",
}
# Behind N reverse proxies, the client address is the N-th from the right of
# X-Forwarded-For (rate limits and lockout records use it).
ALLAUTH_TRUSTED_PROXY_COUNT = envint("EPITRACE_TRUSTED_PROXY_COUNT", 0)

# Two-factor authentication is mandatory for staff: epitrace.accounts.middleware
# sends a signed-in user without it to enrolment. Passkeys sign in on their own
# (possession plus the device's PIN or biometric); fido2 accepts http://localhost
# as a secure origin, so MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN (which would accept
# any origin at all) stays off.
MFA_ADAPTER = "epitrace.accounts.mfa.StaffMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_WEBAUTHN_USER_VERIFICATION = "required"
MFA_TOTP_ISSUER = envstr("MFA_TOTP_ISSUER", "Epitrace")
MFA_TOTP_TOLERANCE = 1  # one 30-second step either side: phone clocks drift
# Accounts are made by administrators and e-mail addresses are not verified by
# link; allauth would otherwise refuse MFA enrolment to such an account.
MFA_ALLOW_UNVERIFIED_EMAIL = True

# Lockout (django-axes): five failed passwords lock the account for the cool-off.
# Locked by username, from any address: a combination with the IP address would
# give an attacker five guesses per address (a botnet has thousands), and an
# IP-only lock would shut a whole health department out behind one NAT address.
# Guessing one password across many accounts is held by allauth's per-address
# rate limit instead (ACCOUNT_RATE_LIMITS above). A passkey sign-in is not a
# password and is not locked. `epitrace axes_reset_username USER` lifts a lock.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = ["username"]
_cooloff = envint("AXES_COOLOFF_MINUTES", 30)
if _cooloff < 0:
    raise ConfigurationError("AXES_COOLOFF_MINUTES must be 0 (locked until reset) or more")
AXES_COOLOFF_TIME = dt.timedelta(minutes=_cooloff) if _cooloff else None
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "epitrace.accounts.security.lockout_username"
AXES_CLIENT_IP_CALLABLE = "epitrace.accounts.security.client_ip"
AXES_LOCKOUT_CALLABLE = "epitrace.accounts.security.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["username", "login", "ip_address"]
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are in the audit log; no second copy of staff IPs
AXES_VERBOSE = False
SILENCED_SYSTEM_CHECKS = [
    # axes.W006 asks for the IP address among the lockout parameters; see above
    # for why the lock is by username and what covers guessing across accounts.
    "axes.W006",
]
EPITRACE_SUPPORT_CONTACT = envstr("EPITRACE_SUPPORT_CONTACT", "your user administrator")

# The cookie age is an idle timeout, not a day's login: each request pushes the
# end of the session this far ahead. Rather than saving the session on every
# request (SESSION_SAVE_EVERY_REQUEST), epitrace.accounts.sessions writes the
# new end only when the stored one is a minute or more behind.
SESSION_COOKIE_AGE = envint("SESSION_IDLE_TIMEOUT_MINUTES", 30) * 60
SESSION_ENGINE = "epitrace.accounts.sessions"
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # pages carry the token; no script needs the cookie

# --- Security headers ---------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere: every script is a static file. img-src
# allows data: for the TOTP enrolment QR code, which allauth renders inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "upgrade-insecure-requests": PRODUCTION,
    }
}
# Sent by epitrace.accounts.middleware.SecurityHeadersMiddleware. WebAuthn
# (passkeys) must stay allowed for our own origin.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "usb": [],
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix makes browsers refuse the cookie unless it is Secure,
    # for this exact host and path /: a sibling subdomain cannot plant one.
    SESSION_COOKIE_NAME = "__Host-epitrace-session"
    CSRF_COOKIE_NAME = "__Host-epitrace-csrf"
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
        # Failures and lockouts are warnings; every successful sign-in is not news.
        "axes": {"level": "WARNING"},
        # PDF letters: font subsetting logs every glyph at INFO.
        "fontTools": {"level": "WARNING"},
    },
}

# --- Epitrace -----------------------------------------------------------------
EPITRACE_STATE_CODE = envstr("EPITRACE_STATE_CODE", "XS")
EPITRACE_STATE_NAME = envstr("EPITRACE_STATE_NAME", "State Department of Public Health")
EPITRACE_PAGE_SIZE = envint("EPITRACE_PAGE_SIZE", 25)
EPITRACE_BREAK_GLASS_HOURS = envint("EPITRACE_BREAK_GLASS_HOURS", 4)
# Outreach (docs/outreach.md): SMS through Twilio, e-mail through EMAIL_* above,
# exposure-notification codes through the state's EN verification server. The
# console transport writes messages to a file under the data folder (the demo).
EPITRACE_SMS_TRANSPORT = envstr("EPITRACE_SMS_TRANSPORT", "twilio" if PRODUCTION else "console")
EPITRACE_EMAIL_TRANSPORT = envstr("EPITRACE_EMAIL_TRANSPORT", "smtp")
EPITRACE_EN_TRANSPORT = envstr("EPITRACE_EN_TRANSPORT", "server" if PRODUCTION else "console")
TWILIO_ACCOUNT_SID = envstr("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = envsecret("TWILIO_AUTH_TOKEN") or ""
TWILIO_FROM_NUMBER = envstr("TWILIO_FROM_NUMBER")
TWILIO_API_BASE_URL = envstr("TWILIO_API_BASE_URL", "https://api.twilio.com")
EPITRACE_PUBLIC_URL = envstr("EPITRACE_PUBLIC_URL", "http://localhost:8000")
EPITRACE_OUTREACH_SENDER_NAME = envstr("EPITRACE_OUTREACH_SENDER_NAME", EPITRACE_STATE_NAME)
EPITRACE_OUTREACH_WINDOW = envstr("EPITRACE_OUTREACH_WINDOW", "08:00-20:00")
EPITRACE_OUTREACH_MAX_ATTEMPTS = envint("EPITRACE_OUTREACH_MAX_ATTEMPTS", 6)
EPITRACE_OUTREACH_RETRY_SECONDS = envint("EPITRACE_OUTREACH_RETRY_SECONDS", 60)
EPITRACE_OUTREACH_RETRY_MAX_SECONDS = envint("EPITRACE_OUTREACH_RETRY_MAX_SECONDS", 3600)
EPITRACE_OUTREACH_LEASE_SECONDS = envint("EPITRACE_OUTREACH_LEASE_SECONDS", 30)
EPITRACE_OUTREACH_SENDING_TIMEOUT_SECONDS = envint("EPITRACE_OUTREACH_SENDING_TIMEOUT_SECONDS", 600)
EPITRACE_OUTREACH_THREADS = envint("EPITRACE_OUTREACH_THREADS", 8)
EPITRACE_OUTREACH_BATCH = envint("EPITRACE_OUTREACH_BATCH", 100)
EPITRACE_EN_SERVER_URL = envstr("EPITRACE_EN_SERVER_URL")
EPITRACE_EN_API_KEY = envsecret("EPITRACE_EN_API_KEY") or ""
# The disease of exposure-notification alerts: a person enrolling from an alert is its contact.
EPITRACE_EN_DISEASE = envstr("EPITRACE_EN_DISEASE", "covid-19")
if (
    PRODUCTION
    and EPITRACE_SMS_TRANSPORT == "twilio"
    and not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER)
):
    raise ConfigurationError(
        "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER are required in production "
        "(or set EPITRACE_SMS_TRANSPORT=console)"
    )
if (
    PRODUCTION
    and EPITRACE_EN_TRANSPORT == "server"
    and not (EPITRACE_EN_SERVER_URL and EPITRACE_EN_API_KEY)
):
    raise ConfigurationError(
        "EPITRACE_EN_SERVER_URL and EPITRACE_EN_API_KEY are required in production "
        "(or set EPITRACE_EN_TRANSPORT=console)"
    )

# --- Lab feeds (docs/lab-feeds.md) ----------------------------------------------
# MLLP is plain TCP: it listens on loopback unless told otherwise, behind a VPN
# or a TLS terminator (stunnel, an interface engine) when it faces a network.
# Messages an import commits at a time: a killed import loses at most these.
EPITRACE_IMPORT_BATCH = envint("EPITRACE_IMPORT_BATCH", 1000)
if EPITRACE_IMPORT_BATCH < 1:
    raise ConfigurationError("EPITRACE_IMPORT_BATCH must be at least 1")
# Processes that parse a large import ahead of the database writes (0: none).
EPITRACE_IMPORT_WORKERS = envint("EPITRACE_IMPORT_WORKERS", min(os.cpu_count() or 1, 4))
if EPITRACE_IMPORT_WORKERS < 0:
    raise ConfigurationError("EPITRACE_IMPORT_WORKERS must be 0 or more")
EPITRACE_MLLP_HOST = envstr("EPITRACE_MLLP_HOST", "127.0.0.1")
EPITRACE_MLLP_PORT = envint("EPITRACE_MLLP_PORT", 2575)
EPITRACE_MLLP_MAX_MESSAGE_BYTES = envint("EPITRACE_MLLP_MAX_MESSAGE_BYTES", 4 * 1024 * 1024)
EPITRACE_MLLP_IDLE_TIMEOUT_SECONDS = envint("EPITRACE_MLLP_IDLE_TIMEOUT_SECONDS", 600)
if not 0 <= EPITRACE_MLLP_PORT <= 65535:
    raise ConfigurationError(f"EPITRACE_MLLP_PORT must be 0-65535, got {EPITRACE_MLLP_PORT}")
if EPITRACE_MLLP_MAX_MESSAGE_BYTES < 1024 or EPITRACE_MLLP_IDLE_TIMEOUT_SECONDS < 1:
    raise ConfigurationError(
        "EPITRACE_MLLP_MAX_MESSAGE_BYTES must be at least 1024 and "
        "EPITRACE_MLLP_IDLE_TIMEOUT_SECONDS at least 1"
    )
# The drop folder holds inbox/, processed/ and failed/. Setting it explicitly
# says a lab is expected to deliver there: the feed is then watched from the
# start, before its first file (EPITRACE_DROP_FOLDER_EXPECTED overrides).
_drop_folder = envstr("EPITRACE_DROP_FOLDER")
EPITRACE_DROP_FOLDER = Path(_drop_folder or DATA_DIR / "dropbox").resolve()
EPITRACE_DROP_FOLDER_EXPECTED = envbool("EPITRACE_DROP_FOLDER_EXPECTED", bool(_drop_folder))
# Cron minute and hour fields of the pull, e.g. "5 *" (hourly at :05), "*/15 *".
EPITRACE_DROP_FOLDER_SCHEDULE = envstr("EPITRACE_DROP_FOLDER_SCHEDULE", "5 *")
if len(EPITRACE_DROP_FOLDER_SCHEDULE.split()) != 2:
    raise ConfigurationError(
        "EPITRACE_DROP_FOLDER_SCHEDULE must be two cron fields, minute and hour "
        f"(e.g. '5 *'), got {EPITRACE_DROP_FOLDER_SCHEDULE!r}"
    )
# A file modified less than this long ago may still be being written: left for the next pull.
EPITRACE_DROP_FOLDER_SETTLE_SECONDS = envint("EPITRACE_DROP_FOLDER_SETTLE_SECONDS", 60)
# A watched feed silent for longer than this raises an alert (2: an hourly feed missed two runs).
EPITRACE_FEED_EXPECTED_HOURS = envint("EPITRACE_FEED_EXPECTED_HOURS", 2)
if EPITRACE_FEED_EXPECTED_HOURS < 1:
    raise ConfigurationError("EPITRACE_FEED_EXPECTED_HOURS must be at least 1")
# Who is e-mailed about an overdue feed; empty means the active user and state
# administrators of the root jurisdiction.
EPITRACE_FEED_ALERT_EMAILS = envlist("EPITRACE_FEED_ALERT_EMAILS", [])

# --- Audit (docs/audit.md) ------------------------------------------------------
# The chain and checkpoint keys live outside the database: whoever can edit the
# audit tables must not also be able to re-sign them.
EPITRACE_AUDIT_KEY = envsecret("EPITRACE_AUDIT_KEY")
EPITRACE_AUDIT_SIGNING_KEY = envsecret("EPITRACE_AUDIT_SIGNING_KEY")
if PRODUCTION and not (EPITRACE_AUDIT_KEY and EPITRACE_AUDIT_SIGNING_KEY):
    raise ConfigurationError(
        "EPITRACE_AUDIT_KEY and EPITRACE_AUDIT_SIGNING_KEY (or *_FILE) are required in production"
    )
EPITRACE_AUDIT_CHECKPOINT_FILE = envstr(
    "EPITRACE_AUDIT_CHECKPOINT_FILE", str(DATA_DIR / "audit" / "checkpoints.jsonl")
)
EPITRACE_AUDIT_SLOTS = envint("EPITRACE_AUDIT_SLOTS", 16)
EPITRACE_AUDIT_PROXY_COUNT = envint("EPITRACE_AUDIT_PROXY_COUNT", 0)

# --- REST API -----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "epitrace.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Form parsers too: a session client's CSRF check reads form bodies.
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Epitrace API",
    "DESCRIPTION": "Lab reports in, cases and results out; scoped to the client's jurisdiction.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}
