from __future__ import annotations

from pathlib import Path

import pytest
from ingest_seed import SEED_SUMMARY, SEED_TITLE, assert_seed_structure

from pubflow.errors import IngestError
from pubflow.ingest.html import parse_html

WHERE = Path("content/sources/achieving-relief-with-ketamine-therapy.html")

# The seed as a blog would serve it (paragraphs shortened), with the page chrome around it.
SEED_PAGE = f"""<!DOCTYPE html>
<html lang="en-US">
<head>
  <meta charset="windows-1252">
  <title>{SEED_TITLE} – Some Blog</title>
  <meta name="description" content="{SEED_SUMMARY}">
  <script>var tracking = "<p>not text</p>";</script>
  <style>p {{ color: red }}</style>
</head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/about/">About</a></li></ul></nav>
<main>
<article>
  <header><h1>Achieving Relief With Ketamine Therapy: 3 Tips</h1>
    <p class="byline">By the team, November 2026</p></header>
  <p>Navigating the world of ketamine therapy can feel like deciphering a complex puzzle.</p>
  <p>We've learned the importance of grasping ketamine's unique mechanism.</p>
  <p>These insights not only demystify the process but also empower individuals.</p>
  <p>What we've uncovered about enhancing outcomes may surprise you.</p>
  <p>Let's explore how these three tips can significantly alter the healing journey.</p>
  <figure><img src="/hero.jpg" alt="A calm room"><figcaption>Photo credit</figcaption></figure>
  <h2>Understanding Ketamine's Mechanism</h2>
  <p>Before diving into ketamine therapy, it's crucial to grasp how the drug works.</p>
  <p>This action facilitates a surge in the production of glutamate.</p>
  <p>What's fascinating about ketamine is its ability to create these effects rapidly.</p>
  <p>Understanding this mechanism is the first step.</p>
  <h2>Preparing for Your Therapy Session</h2>
  <p>As you embark on the journey of ketamine therapy, prepare properly.</p>
  <p>Firstly, we'll ensure we're well-informed about what to expect.</p>
  <p>Next, we'll focus on creating a comfortable environment for the session.</p>
  <p>Lastly, we'll communicate openly with our healthcare provider.</p>
  <h2>Enhancing Long-Term Outcomes</h2>
  <p>To ensure ketamine therapy provides lasting benefits, adopt good strategies.</p>
  <p>We also can't overlook the importance of continued mental health support.</p>
  <h2>Frequently Asked Questions</h2>
  <h3>How Does Ketamine Therapy Compare in Effectiveness and Safety to Traditional Antidepressants?</h3>
  <p>We're curious about how ketamine therapy stacks up.</p>
  <p>However, it's not without its risks and side effects.</p>
  <h3>Can Ketamine Therapy Be Used in Conjunction With Other Mental Health Treatments, Such as
      Psychotherapy or Medication?</h3>
  <p>Yes, we can use ketamine therapy alongside other mental health treatments.</p>
  <h3>Are There Specific Mental or Physical Health Conditions That Disqualify Someone From Receiving Ketamine Therapy?</h3>
  <p>We're curious about who can't receive ketamine therapy.</p>
  <p>For instance, if you've got severe heart issues or uncontrolled blood pressure,
     ketamine mightn't be safe.</p>
  <p>It's crucial to consult with a professional.</p>
  <h3>What Are the Legal Considerations and Regulations Surrounding the Use of Ketamine Therapy in Different Countries or States?</h3>
  <p>We're exploring the legal considerations.</p>
  <p>It's crucial to understand that the legality can vastly differ.</p>
  <p>We're diving into these distinctions.</p>
  <h3>How Does One's Diet or Lifestyle Choices Affect the Efficacy of Ketamine Therapy, if at All?</h3>
  <p>We've been digging into how our diet or lifestyle choices might impact treatments.</p>
  <p>While there's no one-size-fits-all answer, a balanced diet may help.</p>
  <p>Factors like nutrition, exercise, and stress management appear to play a role.</p>
  <p>In conclusion, we've explored the path to relief through ketamine therapy.</p>
  <p>It's clear that with the right approach and mindset, ketamine therapy can help.</p>
  <p>Together, we can navigate this process.</p>
</article>
<aside class="related-posts">
  <h2>Related Articles</h2>
  <ul>
    <li><a href="https://blog.example.org/why-use-ketamine-for-forgiveness-in-trauma-recovery/">Why Use Ketamine for Forgiveness in Trauma Recovery?</a></li>
    <li><a href="/maximizing-trauma-integration-with-ketamine-therapy-5-tips/">Maximizing Trauma Integration With Ketamine Therapy: 5 Tips</a></li>
    <li><a href="/utilizing-ketamine-infusion-for-intergenerational-trauma-healing/">Utilizing Ketamine Infusion for Intergenerational Trauma Healing</a></li>
    <li><a href="/5-best-strategies-for-self-awareness-in-trauma-healing-with-ketamine/">5 Best Strategies for Self-Awareness in Trauma Healing With Ketamine</a></li>
    <li><a href="/what-role-does-ketamine-play-in-trauma-processing/">What Role Does Ketamine Play in Trauma Processing?</a></li>
    <li><a href="/5-tips-for-empowering-trauma-healing-with-ketamine/">5 Tips for Empowering Trauma Healing With Ketamine</a></li>
    <li><a href="/why-consider-ketamine-infusion-therapy-for-trauma-release/">Why Consider Ketamine Infusion Therapy for Trauma Release?</a></li>
    <li><a href="/10-best-strategies-for-emotional-regulation-with-ketamine/">10 Best Strategies for Emotional Regulation With Ketamine</a></li>
    <li><a href="/unlocking-trauma-recovery-with-ketamine-therapy/">Unlocking Trauma Recovery With Ketamine Therapy</a></li>
    <li><a href="/enhancing-trauma-recovery-with-ketamine-a-guide/">Enhancing Trauma Recovery With Ketamine: a Guide</a></li>
  </ul>
</aside>
</main>
<footer><p>© Some Blog</p></footer>
</body>
</html>
"""


