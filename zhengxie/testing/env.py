"""Loaded with `-p` before pytest-django reads the settings: puts Django in test mode."""

import os

os.environ.setdefault("TESTING", "true")
os.environ.setdefault("TASK_BACKEND", "immediate")
os.environ.setdefault("HTTPS", "false")
