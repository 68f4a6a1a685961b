"""What people type is read the same way for both databases."""

from __future__ import annotations

from grid_app.search.syntax import parse


def test_words_must_all_appear_and_are_quoted_for_sqlite():
    query = parse("Mentoring  Staff")
    assert query.fts5() == '("mentoring" AND "staff")'
    assert query.websearch() == "mentoring staff"


def test_a_quoted_phrase_stays_together():
    query = parse('"black staff" network')
    assert query.fts5() == '("black staff" AND "network")'
    assert query.websearch() == '"black staff" network'


def test_a_minus_sign_leaves_a_word_out():
    query = parse('mentoring -pilot -"old plan"')
    assert query.fts5() == '("mentoring" NOT "pilot" NOT "old plan")'
    assert query.websearch() == 'mentoring -pilot -"old plan"'


def test_or_accepts_either_side():
    query = parse("mentoring or coaching OR buddy")
    assert query.fts5() == '("mentoring") OR ("coaching") OR ("buddy")'
    assert query.websearch() == "mentoring or coaching or buddy"


def test_the_engines_own_operators_are_only_words():
    query = parse("(phrase) AND* NEAR/2 {col}:x")
    # Words joined by punctuation ("NEAR/2") stay together, as a phrase.
    assert query.fts5() == '("phrase" AND "and" AND "near 2" AND "col x")'
    assert query.websearch() == 'phrase and "near 2" "col x"'


def test_an_unclosed_quote_makes_a_phrase_of_the_rest():
    query = parse('staff "black network')
    assert query.fts5() == '("staff" AND "black network")'


def test_only_leaving_out_asks_for_nothing():
    assert parse("-pilot").is_empty
    assert parse("  ").is_empty
    assert parse("or").is_empty


def test_the_word_being_typed_is_a_prefix_with_its_shorter_forms():
    query = parse("black mentorin", typing=True)
    assert query.fts5() == '("black" AND ("mentorin"* OR "mentori"* OR "mentor"* OR "mento"*))'
    assert query.prefix == "mentorin:* | mentori:* | mentor:* | mento:*"
    assert query.websearch() == "black"


def test_a_finished_word_is_not_a_prefix():
    assert parse("mentoring ", typing=True).prefix is None
    assert parse("mentoring").prefix is None