def test_seed_page_reads_like_the_seed_text() -> None:
    article = parse_html(SEED_PAGE, WHERE)
    assert_seed_structure(article)
    assert article.summary == SEED_SUMMARY
    assert article.slug == "achieving-relief-with-ketamine-therapy"
    # Page chrome, scripts, bylines and captions are not article text.
    texts = [*article.intro, *(p for t in article.tips for p in t.paragraphs), *article.conclusion]
    assert not any(word in " ".join(texts) for word in ("Home", "byline", "By the team", "©", "Photo credit", "tracking"))
    # Source line breaks inside an element are just spaces.
    assert article.faq[1].question.endswith("Such as Psychotherapy or Medication?")
    assert article.faq[2].answer[1] == (
        "For instance, if you've got severe heart issues or uncontrolled blood pressure, "
        "ketamine mightn't be safe."
    )


def test_summary_falls_back_to_first_paragraph_and_images_resolve() -> None:
    page = """<html><head><link rel="canonical" href="https://blog.example.org/posts/a-post/">
    </head><body><h1>A Post</h1><p>First  paragraph,<br>with a\u00a0break.</p>
    <h2>A Tip</h2><ul><li>Point one.</li><li>Point <em>two</em>.</li></ul>
    <h2>Conclusion</h2><p>Done.</p>
    <div class="related"><div class="card"><a href="/posts/other.html"><img src="/img/o.jpg"></a>
      <a href="/posts/other.html">Other Post</a></div>
      <div class="card"><a href="https://x.example/blog/third-one/?utm=1">Third One</a></div></div>
    </body></html>"""
    article = parse_html(page, Path("saved/index.html"))
    assert article.slug == "a-post"  # "index" is no slug: the title gives it
    assert article.summary == "First paragraph, with a\u00a0break."
    assert article.tips[0].paragraphs == ("Point one.", "Point two.")
    assert article.conclusion == ("Done.",)
    assert [(r.title, r.slug) for r in article.related] == [
        ("Other Post", "other"),
        ("Third One", "third-one"),
    ]
    # The first card's image sits in an image-only link to the same page; relative URLs are
    # resolved against the page's canonical address.
    assert article.related[0].image == "https://blog.example.org/img/o.jpg"
    assert article.related[1].image is None


def test_related_list_items_with_images() -> None:
    page = """<body><article><h1>T</h1><p>Intro.</p><h2>Tip</h2><p>Text.</p></article>
    <section><h3>You May Also Like</h3><ul>
    <li><a href="/a/"><img data-src="https://cdn.example/a.webp" src="data:image/gif;base64,R0"></a>
        <a href="/a/">A Title</a></li>
    <li><a href="/b/">B Title</a></li></ul></section></body>"""
    article = parse_html(page, Path("t.html"))
    assert [(r.title, r.slug, r.image) for r in article.related] == [
        ("A Title", "a", "https://cdn.example/a.webp"),
        ("B Title", "b", None),
    ]


