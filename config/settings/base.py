"""Settings shared by every environment; everything that differs comes from the environment.

Local development (`make run`) uses these settings directly. `config.settings.production` adds
the hardening that a public deployment needs and refuses to start without its secrets;
`config.settings.test` only speeds tests up.
"""

from datetime import timedelta
from pathlib import Path

import environ

from api.release import current_release
from database.config import default_database, pooled, replica_databases

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A developer's .env is read when present; real environment variables win over it.
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"), overwrite=False)

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Only good for a developer's machine: production.py demands a real one.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-development-key-do-not-use-in-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# The release running (the answer cache keys what it computed by it): the git commit, or the package version.
APP_RELEASE = env("APP_RELEASE", default="") or current_release(BASE_DIR)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# DATABASES
# ------------------------------------------------------------------------------
# What pools the connections (docs/scaling.md): nothing, PgBouncer in transaction mode, or psycopg.
DATABASE_POOLING = {
    "pooler": env("DATABASE_POOLER", default=""),
    "disable_server_side_cursors": env.bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", default=None),
    "pool_max_size": env.int("DATABASE_POOL_MAX_SIZE", default=4),
}
DATABASES = {
    "default": pooled(
        default_database(env("DATABASE_URL", default=None), conn_max_age=env.int("DATABASE_CONN_MAX_AGE", 60)),
        **DATABASE_POOLING,
    ),
}
# Writes are atomic where they happen (the viewsets' create, update and destroy, the admin, imports); a read
# is one statement and needs no transaction around it.
# Streaming replicas of the primary, as replica_0, replica_1, ... (database.replicas routes reads there).
DATABASES.update(
    replica_databases(
        env("DATABASE_REPLICA_URLS", default=""),
        conn_max_age=env.int("DATABASE_CONN_MAX_AGE", 60),
        **DATABASE_POOLING,
    )
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# URLS
# ------------------------------------------------------------------------------
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# APPS
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    # Before django.contrib.admin: its templates add the "Events" (history) link to change pages.
    "pghistory.admin",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "accounts.apps.ApiTokensConfig",  # knox, with translatable names in the admin
    "pgtrigger",
    "core.apps.ChangeHistoryConfig",  # pghistory, with a translatable name in the admin
    "accounts.apps.LoginAttemptsConfig",  # axes, with a translatable name in the admin
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
]
LOCAL_APPS = [
    "core",
    "accounts",
    "sources",
    "regions",
    "industries",
    "companies",
    "projects",
    "figures",
    "indicators",
    "oversight",
    "commitments",
    "dashboard",
    "ratelimits",
    "exports",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

# MIDDLEWARE
# ------------------------------------------------------------------------------
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A database outage in a view answers 503 with Retry-After, JSON under /api/ (api.outage).
    "api.outage.DatabaseOutageMiddleware",
    "api.middleware.SecurityHeadersMiddleware",
    # Above WhiteNoise, so that static files are covered too (it answers them itself).
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "api.middleware.RequestBodyLimitMiddleware",
    "api.bodies.UnframedBodyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records the acting user and URL with every change the database's history triggers capture.
    "pghistory.middleware.HistoryMiddleware",
    # Last: it must see the outcome of authentication to count failed admin logins.
    "axes.middleware.AxesMiddleware",
]

# TEMPLATES
# ------------------------------------------------------------------------------
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# STATIC FILES (served by WhiteNoise in every mode, so the docs work without a CDN)
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# SECURITY (safe everywhere; production.py adds HTTPS-only settings)
# ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# AUTHENTICATION, ROLES AND LIMITS
# ------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # Counts failed logins (admin and token endpoint) and locks out after AXES_FAILURE_LIMIT.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out"

