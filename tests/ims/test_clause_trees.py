"""The shipped clause trees hold every published clause number, at every level."""

import pytest

from ims.models import Clause

ISO_9001_2015 = """
4 4.1 4.2 4.3 4.4 4.4.1 4.4.2
5 5.1 5.1.1 5.1.2 5.2 5.2.1 5.2.2 5.3
6 6.1 6.1.1 6.1.2 6.2 6.2.1 6.2.2 6.3
7 7.1 7.1.1 7.1.2 7.1.3 7.1.4 7.1.5 7.1.5.1 7.1.5.2 7.1.6 7.2 7.3 7.4
7.5 7.5.1 7.5.2 7.5.3 7.5.3.1 7.5.3.2
8 8.1 8.2 8.2.1 8.2.2 8.2.3 8.2.4 8.3 8.3.1 8.3.2 8.3.3 8.3.4 8.3.5 8.3.6
8.4 8.4.1 8.4.2 8.4.3 8.5 8.5.1 8.5.2 8.5.3 8.5.4 8.5.5 8.5.6 8.6 8.7 8.7.1 8.7.2
9 9.1 9.1.1 9.1.2 9.1.3 9.2 9.2.1 9.2.2 9.3 9.3.1 9.3.2 9.3.3
10 10.1 10.2 10.2.1 10.2.2 10.3
""".split()  # noqa: SIM905 (one line per clause group reads better)

ISO_21001_2018 = """
4 4.1 4.2 4.3 4.4
5 5.1 5.1.1 5.1.2 5.1.3 5.2 5.2.1 5.2.2 5.3
6 6.1 6.1.1 6.1.2 6.2 6.2.1 6.2.2 6.3
7 7.1 7.1.1 7.1.2 7.1.3 7.1.4 7.1.5 7.1.5.1 7.1.5.2 7.1.6 7.2 7.2.1 7.2.2 7.3
7.4 7.4.1 7.4.2 7.4.3 7.5 7.5.1 7.5.2 7.5.3 7.5.3.1 7.5.3.2
8 8.1 8.1.1 8.1.2 8.1.3 8.2 8.2.1 8.2.2 8.2.3 8.3 8.3.1 8.3.2 8.3.3 8.3.4 8.3.5 8.3.6
8.4 8.4.1 8.4.2 8.4.3 8.5 8.5.1 8.5.2 8.5.3 8.5.4 8.5.5 8.5.6 8.6 8.7 8.7.1 8.7.2
9 9.1 9.1.1 9.1.2 9.1.3 9.1.4 9.1.5 9.2 9.2.1 9.2.2 9.3 9.3.1 9.3.2 9.3.3
10 10.1 10.1.1 10.1.2 10.2 10.3
""".split()  # noqa: SIM905 (one line per clause group reads better)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "expected"),
    [("iso-9001-2015", ISO_9001_2015), ("iso-21001-2018", ISO_21001_2018)],
)
def test_clause_tree_is_complete_and_in_order(code, expected):
    clauses = list(Clause.objects.filter(criteria_set__code=code).select_related("parent"))
    assert [c.number for c in clauses] == expected
    for clause in clauses:
        parent = clause.number.rpartition(".")[0] or None
        assert (clause.parent.number if clause.parent else None) == parent, clause.number
        assert clause.title and clause.title_en, clause.number


@pytest.mark.django_db
def test_third_level_clauses_map_across_the_standards():
    clause = Clause.objects.get(criteria_set__code="iso-9001-2015", number="10.2.1")
    assert [c.number for c in clause.mapped_to.all()] == ["10.1.1"]
