"""Tables as the book's pages show them: whole (no pandas ellipsis), one header row, the index as
the first column under its name, missing values as "-".

Used by: Fourier-bias and learning-dynamics chapters (their accuracy, ratio and theory tables).
"""
from __future__ import annotations

from html import escape

import pandas as pd

#: Inline style of a book table: full width, wrapping cells, small text.
STYLE = "width:100%;table-layout:auto;font-size:0.85em;border-collapse:collapse"


def frame_html(df: pd.DataFrame, decimals: int | None = None) -> str:
    """``df`` as one HTML table: the index levels become the first columns, headed by their
    names (a nameless index gets no header), so pandas' second header row for the index name
    does not appear; every row and column is shown. Cells are escaped; NaN reads "-"; with
    ``decimals``, every float cell has that many decimals (so a column reads evenly).
    A ``df`` that is not a DataFrame is a TypeError naming its type."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"a {type(df).__name__} is not accepted; give a pandas DataFrame")
    names = [n if n is not None else "" for n in df.index.names]
    head = "".join(f"<th>{escape(str(n))}</th>" for n in names + list(df.columns))
    rows = []
    for idx, vals in zip(df.index, df.itertuples(index=False)):
        idx = idx if isinstance(idx, tuple) else (idx,)
        cells = [f"<th>{escape(str(i))}</th>" for i in idx]
        cells += [f"<td>{_cell(v, decimals)}</td>" for v in vals]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="table" style="{STYLE}"><thead><tr>{head}</tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


def _cell(v, decimals: int | None) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "-"
    if decimals is not None and isinstance(v, float):
        return f"{v:.{decimals}f}"
    return escape(str(v))


def show(df: pd.DataFrame, decimals: int | None = None) -> None:
    """Display ``df`` in the notebook as :func:`frame_html` renders it."""
    from IPython.display import HTML, display

    display(HTML(frame_html(df, decimals)))
