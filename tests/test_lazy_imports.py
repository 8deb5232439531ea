"""A build with nothing to render never loads the template engine or the readers.

The stages' modules import Jinja2, lxml and the newsletter tracer only where they render or
parse: a no-op rebuild spends its time checking state, not importing (figure 3 of `make bench`).
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "jinja2",
    "lxml.etree",
    "lxml.html",
    "babel.dates",
    "rapidfuzz",
    "pubflow.render.environment",
    # Only a catalog write locks; only a changed article needs YAML; only a newsletter that
    # renders builds content and emails.
    "filelock",
    "yaml",
    "email.policy",
    "pubflow.newsletter.content",
    "pubflow.newsletter.export",
    "pubflow.newsletter.mjml_check",
    "pubflow.newsletter.plaintext",
)


def test_stage_modules_import_without_the_template_engine() -> None:
    code = (
        "import sys\n"
        "import pubflow.ingest, pubflow.render.site, pubflow.newsletter.build, pubflow.i18n.sync\n"
        f"print(sorted(name for name in {HEAVY!r} if name in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_flow_modules_import_without_the_translation_clients() -> None:
    # Only a pre-fill talks to a translation service; a flow process should not pay for the
    # clients' imports (deep-translator, requests) up front.
    code = (
        "import sys\n"
        "import flows.publish, flows.catalogs, flows.site, flows.newsletter, flows.ingest\n"
        "print(sorted(name for name in ('pubflow.i18n.machine.prefill', 'pubflow.i18n.machine.client',"
        " 'deep_translator') if name in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
