"""Logging in through the login page as a person would, the second step included.

Office, administrator and auditor accounts are asked for a TOTP code after the password: at their first
login they enrol (the secret is read off the page, as a person would type it into an authenticator);
later the code is computed from the secret the database holds, the demo's published one included.
"""

from __future__ import annotations

import time

import pyotp

from zhengxie.accounts.backends import resolve_login
from zhengxie.accounts.twofactor.models import SecondFactor
from zhengxie.testing.factories import DEFAULT_PASSWORD


def login(page, base, username, password=DEFAULT_PASSWORD, path="/accounts/login/"):
    page.goto(f"{base}{path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    pass_second_factor(page, username)


def pass_second_factor(page, username):
    if "/accounts/otp/setup/" in page.url:
        secret = page.inner_text("#otp-secret").replace(" ", "")
        _enter(page, pyotp.TOTP(secret).now())
        # The recovery codes are shown once after enrolment; carry on to where the login was going.
        with page.expect_navigation():
            page.click("#otp-continue")
    elif "/accounts/otp/" in page.url:
        factor = SecondFactor.objects.get(user=resolve_login(username))
        _enter(page, unused_code(factor))


def unused_code(factor):
    """A code is good once: after a login in the same 30 s, take the next step's (accepted early)."""
    totp = pyotp.TOTP(factor.secret)
    step = max(int(time.time()) // 30, factor.last_step + 1)
    while step > int(time.time()) // 30 + 1:
        time.sleep(1)
    return totp.at(step * 30)


def _enter(page, code):
    page.fill("#id_code", code)
    with page.expect_navigation():
        page.click("form button[type=submit]")
