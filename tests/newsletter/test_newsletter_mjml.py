"""Our MJML validation (mjml-python has none) and the compile step's error handling."""

from __future__ import annotations

from pathlib import Path

import jinja2
import mjml
import pytest

from newsletter_data import ISSUE
from pubflow.config import load_settings
from pubflow.errors import RenderError
from pubflow.newsletter import render_newsletter
from pubflow.newsletter.mjml_check import check_mjml, compile_mjml
from pubflow.newsletter.trace import trace_render

VALID = """\
<mjml lang="de" dir="ltr">
  <mj-head>
    <mj-title>Betreff</mj-title>
    <mj-preview>Vorschau &amp; mehr</mj-preview>
    <mj-attributes>
      <mj-all font-family="Arial" />
      <mj-text color="#111111" />
      <mj-class name="muted" color="#666666" />
    </mj-attributes>
    <mj-style>a { color: #1d5c57; }</mj-style>
  </mj-head>
  <mj-body width="600px">
    <mj-section>
      <mj-column>
        <mj-text mj-class="muted">Hallo <b>Welt</b><br>&nbsp;und mehr</mj-text>
        <mj-image src="https://example.org/a.png" alt="Bild" />
        <mj-button href="https://example.org/">Los</mj-button>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
"""


def messages(text: str) -> list[tuple[int, str]]:
    return [(problem.line, problem.message) for problem in check_mjml(text)]


def test_valid_mjml_passes_and_compiles() -> None:
    assert messages(VALID) == []
    html = compile_mjml(VALID, template="t.mjml", locale="de")
    assert '<html lang="de" dir="ltr"' in html
    assert "fonts.googleapis.com" not in html  # no web font is fetched when the email opens


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("<mj-text mj-class", "<mj-txt mj-class", 15, "unknown MJML tag <mj-txt>"),
        ('<mj-button href', '<mj-button colour="red" href', 17, "unknown attribute 'colour' on <mj-button>"),
        ("Los</mj-button>", "Los</mj-text>", 17, "</mj-text> closes <mj-button>"),
        ("<mj-column>", "<mj-column><mj-section></mj-section>", 14, "<mj-section> cannot be inside <mj-column>"),
        ("<mj-section>", "<mj-section>stray words", 13, "'stray words' directly inside <mj-section>"),
        ("Hallo <b>Welt</b>", "Hallo <b>Welt</i>", 15, "</i> in <mj-text> does not match"),
        ("Hallo", "<mj-button>Hallo</mj-button>", 15, "<mj-button> inside <mj-text>"),
        ('<mj-image src="https://example.org/a.png" alt="Bild" />', "<div>html</div>", 16, "HTML <div>"),
    ],
)
def test_problems_are_reported_with_their_line(old: str, new: str, line: int, words: str) -> None:
    assert old in VALID
    found = messages(VALID.replace(old, new, 1))
    assert any(found_line == line and words in message for found_line, message in found), found


def test_unclosed_tags_are_reported() -> None:
    found = messages(VALID.replace("  </mj-body>\n</mjml>\n", ""))
    assert any("<mj-body> opened on line 12 is never closed" in message for _, message in found)


def test_mjml_python_would_have_accepted_all_of_these_silently() -> None:
    # The reason the checker exists: the renderer drops or ignores what it does not know.
    for broken in (
        VALID.replace("<mj-text mj-class", "<mj-txt mj-class").replace("</mj-text>", "</mj-txt>"),
        VALID.replace("<mj-button href", '<mj-button colour="red" href'),
        VALID.replace("Los</mj-button>", "Los</mj-text>"),
    ):
        assert mjml.mjml2html(broken)
        assert check_mjml(broken)


def test_a_bare_value_error_becomes_a_render_error_naming_template_and_locale() -> None:
    with pytest.raises(RenderError) as caught:
        compile_mjml("<mjml><mj-body><mj-section>", template=Path("templates/newsletter/email.mjml"), locale="ar")
    error = caught.value
    assert error.path == Path("templates/newsletter/email.mjml")
    assert "(ar)" in error.message and "does not compile" in error.message
    assert error.hint


def test_trace_maps_output_back_to_template_lines(tmp_path: Path) -> None:
    (tmp_path / "base.mjml").write_text(
        "<mjml>\n  <mj-body>\n{% block body %}{% endblock %}\n{% include 'part.mjml' %}\n  </mj-body>\n</mjml>\n"
    )
    (tmp_path / "part.mjml").write_text(
        "    <mj-section>\n{% for x in items %}\n      <mj-column>\n        <mj-txt>{{ x }}</mj-txt>\n"
        "      </mj-column>\n{% endfor %}\n    </mj-section>\n"
    )
    (tmp_path / "child.mjml").write_text(
        "{% extends 'base.mjml' %}\n{% block body %}\n    <mj-section>\n      <mj-column>\n"
        '        <mj-text colour="red">{{ name }}</mj-text>\n      </mj-column>\n    </mj-section>\n{% endblock %}\n'
    )
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(tmp_path)), trim_blocks=True, lstrip_blocks=True)
    trace = trace_render(env, "child.mjml", {"name": "N", "items": [1, 2]})
    found = {(trace.locate(p.offset)[0], trace.locate(p.offset)[2], p.message) for p in check_mjml(trace.output)}  # type: ignore[index]
    assert ("child.mjml", 5, "unknown attribute 'colour' on <mj-text>") in found
    assert ("part.mjml", 4, "unknown MJML tag <mj-txt>") in found


def test_a_bad_template_fails_every_locale_naming_template_and_line(newsletter_project: Path) -> None:
    template = newsletter_project / "templates" / "newsletter" / "email.mjml"
    lines = template.read_text("utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, start=1) if "<mj-button href" in line)
    lines[number - 1] = lines[number - 1].replace("<mj-button href", '<mj-button colour="red" href')
    template.write_text("".join(lines), "utf-8")

    report = render_newsletter(load_settings(newsletter_project), ISSUE, ["en", "ar"])
    assert [r.status for r in report.locales] == ["failed", "failed"]
    for result in report.locales:
        (finding,) = result.errors
        assert finding.check == "mjml"
        assert finding.path == Path("templates/newsletter/email.mjml")
        assert finding.line == number
        assert "colour" in finding.message and f"locale {result.locale}" in finding.message
        assert result.files == []
    assert not (newsletter_project / "dist" / "newsletter" / ISSUE / "en").exists()


def test_a_crash_of_mjml_python_fails_the_locale_with_a_clear_message(
    newsletter_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(text: str, **options: object) -> str:
        raise ValueError("unexpected end of stream in root template")

    monkeypatch.setattr(mjml, "mjml2html", broken)
    report = render_newsletter(load_settings(newsletter_project), ISSUE, ["de"])
    (result,) = report.locales
    assert result.status == "failed"
    assert isinstance(result.error, RenderError)
    assert "email.mjml (de) does not compile: unexpected end of stream" in result.describe_failure()
