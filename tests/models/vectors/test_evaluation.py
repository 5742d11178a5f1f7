import math

import numpy as np
import pytest

from models.core.events import Progress
from models.errors import UnknownWordError, UserError
from models.vectors.evaluation import (DEFAULT_ANALOGIES, DEFAULT_PAIRS, EPSILON, BenchmarkFileError, analogy,
                               evaluate_analogies, evaluate_analogies_steps, evaluate_word_pairs,
                               read_analogy_questions, read_word_pairs)
from models.vectors.store import WordVectors


def _royals() -> WordVectors:
    """Axes: male, female, royal. woman - man + king lands exactly on queen."""
    rows = {"man": [1, 0, 0], "woman": [0, 1, 0], "king": [1, 0, 1], "queen": [0, 1, 1],
            "apple": [-1, -1, 0.2], "car": [0.2, -0.5, -1], "prince": [0.9, 0.1, 0.8]}
    return WordVectors(list(rows), np.array(list(rows.values()), dtype=np.float32))


def _cos(u, v) -> float:
    return float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))


def _cosmul_by_hand(v: WordVectors, a, b, c, x) -> float:
    s = {w: (_cos(v.vector(x), v.vector(w)) + 1) / 2 for w in (a, b, c)}
    return s[b] * s[c] / (s[a] + EPSILON)


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_the_parallelogram_answer_wins_under_both_methods(method):
    v = _royals()
    answers = analogy(v, "man", "woman", "king", k=3, method=method)
    assert answers[0][0] == "queen"
    assert not {"man", "woman", "king"} & {w for w, _ in answers}
    scores = [s for _, s in answers]
    assert scores == sorted(scores, reverse=True)
    if method == "3cosadd":
        target = v.vector("woman") / np.sqrt(1) - v.vector("man") + v.vector("king") / np.sqrt(2)
        for word, score in answers:
            assert score == pytest.approx(_cos(v.vector(word), target), abs=1e-5)
    else:
        for word, score in answers:
            assert score == pytest.approx(_cosmul_by_hand(v, "man", "woman", "king", word), rel=1e-5)


def test_input_words_are_never_answers_and_unknown_words_are_named():
    v = _royals()
    assert "king" not in [w for w, _ in analogy(v, "man", "man", "king", k=10)]
    assert len(analogy(v, "man", "man", "king", k=10)) == len(v) - 2
    with pytest.raises(UnknownWordError, match="'duke' is not in the vocabulary"):
        analogy(v, "man", "duke", "king")
    with pytest.raises(UserError, match="Unknown analogy method"):
        analogy(v, "man", "woman", "king", method="3cosdiv")


def _questions(tmp_path, text: str):
    path = tmp_path / "q.txt"
    path.write_text(text)
    return path


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_section_accuracy_coverage_and_failures_on_a_tiny_questions_file(tmp_path, method):
    path = _questions(tmp_path, ": royalty\nman woman king queen\nwoman man queen king\nman woman apple queen\n"
                                ": gram-unknown\nman woman duke duchess\n")
    report = evaluate_analogies(_royals(), path, method=method)
    royalty, unknown = report.sections
    wrong = analogy(_royals(), "man", "woman", "apple", k=1, method=method)[0][0]
    assert (royalty.name, royalty.answered, royalty.skipped) == ("royalty", 3, 0)
    assert royalty.correct == 2 + (wrong == "queen") and royalty.accuracy == royalty.correct / 3
    assert royalty.failures == (() if wrong == "queen" else (("man", "woman", "apple", "queen", wrong),))
    assert (unknown.answered, unknown.skipped) == (0, 1) and math.isnan(unknown.accuracy)
    assert report.coverage == 3 / 4 and report.accuracy == royalty.accuracy
    d = report.to_dict(failures=True)
    assert d["sections"]["gram-unknown"]["accuracy"] is None and d["syntactic_accuracy"] is None


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_batched_answers_match_one_question_at_a_time(tmp_path, method):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    v = WordVectors(words, rng.normal(size=(40, 6)))
    quads = rng.choice(40, size=(60, 4), replace=True)
    quads = [q for q in quads if len(set(q[:3])) == 3]
    path = _questions(tmp_path, ": all\n" + "".join(" ".join(words[i] for i in q) + "\n" for q in quads))
    report = evaluate_analogies(v, path, method=method)
    expected = sum(analogy(v, *(words[i] for i in q[:3]), k=1, method=method)[0][0] == words[q[3]] for q in quads)
    assert report.correct == expected and report.answered == len(quads)
    got = {(a, b, c): g for a, b, c, _, g in report.sections[0].failures}
    for a, b, c in list(got)[:10]:
        assert analogy(v, a, b, c, k=1, method=method)[0][0] == got[(a, b, c)]


