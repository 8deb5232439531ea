"""What every reader must find in the seed article (and in inline sources equivalent to it)."""

from __future__ import annotations

from pathlib import Path

from pubflow.model import Article

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "content" / "sources" / "achieving-relief-with-ketamine-therapy.txt"

SEED_TITLE = "Achieving Relief With Ketamine Therapy: 3 Tips"
SEED_SUMMARY = (
    "Navigating the world of ketamine therapy can feel like deciphering a complex puzzle, but "
    "we've found that understanding a few key pieces can make all the difference. We've learned "
    "the importance of grasping ketamine's unique mechanism, preparing mentally and physically "
    "for sessions, and implementing strategies to sustain long-term benefits. These insights not "
    "only demystify the process but…"
)
# (heading, number of paragraphs)
SEED_TIPS = [
    ("Understanding Ketamine's Mechanism", 4),
    ("Preparing for Your Therapy Session", 4),
    ("Enhancing Long-Term Outcomes", 2),
]
# (question, number of answer paragraphs)
SEED_FAQ = [
    ("How Does Ketamine Therapy Compare in Effectiveness and Safety to Traditional Antidepressants?", 2),
    (
        "Can Ketamine Therapy Be Used in Conjunction With Other Mental Health Treatments, Such as "
        "Psychotherapy or Medication?",
        1,
    ),
    (
        "Are There Specific Mental or Physical Health Conditions That Disqualify Someone From "
        "Receiving Ketamine Therapy?",
        3,
    ),
    (
        "What Are the Legal Considerations and Regulations Surrounding the Use of Ketamine Therapy "
        "in Different Countries or States?",
        3,
    ),
    ("How Does One's Diet or Lifestyle Choices Affect the Efficacy of Ketamine Therapy, if at All?", 3),
]
SEED_RELATED = [
    "Why Use Ketamine for Forgiveness in Trauma Recovery?",
    "Maximizing Trauma Integration With Ketamine Therapy: 5 Tips",
    "Utilizing Ketamine Infusion for Intergenerational Trauma Healing",
    "5 Best Strategies for Self-Awareness in Trauma Healing With Ketamine",
    "What Role Does Ketamine Play in Trauma Processing?",
    "5 Tips for Empowering Trauma Healing With Ketamine",
    "Why Consider Ketamine Infusion Therapy for Trauma Release?",
    "10 Best Strategies for Emotional Regulation With Ketamine",
    "Unlocking Trauma Recovery With Ketamine Therapy",
    "Enhancing Trauma Recovery With Ketamine: a Guide",
]


def assert_seed_structure(article: Article) -> None:
    """The structure every reader must find in the seed (or a source equivalent to it)."""
    assert article.title == SEED_TITLE
    assert [(t.heading, len(t.paragraphs)) for t in article.tips] == SEED_TIPS
    assert [(f.question, len(f.answer)) for f in article.faq] == SEED_FAQ
    assert len(article.intro) == 5
    assert len(article.conclusion) == 3
    assert article.conclusion[0].startswith("In conclusion")
    assert [r.title for r in article.related] == SEED_RELATED
    assert all(r.image is None for r in article.related)
    assert article.related[1].slug == "maximizing-trauma-integration-with-ketamine-therapy-5-tips"
    assert article.related[9].slug == "enhancing-trauma-recovery-with-ketamine-a-guide"
    assert "ketamine mightn't be safe" in article.faq[2].answer[1]
