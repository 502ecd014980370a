"""The WSGI module gunicorn loads (config/wsgi.py)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

PROBE = """
import gc, json, sys
import config.wsgi
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "views_loaded": "projects.views" in sys.modules and "regions.views" in sys.modules,
}))
"""


def test_a_worker_freezes_what_it_loaded_views_included_so_full_collections_skip_it(subprocess_env):
    # A full garbage collection walked all of it, pausing a worker for about 100 ms (config/wsgi.py).
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=subprocess_env, capture_output=True, text=True, check=True
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded["views_loaded"]
    assert loaded["frozen"] > 50_000
