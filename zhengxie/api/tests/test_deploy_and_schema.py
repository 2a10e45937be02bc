import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_check_deploy_is_clean_with_production_settings():
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "TESTING",
            "HTTPS",
            "TASK_BACKEND",
            "DATABASE_URL",
            "SECRET_KEY",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env["SECRET_KEY"] = "prod-" + "x9K#" * 15
    env["ALLOWED_HOSTS"] = "zx.example.gov.cn"
    env["SQLITE_PATH"] = "/tmp/zx-deploy-check.sqlite3"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_settings_refuse_to_start_without_secret_key_in_production():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "TESTING", "SECRET_KEY"}}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_settings_refuse_a_malformed_boolean():
    env = {**os.environ, "DEBUG": "maybe"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "DEBUG must be a boolean" in result.stderr


@pytest.mark.django_db
def test_openapi_schema_lists_the_operations(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "政协履职平台 API"
    assert set(schema["paths"]) >= {
        "/api/v1/accounts/me",
        "/api/v1/org/members",
        "/api/v1/org/members/{member_id}",
        "/api/v1/org/committees/{committee_id}/stats",
    }


@pytest.mark.django_db
def test_pages_carry_a_csp_without_inline_scripts(client, world):
    client.force_login(world.office)
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.content.decode()


@pytest.mark.django_db
def test_error_pages_are_chinese(client, world, settings):
    settings.DEBUG = False
    client.force_login(world.office)
    response = client.get("/org/members/999999/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
    big = "username=" + "x" * (6 * 1024 * 1024)
    response = client.post("/accounts/login/", data=big, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "请求无效" in response.content.decode()
