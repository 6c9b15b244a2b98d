"""The Nu HTML Checker finds no error in the built sample site."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import ROOT, Site

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def test_sample_site_has_no_html_errors(sample: Site):
    if not VNU.exists() or not shutil.which("java"):
        pytest.fail("the HTML checker needs node_modules/vnu-jar and java: run `make test`, which installs both")
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--skip-non-html", str(sample.out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.strip() == ""