@pytest.mark.parametrize(
    "faq",
    [
        "<h2>FAQ</h2><dl><dt>Is It Safe?</dt><dd>Mostly.</dd><dt>Does It Last?</dt><dd>Yes.</dd></dl>",
        "<h2>FAQs</h2><details><summary>Is It Safe?</summary><p>Mostly.</p></details>"
        "<details><summary>Does It Last?</summary><p>Yes.</p></details>",
        "<h2>Frequently Asked Questions</h2><p><strong>Is It Safe?</strong></p><p>Mostly.</p>"
        "<p>Does It Last?</p><p>Yes.</p>",
    ],
)
def test_faq_shapes(faq: str) -> None:
    page = f"<body><h1>T</h1><h2>A Tip</h2><p>Text.</p>{faq}</body>"
    article = parse_html(page, Path("t.html"))
    assert [(f.question, f.answer) for f in article.faq] == [
        ("Is It Safe?", ("Mostly.",)),
        ("Does It Last?", ("Yes.",)),
    ]
    assert article.related == ()


@pytest.mark.parametrize(
    ("page", "needle", "line"),
    [
        ("<p>just text</p>", "no title", 1),
        ("<body>\n<h1>T</h1>\n</body>", "no body", 2),
        ("<body>\n<h1>T</h1>\n<p>Only intro.</p>\n</body>", "no tips", 3),
        ("<body>\n<h1>Two Tips</h1>\n<h2>One</h2>\n<p>x</p>\n</body>", "announces 2 tips but the body holds 1", 2),
        ("<body>\n<h1>T</h1>\n<h2>Empty Tip</h2>\n<h2>Next</h2><p>x</p></body>", "no text", 3),
        ("<!-- only a comment -->", "HTML", 1),
    ],
)
def test_bad_pages(page: str, needle: str, line: int) -> None:
    with pytest.raises(IngestError) as caught:
        parse_html(page, Path("t.html"))
    assert needle in str(caught.value)
    assert caught.value.line == line


def test_an_image_no_base_resolves_is_left_out() -> None:
    # No canonical address, no <base>: "/img/o.jpg" would be a broken image on every page.
    page = """<html><head><meta property="og:image" content="hero.jpg"></head><body><article>
    <h1>A Post</h1><p>Intro.</p><h2>Tip</h2><p>Text.</p>
    <h2>Related Articles</h2><ul><li><a href="/posts/other.html"><img src="/img/o.jpg">Other Post</a></li></ul>
    </article></body></html>"""
    article = parse_html(page, WHERE)
    assert article.image is None
    assert [(r.slug, r.image) for r in article.related] == [("other", None)]


def test_related_links_to_the_post_itself_or_twice_are_kept_once() -> None:
    page = """<html><head><link rel="canonical" href="https://blog.example.org/posts/a-post/">
    </head><body><article><h1>A Post</h1><p>Intro.</p><h2>Tip</h2><p>Text.</p>
    <h2>Related Articles</h2><ul>
    <li><a href="/posts/a-post/">A Post</a></li>
    <li><a href="/posts/other/">Other Post</a></li>
    <li><a href="/posts/other/">Other Post (again)</a></li>
    </ul></article></body></html>"""
    article = parse_html(page, Path("content/sources/a-post.html"))
    assert [(r.slug, r.title) for r in article.related] == [("other", "Other Post")]


def test_hidden_text_script_links_and_encoded_slugs() -> None:
    page = """<html><body><article><h1>A Post</h1><p>Intro.<span style="color:red; display: none">HIDDEN SPAM</span></p>
    <h2>First Tip <span hidden>MORE SPAM</span></h2><p>Text.</p><p aria-hidden="true">Screen only.</p>
    <h2>Related Articles</h2><ul>
    <li><a href="javascript:alert(9)">Click Me</a></li>
    <li><a href="mailto:x@example.org">Write To Us</a></li>
    <li><a href="/blog/Some%20Other%20Post/">Some Other Post</a></li>
    </ul></article></body></html>"""
    article = parse_html(page, WHERE)
    assert article.intro == ("Intro.",)
    assert article.tips[0].heading == "First Tip" and article.tips[0].paragraphs == ("Text.",)
    assert [(r.title, r.slug) for r in article.related] == [("Some Other Post", "some-other-post")]