# Who may read a record's history, on top of who may read the record (api.viewsets).
API_HISTORY_PERMISSION_CLASSES = ["accounts.permissions.HistoryPermission"]
# Who may leave a record where (api.serializers): a regional editor, inside their regions.
API_WRITE_SCOPE = "accounts.scope.write_refusal"
# Published data is readable without signing in; set false to require a token or session for reads.
API_ANONYMOUS_READS = env.bool("API_ANONYMOUS_READS", default=True)
# Nothing lost, nothing shown (issue 20; docs/operations/api-safety.md). A PUT, PATCH or DELETE without
# If-Match gets 428: two clients that read the same version would otherwise both write, and one change
# would be lost (2 of 20 concurrent appends survived). Change histories (who changed what: staff usernames)
# and the follow-up log are the bureau's working notes, readable only when signed in unless these are true.
API_REQUIRE_IF_MATCH = env.bool("API_REQUIRE_IF_MATCH", default=True)
API_ANONYMOUS_HISTORY = env.bool("API_ANONYMOUS_HISTORY", default=False)
API_ANONYMOUS_FOLLOW_UPS = env.bool("API_ANONYMOUS_FOLLOW_UPS", default=False)
# The red/yellow list (oversight) names projects the bureau worries about: signed-in readers only unless true.
API_ANONYMOUS_WARNINGS = env.bool("API_ANONYMOUS_WARNINGS", default=False)
# Bodies over this many bytes are refused with 413 before anything reads them.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
# A list page counts matching rows up to this many, in its one query (api.pagination).
API_COUNT_CAP = env.int("API_COUNT_CAP", default=1000)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
# Admin imports (core.imports), whatever the limits above: a file over any of these is refused on the
# import form, before its rows are read. DATA_UPLOAD_MAX_MEMORY_SIZE does not cover files, so the first
# upload handler keeps no more of a file than IMPORT_MAX_FILE_BYTES (plus one byte, to tell it was over).
# An XLSX is a zip archive: IMPORT_MAX_XLSX_UNPACKED_BYTES bounds what it unpacks to (a small file can
# unpack to hundreds of megabytes). docs/operations/exports-and-imports.md says how they were chosen.
IMPORT_MAX_FILE_BYTES = env.int("IMPORT_MAX_FILE_BYTES", default=5 * 1024 * 1024)
# 1,000 rows import in 6-8 s a step (preview, confirmation) on the shared test machine; 10,000 took 2-3 minutes,
# far past gunicorn's 30 s worker timeout: raise it only with the timeout, after measuring.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=1_000)
IMPORT_MAX_XLSX_UNPACKED_BYTES = env.int("IMPORT_MAX_XLSX_UNPACKED_BYTES", default=50 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "core.imports.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Requests per client, counted in the shared cache so every worker sees the same count.
API_THROTTLE_RATES = {
    "anon": env("API_THROTTLE_ANON", default="120/min"),
    "user": env("API_THROTTLE_USER", default="600/min"),
    "login": env("API_THROTTLE_LOGIN", default="10/min"),
}
# Seconds a client is told to wait (Retry-After) when the database is unavailable (api.outage).
API_OUTAGE_RETRY_AFTER = env.int("API_OUTAGE_RETRY_AFTER", default=5)
# How many trusted proxies append to X-Forwarded-For in front of the app (0: use REMOTE_ADDR).
API_NUM_PROXIES = env.int("API_NUM_PROXIES", default=0)

# OC4IDS export (exports/, docs/oc4ids.md). A project's OC4IDS id is the prefix and its id in the tracker: the
# prefix must be the publisher's own, registered with the OC4IDS Helpdesk (oc4ids-xxxxxx-, six letters or
# digits); the default is a placeholder of that shape. The publisher names who publishes the package; its
# scheme and uid an organisation identifier (CN-USCC and the bureau's credit code), uri its website.
OC4IDS_PREFIX = env("OC4IDS_PREFIX", default="oc4ids-xxxxxx-")
OC4IDS_PUBLISHER_NAME = env("OC4IDS_PUBLISHER_NAME", default="Investment Project Tracker")
OC4IDS_PUBLISHER_SCHEME = env("OC4IDS_PUBLISHER_SCHEME", default="")
OC4IDS_PUBLISHER_UID = env("OC4IDS_PUBLISHER_UID", default="")
OC4IDS_PUBLISHER_URI = env("OC4IDS_PUBLISHER_URI", default="")
OC4IDS_LICENSE = env("OC4IDS_LICENSE", default="")
OC4IDS_PUBLICATION_POLICY = env("OC4IDS_PUBLICATION_POLICY", default="")

# History context (user, URL) is attached to writes only; reads change nothing to record.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Each change gets its own clock time, not its transaction's start, so events of one request order.
PGHISTORY_CREATED_AT_FUNCTION = "CLOCK_TIMESTAMP()"
# pghistory's raw events page, with its titles, columns and filters in the admin's language.
PGHISTORY_ADMIN_CLASS = "core.events_admin.ChangeEventsAdmin"

# Admin imports (core.imports): all or nothing, in one transaction that any bad row rolls back.
IMPORT_EXPORT_USE_TRANSACTIONS = True

REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=24 * 30)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

