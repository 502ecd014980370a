import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def _ensure_admin(capsys, monkeypatch, **env) -> str:
    for name in ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD", "DJANGO_SUPERUSER_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    call_command("ensure_admin")
    return capsys.readouterr().out


def test_a_missing_admin_is_created_with_a_generated_password_printed_once(capsys, monkeypatch):
    first = _ensure_admin(capsys, monkeypatch)
    password = first.split("generated password: ")[1].split()[0]
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.check_password(password)

    second = _ensure_admin(capsys, monkeypatch)
    assert password not in second
    assert "unchanged" in second
    admin.refresh_from_db()
    assert admin.check_password(password)


def test_the_admin_password_comes_from_the_environment_when_set(capsys, monkeypatch):
    out = _ensure_admin(capsys, monkeypatch, DJANGO_SUPERUSER_USERNAME="chief", DJANGO_SUPERUSER_PASSWORD="s3cret-Pass")
    assert "s3cret-Pass" not in out
    assert get_user_model().objects.get(username="chief").check_password("s3cret-Pass")

    _ensure_admin(capsys, monkeypatch, DJANGO_SUPERUSER_USERNAME="chief", DJANGO_SUPERUSER_PASSWORD="another-Pass")
    assert get_user_model().objects.get(username="chief").check_password("another-Pass")
    assert get_user_model().objects.count() == 1
