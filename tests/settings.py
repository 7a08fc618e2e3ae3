"""The site's settings for the test suite, with a SECRET_KEY of the session's own.

The site refuses to start without a real key while DEBUG is off, as the tests run it.
pytest-django imports the settings before any conftest, so the key is set here, in the
environment, where every `manage.py` and gunicorn subprocess the tests start inherits it
(a key already in the environment, as CI may set, wins)."""

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

from bookstore_site.settings import *  # noqa: F403

# The site's embedded default, SQLite, as a second database: the tests of SQLite's own search
# (FTS5) run there, migrated like the MariaDB one, and only tests that ask for it create it.
DATABASES["sqlite"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}  # noqa: F405
