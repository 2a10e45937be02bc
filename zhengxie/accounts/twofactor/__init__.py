"""Second factor (TOTP, RFC 6238) for the office, administrator and auditor roles.

A password alone never logs such a user in: the login page keeps a short-lived "pending" marker in the
session and `login()` runs only after a code from the user's authenticator (or a one-time recovery code).
"""
