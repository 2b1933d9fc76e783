"""Author-year labels for the bibliography page (a Sphinx extension of this book).

The text cites with sphinxcontrib-bibtex's ``author_year`` reference style, e.g.
[Soudry *et al.*, 2018]. pybtex's default ``alpha`` style would label the same entry ``SHN+18`` on
the bibliography page; the ``author_year`` formatting style registered here labels it
``Soudry et al., 2018`` instead, with the names as the citations write them (last names; two
authors joined by "and"; three or more as the first one "et al."), a letter after the year when
two entries would otherwise share a label, and the entries sorted by label.
Selected in ``_config.yml`` by ``bibtex_default_style: author_year``.
"""
from collections import Counter
from string import ascii_lowercase

import pybtex.plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting import BaseSortingStyle


def _last_name(person):
    """A person's last name ("Ortega Caro", "van der Maaten") as plain text, accents decoded."""
    latex = " ".join(person.prelast_names + person.last_names)
    return Text.from_latex(latex).render_as("text")


def author_year(entry):
    """The label of one entry without disambiguation, e.g. "Min and Vidal, 2024"."""
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_last_name(p) for p in persons]
    if len(names) >= 3:
        who = f"{names[0]} et al."
    else:
        who = " and ".join(names) or entry.key
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels "First et al., 2018"; equal labels get 2018a, 2018b in the sorted order."""

    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        labels = [author_year(e) for e in entries]
        count, seen = Counter(labels), Counter()
        for label in labels:
            if count[label] > 1:
                seen[label] += 1
                label += ascii_lowercase[seen[label] - 1]
            yield label


class AuthorYearSortingStyle(BaseSortingStyle):
    """Entries in the alphabetical order of their labels, then by title."""

    def sorting_key(self, entry):
        title = Text.from_latex(entry.fields.get("title", "")).render_as("text")
        return author_year(entry).lower(), title.lower()


class AuthorYearStyle(UnsrtStyle):
    """pybtex's ``unsrt`` entry formatting with author-year labels, sorted by label."""

    default_label_style = AuthorYearLabelStyle
    default_sorting_style = AuthorYearSortingStyle


pybtex.plugin.register_plugin("pybtex.style.formatting", "author_year", AuthorYearStyle)


def setup(app):
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
