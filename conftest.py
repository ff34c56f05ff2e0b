"""Test-session settings, applied before any notebook kernel starts (kernels inherit them).

Notebooks run in fast mode with verdicts checked against their records, and every test run trains its models afresh in a private
checkpoint folder instead of reusing a reader's cached checkpoints.
"""

import os
import tempfile

os.environ.setdefault("EQLIB_FAST", "1")
os.environ["EQLIB_STRICT_VERDICTS"] = "1"  # a claim whose verdict differs from its record fails the run
os.environ["EQLIB_CACHE"] = tempfile.mkdtemp(prefix="eqlib-test-cache-")
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_sessionfinish(session, exitstatus):
    """Remove the session's private checkpoint folder."""
    import shutil

    shutil.rmtree(os.environ["EQLIB_CACHE"], ignore_errors=True)
