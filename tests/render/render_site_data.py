"""A small two-article site with hand-written catalogs, for the render tests.

Catalog states per locale (coverage = messages + the article's domain):

* ``de`` — everything reviewed (both articles);
* ``ar`` — ``calm-mornings`` reviewed; ``calm-evenings`` has no catalog (0 %: not published);
* ``pt_BR`` — mostly reviewed: one paragraph missing, one heading stale, one UI string
  missing (still above the 50 % threshold, so published with fallbacks and notices);
* ``es`` — only the title translated (far below the threshold: published nowhere);
* ``fr`` — no catalogs at all;
* ``en_XA`` — pseudo-translations marked as machine suggestions (built under the machine
  policy, never advertised).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import polib
from babel.messages.extract import extract_from_dir

from pubflow.ingest.canonical import write_article
from pubflow.locales import plural_forms_header
from pubflow.model import Article, FaqEntry, RelatedArticle, Tip

LONG_GERMAN_WORD = "Morgenroutineneinführungsunterstützungsprogrammteilnehmerinnen"

MORNINGS = Article(
    slug="calm-mornings",
    lang="en",
    title="Calm Mornings: 3 Tips",
    summary="Three small habits that make mornings calmer and the rest of the day easier.",
    date=dt.date(2026, 11, 25),
    intro=(
        "Mornings set the tone for the whole day.",
        "These three tips help you start slowly and stay focused.",
    ),
    tips=(
        Tip(
            "Prepare the Evening Before",
            (
                "Lay out your clothes and pack your bag before you go to bed.",
                "A short list of tomorrow's three priorities clears your head.",
            ),
        ),
        Tip(
            "Wake Up Without Your Phone",
            ("Keep the phone in another room and use a simple alarm clock.",),
        ),
        Tip(
            "Move for Five Minutes",
            ("Stretch, walk or dance for five minutes to wake up body and mind.",),
        ),
    ),
    faq=(
        FaqEntry("How long until a routine feels natural?", ("Most people need two to three weeks.",)),
        FaqEntry(
            "What if I miss a day?",
            ("Start again the next morning; one missed day changes nothing.",),
        ),
    ),
    conclusion=("Small steps, repeated daily, make calm mornings a habit.",),
    related=(
        RelatedArticle("Calm Evenings", "calm-evenings"),
        RelatedArticle("Sleeping Better in Summer", "sleeping-better-in-summer"),
        RelatedArticle("Five Minutes of Quiet", "five-minutes-of-quiet"),
    ),
)

EVENINGS = Article(
    slug="calm-evenings",
    lang="en",
    title="Calm Evenings",
    summary="How to end the day without screens and sleep better.",
    date=dt.date(2026, 10, 1),
    intro=("Evenings are for slowing down.",),
    tips=(Tip("Dim the Lights", ("Soft light tells your body that the day is ending.",)),),
)

ARTICLES = (MORNINGS, EVENINGS)

DE_ARTICLE = {
    "Calm Mornings: 3 Tips": "Ruhige Morgen: 3 Tipps",
    "Three small habits that make mornings calmer and the rest of the day easier.": (
        "Drei kleine Gewohnheiten, die Morgen ruhiger und den restlichen Tag leichter machen."
    ),
    "Mornings set the tone for the whole day.": "Der Morgen gibt den Ton für den ganzen Tag an.",
    "These three tips help you start slowly and stay focused.": (
        "Diese drei Tipps helfen Ihnen, langsam zu beginnen und konzentriert zu bleiben."
    ),
    "Prepare the Evening Before": "Am Vorabend vorbereiten",
    "Lay out your clothes and pack your bag before you go to bed.": (
        "Legen Sie Ihre Kleidung bereit und packen Sie Ihre Tasche, bevor Sie schlafen gehen."
    ),
    "A short list of tomorrow's three priorities clears your head.": (
        "Eine kurze Liste der drei wichtigsten Aufgaben von morgen macht den Kopf frei."
    ),
    "Wake Up Without Your Phone": "Ohne Handy aufwachen",
    "Keep the phone in another room and use a simple alarm clock.": (
        "Lassen Sie das Handy in einem anderen Zimmer und nutzen Sie einen einfachen Wecker."
    ),
    "Move for Five Minutes": "Fünf Minuten Bewegung",
    "Stretch, walk or dance for five minutes to wake up body and mind.": (
        "Dehnen, gehen oder tanzen Sie fünf Minuten lang – ein Tipp für alle "
        f"{LONG_GERMAN_WORD}, um Körper und Geist zu wecken."
    ),
    "How long until a routine feels natural?": "Wie lange dauert es, bis sich eine Routine natürlich anfühlt?",
    "Most people need two to three weeks.": "Die meisten Menschen brauchen zwei bis drei Wochen.",
    "What if I miss a day?": "Was ist, wenn ich einen Tag auslasse?",
    "Start again the next morning; one missed day changes nothing.": (
        "Fangen Sie am nächsten Morgen wieder an; ein verpasster Tag ändert nichts."
    ),
    "Small steps, repeated daily, make calm mornings a habit.": (
        "Kleine Schritte, täglich wiederholt, machen ruhige Morgen zur Gewohnheit."
    ),
    "Calm Evenings": "Ruhige Abende",
    "Sleeping Better in Summer": "Besser schlafen im Sommer",
    "Five Minutes of Quiet": "Fünf Minuten Ruhe",
}

DE_EVENINGS = {
    "Calm Evenings": "Ruhige Abende",
    "How to end the day without screens and sleep better.": (
        "Wie Sie den Tag ohne Bildschirme beenden und besser schlafen."
    ),
    "Evenings are for slowing down.": "Abende sind zum Entschleunigen da.",
    "Dim the Lights": "Das Licht dimmen",
    "Soft light tells your body that the day is ending.": (
        "Sanftes Licht sagt Ihrem Körper, dass der Tag zu Ende geht."
    ),
}

AR_ARTICLE = {
    "Calm Mornings: 3 Tips": "صباحات هادئة: 3 نصائح",
    "Three small habits that make mornings calmer and the rest of the day easier.": (
        "ثلاث عادات صغيرة تجعل الصباح أهدأ وبقية اليوم أسهل."
    ),
    "Mornings set the tone for the whole day.": "الصباح يحدد إيقاع اليوم كله.",
    "These three tips help you start slowly and stay focused.": (
        "تساعدك هذه النصائح الثلاث على البدء بهدوء والبقاء مركزًا."
    ),
    "Prepare the Evening Before": "استعد في الليلة السابقة",
    "Lay out your clothes and pack your bag before you go to bed.": (
        "جهّز ملابسك ورتّب حقيبتك قبل أن تذهب إلى النوم."
    ),
    "A short list of tomorrow's three priorities clears your head.": (
        "قائمة قصيرة بأولويات الغد الثلاث تصفّي ذهنك."
    ),
    "Wake Up Without Your Phone": "استيقظ بدون هاتفك",
    "Keep the phone in another room and use a simple alarm clock.": (
        "اترك الهاتف في غرفة أخرى واستخدم منبهًا بسيطًا."
    ),
    "Move for Five Minutes": "تحرّك لمدة خمس دقائق",
    "Stretch, walk or dance for five minutes to wake up body and mind.": (
        "تمدّد أو امشِ أو ارقص لمدة خمس دقائق لتوقظ جسمك وعقلك."
    ),
    "How long until a routine feels natural?": "كم من الوقت حتى يصبح الروتين طبيعيًا؟",
    "Most people need two to three weeks.": "يحتاج معظم الناس من أسبوعين إلى ثلاثة أسابيع.",
    "What if I miss a day?": "ماذا لو فاتني يوم؟",
    "Start again the next morning; one missed day changes nothing.": (
        "ابدأ من جديد في الصباح التالي؛ يوم واحد فائت لا يغيّر شيئًا."
    ),
    "Small steps, repeated daily, make calm mornings a habit.": (
        "خطوات صغيرة تتكرر يوميًا تجعل الصباح الهادئ عادة."
    ),
    "Calm Evenings": "أمسيات هادئة",
    "Sleeping Better in Summer": "نوم أفضل في الصيف",
    "Five Minutes of Quiet": "خمس دقائق من الهدوء",
}

PT_ARTICLE = {
    "Calm Mornings: 3 Tips": "Manhãs tranquilas: 3 dicas",
    "Three small habits that make mornings calmer and the rest of the day easier.": (
        "Três pequenos hábitos que deixam as manhãs mais calmas e o resto do dia mais leve."
    ),
    "Mornings set the tone for the whole day.": "A manhã define o tom do dia inteiro.",
    "These three tips help you start slowly and stay focused.": (
        "Estas três dicas ajudam você a começar devagar e manter o foco."
    ),
    "Prepare the Evening Before": "Prepare-se na noite anterior",
    "Lay out your clothes and pack your bag before you go to bed.": (
        "Separe suas roupas e arrume sua bolsa antes de dormir."
    ),
    "A short list of tomorrow's three priorities clears your head.": (
        "Uma lista curta com as três prioridades de amanhã clareia a mente."
    ),
    "Wake Up Without Your Phone": "Acorde sem o celular",  # written stale (see below)
    "Keep the phone in another room and use a simple alarm clock.": (
        "Deixe o celular em outro cômodo e use um despertador simples."
    ),
    "Move for Five Minutes": "Mexa-se por cinco minutos",
    # "Stretch, walk or dance …" is left untranslated (missing).
    "How long until a routine feels natural?": "Quanto tempo até uma rotina parecer natural?",
    "Most people need two to three weeks.": "A maioria das pessoas precisa de duas a três semanas.",
    "What if I miss a day?": "E se eu perder um dia?",
    "Start again the next morning; one missed day changes nothing.": (
        "Recomece na manhã seguinte; um dia perdido não muda nada."
    ),
    "Small steps, repeated daily, make calm mornings a habit.": (
        "Pequenos passos, repetidos todos os dias, tornam as manhãs tranquilas um hábito."
    ),
    "Calm Evenings": "Noites tranquilas",
    "Sleeping Better in Summer": "Dormir melhor no verão",
    "Five Minutes of Quiet": "Cinco minutos de silêncio",
}
PT_STALE = {"Wake Up Without Your Phone": "Wake Up Without Your Smartphone"}  # msgid → previous
PT_MISSING_PARAGRAPH = "Stretch, walk or dance for five minutes to wake up body and mind."

UI = {
    "de": {
        "Parts of this page have not been translated yet and are shown in %(language)s.": (
            "Teile dieser Seite sind noch nicht übersetzt und werden auf %(language)s angezeigt."
        ),
        "Parts of this page are being updated and are shown in %(language)s until then.": (
            "Teile dieser Seite werden überarbeitet und bis dahin auf %(language)s angezeigt."
        ),
        "Parts of this page were translated automatically and have not been reviewed yet.": (
            "Teile dieser Seite wurden maschinell übersetzt und noch nicht geprüft."
        ),
        "Published on %(date)s": "Veröffentlicht am %(date)s",
        "heading\x04Frequently asked questions": "Häufig gestellte Fragen",
        "heading\x04Conclusion": "Fazit",
        "heading\x04Contents": "Inhalt",
        "Tip %(number)s": "Tipp %(number)s",
        "heading\x04Related articles": "Ähnliche Artikel",
        "Skip to main content": "Zum Hauptinhalt springen",
        "navigation\x04Languages": "Sprachen",
        "link\x04Atom feed": "Atom-Feed",
        "link\x04All languages": "Alle Sprachen",
        "Choose the language you want to read %(site)s in.": (
            "Wählen Sie die Sprache, in der Sie %(site)s lesen möchten."
        ),
        "heading\x04Articles": "Artikel",
        "All articles published on %(site)s.": "Alle auf %(site)s veröffentlichten Artikel.",
    },
    "ar": {
        "Parts of this page have not been translated yet and are shown in %(language)s.": (
            "لم تُترجم بعض أجزاء هذه الصفحة بعد، وهي معروضة باللغة %(language)s."
        ),
        "Parts of this page are being updated and are shown in %(language)s until then.": (
            "يجري تحديث بعض أجزاء هذه الصفحة، وهي معروضة باللغة %(language)s حتى ذلك الحين."
        ),
        "Parts of this page were translated automatically and have not been reviewed yet.": (
            "تُرجمت بعض أجزاء هذه الصفحة آليًا ولم تُراجع بعد."
        ),
        "Published on %(date)s": "نُشر في %(date)s",
        "heading\x04Frequently asked questions": "الأسئلة الشائعة",
        "heading\x04Conclusion": "الخلاصة",
        "heading\x04Contents": "المحتويات",
        "Tip %(number)s": "النصيحة %(number)s",
        "heading\x04Related articles": "مقالات ذات صلة",
        "Skip to main content": "انتقل إلى المحتوى الرئيسي",
        "navigation\x04Languages": "اللغات",
        "link\x04Atom feed": "موجز Atom",
        "link\x04All languages": "كل اللغات",
        "Choose the language you want to read %(site)s in.": "اختر اللغة التي تريد قراءة %(site)s بها.",
        "heading\x04Articles": "المقالات",
        "All articles published on %(site)s.": "كل المقالات المنشورة على %(site)s.",
    },
    "pt_BR": {
        "Parts of this page have not been translated yet and are shown in %(language)s.": (
            "Partes desta página ainda não foram traduzidas e aparecem em %(language)s."
        ),
        "Parts of this page are being updated and are shown in %(language)s until then.": (
            "Partes desta página estão sendo atualizadas e aparecem em %(language)s até lá."
        ),
        "Parts of this page were translated automatically and have not been reviewed yet.": (
            "Partes desta página foram traduzidas automaticamente e ainda não foram revisadas."
        ),
        "Published on %(date)s": "Publicado em %(date)s",
        "heading\x04Frequently asked questions": "Perguntas frequentes",
        # "heading\x04Conclusion" is left untranslated (a missing UI string).
        "heading\x04Contents": "Conteúdo",
        "Tip %(number)s": "Dica %(number)s",
        "heading\x04Related articles": "Artigos relacionados",
        "Skip to main content": "Pular para o conteúdo principal",
        "navigation\x04Languages": "Idiomas",
        "link\x04Atom feed": "Feed Atom",
        "link\x04All languages": "Todos os idiomas",
        "Choose the language you want to read %(site)s in.": "Escolha o idioma em que deseja ler %(site)s.",
        "heading\x04Articles": "Artigos",
        "All articles published on %(site)s.": "Todos os artigos publicados em %(site)s.",
    },
}


def article_msgids(article: Article) -> list[str]:
    """Every translatable string of an article, in page order, without duplicates."""
    found = [article.title, article.summary, *article.intro]
    for tip in article.tips:
        found += [tip.heading, *tip.paragraphs]
    for entry in article.faq:
        found += [entry.question, *entry.answer]
    found += [*article.conclusion, *(r.title for r in article.related)]
    return list(dict.fromkeys(found))


def ui_messages(templates: Path) -> list[tuple[str | None, str]]:
    """(msgctxt, msgid) of every UI string in the site templates, as Babel extracts them."""
    found: dict[tuple[str | None, str], None] = {}
    for _file, _line, message, _comments, context in extract_from_dir(
        str(templates / "site"),
        method_map=[("**.html", "jinja2")],
        # As babel.cfg: trimmed {% trans %} blocks, the extensions the templates may use.
        options_map={"**.html": {"trimmed": "true", "extensions": "jinja2.ext.do,jinja2.ext.loopcontrols"}},
        comment_tags=("Translators:",),
    ):
        msgid = message if isinstance(message, str) else message[0]
        found[(context, msgid)] = None
    return list(found)


def _key(context: str | None, msgid: str) -> str:
    return f"{context}\x04{msgid}" if context else msgid


def _new_catalog(locale: str | None) -> polib.POFile:
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Project-Id-Version": "pubflow tests",
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
    }
    if locale:
        po.metadata["Language"] = locale
        po.metadata["Plural-Forms"] = plural_forms_header(locale)
    return po


def _flags(msgid: str) -> list[str]:
    return ["python-format"] if "%(" in msgid else []


def write_catalog(
    root: Path,
    locale: str | None,
    domain: str,
    messages: list[tuple[str | None, str]],
    translate: Callable[[str | None, str], tuple[str, str]] | None = None,
) -> Path:
    """Write ``<domain>.pot`` (locale None) or a locale's ``.po``.

    ``translate(msgctxt, msgid)`` returns ``(state, msgstr)`` with state ``reviewed``,
    ``machine``, ``stale`` or ``missing``.
    """
    po = _new_catalog(locale)
    for context, msgid in messages:
        entry = polib.POEntry(msgid=msgid, msgctxt=context, msgstr="", flags=_flags(msgid))
        if translate is not None:
            state, text = translate(context, msgid)
            if state != "missing":
                entry.msgstr = text
            if state == "machine":
                entry.flags.append("fuzzy")
                entry.tcomment = "machine-translated: pseudo 2026-11-25"
            elif state == "stale":
                entry.flags.append("fuzzy")
                entry.previous_msgid = PT_STALE.get(msgid, msgid + " (old)")
        po.append(entry)
    if locale is None:
        path = root / "locales" / f"{domain}.pot"
    else:
        path = root / "locales" / locale / "LC_MESSAGES" / f"{domain}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(path))
    return path


def from_mapping(mapping: Mapping[str, str], stale: Mapping[str, str] = {}) -> Callable[[str | None, str], tuple[str, str]]:
    """A translate() that reviews what ``mapping`` has, marks ``stale`` msgids stale."""

    def translate(context: str | None, msgid: str) -> tuple[str, str]:
        text = mapping.get(_key(context, msgid))
        if text is None:
            return "missing", ""
        return ("stale" if msgid in stale else "reviewed"), text

    return translate


_PLACEHOLDER = re.compile(r"(%\([a-z_]+\)s|%%)")


def pseudo(context: str | None, msgid: str) -> tuple[str, str]:
    """A readable pseudo-translation: UPPERCASE in brackets, placeholders kept."""
    parts = _PLACEHOLDER.split(msgid)
    text = "".join(p if _PLACEHOLDER.fullmatch(p) else p.upper() for p in parts)
    return "machine", f"[{text}]"


def build_fixture_site(root: Path) -> None:
    """Write the two articles, the templates' messages.pot and every catalog listed above."""
    for folder in ("content/articles", "locales"):
        target = root / folder
        if target.exists():
            for path in sorted(target.rglob("*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()
    for article in ARTICLES:
        write_article(article, root / "content" / "articles")
    ui = ui_messages(root / "templates")
    write_catalog(root, None, "messages", ui)
    mornings = [(None, m) for m in article_msgids(MORNINGS)]
    evenings = [(None, m) for m in article_msgids(EVENINGS)]
    write_catalog(root, None, MORNINGS.slug, mornings)
    write_catalog(root, None, EVENINGS.slug, evenings)

    for locale in ("de", "ar", "pt_BR"):
        write_catalog(root, locale, "messages", ui, from_mapping(UI[locale]))
    write_catalog(root, "de", MORNINGS.slug, mornings, from_mapping(DE_ARTICLE))
    write_catalog(root, "de", EVENINGS.slug, evenings, from_mapping(DE_EVENINGS))
    write_catalog(root, "ar", MORNINGS.slug, mornings, from_mapping(AR_ARTICLE))
    write_catalog(root, "pt_BR", MORNINGS.slug, mornings, from_mapping(PT_ARTICLE, PT_STALE))
    write_catalog(root, "pt_BR", EVENINGS.slug, evenings, from_mapping(PT_ARTICLE))
    write_catalog(root, "es", MORNINGS.slug, mornings, from_mapping({"Calm Mornings: 3 Tips": "Mañanas tranquilas: 3 consejos"}))
    for domain, messages in (("messages", ui), (MORNINGS.slug, mornings), (EVENINGS.slug, evenings)):
        write_catalog(root, "en_XA", domain, messages, pseudo)
