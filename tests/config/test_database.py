import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from database.config import database_config
from database.devdb import socket_url


def test_a_tcp_url_gives_host_port_credentials_and_options():
    config = database_config("postgres://tracker:p%40ss%3Aword@db.example.org:6543/tracker?sslmode=require")
    assert config["ENGINE"] == "database.postgresql"  # Django's, with reads bound on the server
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.example.org", 6543, "tracker")
    assert (config["USER"], config["PASSWORD"]) == ("tracker", "p@ss:word")
    assert config["OPTIONS"]["sslmode"] == "require"


def test_the_postgresql_scheme_is_accepted_too():
    assert database_config("postgresql://u@localhost/app")["NAME"] == "app"


def test_a_socket_url_keeps_the_socket_directory_with_its_case():
    config = database_config(socket_url("/Work/Repo/.data/postgres"))
    assert config["OPTIONS"]["host"] == "/Work/Repo/.data/postgres"
    assert config["NAME"] == "tracker"


def test_persistent_connections_turn_on_health_checks():
    assert database_config("postgres://u@h/db", conn_max_age=60)["CONN_HEALTH_CHECKS"] is True
    assert database_config("postgres://u@h/db")["CONN_HEALTH_CHECKS"] is False


def test_tests_run_on_a_test_database_named_after_the_real_one():
    assert database_config("postgres://u@h/tracker")["TEST"]["NAME"] == "test_tracker"


@pytest.mark.parametrize("url", ["sqlite:///db.sqlite3", "mysql://root@localhost/tracker", "tracker"])
def test_anything_but_postgresql_is_refused(url):
    with pytest.raises(ImproperlyConfigured, match="postgres://"):
        database_config(url)


def test_a_url_without_a_database_name_is_refused():
    with pytest.raises(ImproperlyConfigured, match="name a database"):
        database_config("postgres://u@localhost:5432/")


@pytest.mark.django_db
def test_the_suite_talks_to_a_real_postgresql_test_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_setting('server_version_num')::int, 2 + 2")
        name, version, four = cursor.fetchone()
    assert connection.vendor == "postgresql"
    assert name.startswith("test_")
    assert version >= 140000
    assert four == 4
