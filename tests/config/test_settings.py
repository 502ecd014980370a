"""Settings come from the environment, and production refuses to start half-configured."""

import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x" * 64 + "-a-long-random-production-secret",
    "DJANGO_ALLOWED_HOSTS": "tracker.example.org",
}


def _django(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def clean_env(subprocess_env):
    for name in ("DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"):
        subprocess_env.pop(name, None)
    return subprocess_env


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_production_settings_refuse_to_start_without(missing, clean_env):
    env = {**clean_env, **PRODUCTION}
    env.pop(missing)
    result = _django("print(settings.DEBUG)", env)
    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


def test_debug_is_off_unless_asked_for(clean_env):
    default = _django("print(settings.DEBUG)", {**clean_env, "DJANGO_SETTINGS_MODULE": "config.settings.base"})
    asked = _django(
        "print(settings.DEBUG)", {**clean_env, "DJANGO_SETTINGS_MODULE": "config.settings.base", "DJANGO_DEBUG": "true"}
    )
    production = _django("print(settings.DEBUG)", {**clean_env, **PRODUCTION})
    assert (default.stdout.strip(), asked.stdout.strip(), production.stdout.strip()) == ("False", "True", "False")


def test_the_deployment_checklist_passes_under_production_settings(clean_env):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env={**clean_env, **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