# CACHES (the throttle counters live here): the database by default, Redis when REDIS_URL is set
# ------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "tracker_cache"}}

# Throttle counts, failed-login records and imports waiting for confirmation (the cache) go to `default` like
# everything else: requests run in autocommit (ATOMIC_REQUESTS off, writes atomic where they happen), and each
# of those writes happens outside the blocks that roll back (see api.throttling), so it commits on its own.
DATABASE_ROUTERS: list[str] = []
if any(alias.startswith("replica_") for alias in DATABASES):
    # Safe requests read from a replica unless they write or lock (database.replicas). The middleware
    # goes first so that the reads of every other middleware in such a request are covered too.
    DATABASE_ROUTERS.append("database.replicas.ReplicaRouter")
    MIDDLEWARE.insert(0, "database.replicas.ReplicaReadsMiddleware")

# LOGGING
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # django-axes logs every failed login at INFO; its lockouts come at WARNING.
    "loggers": {"axes": {"level": "WARNING"}},
}

# DJANGO REST FRAMEWORK
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first, so a request without valid credentials gets 401 with WWW-Authenticate: Token.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "accounts.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.TrackerPermission"],
    # Client addresses come from REMOTE_ADDR only, unless told how many proxies in front append to
    # X-Forwarded-For: otherwise a client could pick a new address, and a fresh count, per request.
    "NUM_PROXIES": API_NUM_PROXIES,
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonThrottle",
        "api.throttling.UserThrottle",
        "api.throttling.ScopedThrottle",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "api.csv.CSVRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "api.filters.TrackerFilterBackend",
        "api.ordering.StableOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.TrackerPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "api.schema.TrackerAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
}

SPECTACULAR_SETTINGS = {
    # Clients send JSON; the form parsers are there for the browsable API's HTML forms. A body offered under
    # three media types made openapi-python-client write create and update modules that fail on import.
    "PARSER_WHITELIST": ["api.parsers.JSONParser"],
    "TITLE": "Investment Project Tracker API",
    "DESCRIPTION": (
        "Regions, firms, investment projects and economic indicators recorded by a city's "
        "investment-promotion and statistics bureaus. Money is a decimal string in yuan with its "
        "currency and qualifier; region filters include every descendant region."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SourceKindEnum": "sources.models.SourceKind",
        "CompanyKindEnum": "companies.models.CompanyKind",
        "ProjectKindEnum": "projects.models.ProjectKind",
        "StageEnum": "projects.models.Stage",
        "QualifierEnum": "core.choices.Qualifier",
        "DatePrecisionEnum": "core.choices.DatePrecision",
        "UnitEnum": "core.choices.Unit",
        "RegionLevelEnum": "regions.models.RegionLevel",
        "CurrencyEnum": "core.choices.CURRENCY_CHOICES",
        "WarningLevelEnum": "oversight.rules.Level",
        "WarningRuleCodeEnum": "oversight.rules.RuleCode",
        "CommitmentKindEnum": "commitments.models.CommitmentKind",
        "CommitmentUnitEnum": "commitments.models.CommitmentUnit",
    },
}

# ACCOUNTS
# ------------------------------------------------------------------------------
LOGIN_URL = "admin:login"
