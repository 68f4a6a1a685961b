"""Word-level differences, as shown in the conflict view."""

from grid_app.grid.diff import DiffPart, word_diff


def test_unchanged_words_stay_between_changed_ones():
    assert word_diff("The quick brown fox", "The slow brown fox") == [
        DiffPart("equal", "The "),
        DiffPart("delete", "quick "),
        DiffPart("insert", "slow "),
        DiffPart("equal", "brown fox"),
    ]


def test_a_wholly_different_text_is_one_deletion_and_one_insertion():
    assert word_diff("Curriculum piloted in two hubs.", "Youth workers trained.") == [
        DiffPart("delete", "Curriculum piloted in two hubs."),
        DiffPart("insert", "Youth workers trained."),
    ]


def test_from_empty_everything_is_inserted():
    assert word_diff("", "new text") == [DiffPart("insert", "new text")]


def test_joining_the_parts_gives_back_both_texts():
    old, new = "one two\nthree four", "one 2\nthree four five"
    parts = word_diff(old, new)
    assert "".join(p.text for p in parts if p.op != "insert") == old
    assert "".join(p.text for p in parts if p.op != "delete") == new