def test_restricting_the_vocabulary_skips_questions_with_rare_words_and_reports_progress(tmp_path):
    v = _royals()
    path = _questions(tmp_path, ": r\nman woman king queen\nman woman prince queen\n")
    gen, events = evaluate_analogies_steps(v, path, restrict=6), []
    while True:
        try:
            events.append(next(gen))
        except StopIteration as stop:
            report = stop.value
            break
    assert report.answered == 1 and report.skipped == 1
    assert all(isinstance(e, Progress) and e.unit == "questions" for e in events) and events[-1].step == 1


def test_questions_match_the_vocabulary_case_insensitively_by_default(tmp_path):
    path = _questions(tmp_path, ": r\nMan Woman King Queen\n")
    assert evaluate_analogies(_royals(), path).correct == 1
    assert evaluate_analogies(_royals(), path, case_insensitive=False).skipped == 1


def test_a_malformed_questions_file_names_its_line(tmp_path):
    with pytest.raises(BenchmarkFileError, match=r"q.txt, line 3: 3 words, expected 4"):
        read_analogy_questions(_questions(tmp_path, ": s\na b c d\na b c\n"))
    with pytest.raises(BenchmarkFileError, match="no analogy questions"):
        read_analogy_questions(_questions(tmp_path, ": s\n\n"))
    with pytest.raises(BenchmarkFileError, match="file not found"):
        read_analogy_questions(tmp_path / "nope.txt")


def test_spearman_is_one_for_human_scores_in_cosine_order_and_counts_coverage(tmp_path):
    v = _royals()
    pairs = [("man", "king"), ("prince", "king"), ("king", "queen"), ("apple", "car"), ("man", "car")]
    ranked = sorted(pairs, key=lambda p: v.similarity(*p))
    lines = ["Word 1,Word 2,Human (mean)"] + [f"{a},{b},{i + 1}.5" for i, (a, b) in enumerate(ranked)]
    (tmp_path / "p.csv").write_text("\n".join(lines + ["man,duke,3.0"]) + "\n")
    score = evaluate_word_pairs(v, tmp_path / "p.csv")
    assert score.spearman == pytest.approx(1.0) and (score.pairs, score.used) == (6, 5)
    assert score.coverage == 5 / 6 and score.missing == (("man", "duke"),)
    reversed_lines = ["# comment", *[f"{a}\t{b}\t{-i}" for i, (a, b) in enumerate(ranked)]]
    (tmp_path / "r.tsv").write_text("\n".join(reversed_lines) + "\n")
    assert evaluate_word_pairs(v, tmp_path / "r.tsv").spearman == pytest.approx(-1.0)


def test_pair_files_pick_the_score_column_by_header_and_report_bad_lines(tmp_path):
    (tmp_path / "s.txt").write_text("word1\tword2\tPOS\tSimLex999\tconc(w1)\nold\tnew\tA\t1.58\t2.72\n")
    assert read_word_pairs(tmp_path / "s.txt") == [("old", "new", 1.58)]
    (tmp_path / "b.txt").write_text("a\tb\t1\nc\td\tmuch\n")
    with pytest.raises(BenchmarkFileError, match=r"b.txt, line 2: the score 'much' is not a number"):
        read_word_pairs(tmp_path / "b.txt")
    score = evaluate_word_pairs(_royals(), tmp_path / "s.txt")
    assert math.isnan(score.spearman) and score.to_dict()["spearman"] is None


def test_the_bundled_benchmarks_parse_completely():
    sections = read_analogy_questions(DEFAULT_ANALOGIES)
    assert len(sections) == 14 and sum(len(q) for _, q in sections) == 19544
    assert [len(read_word_pairs(p)) for p in DEFAULT_PAIRS] == [353, 999]
