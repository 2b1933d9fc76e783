import numpy as np
import pandas as pd
import pytest

from ibbook import tables


def test_frame_html_one_header_row_index_as_columns_and_dashes_for_nan():
    df = pd.DataFrame({"a": [1.5, np.nan], "b": ["x<y", "z"]},
                      index=pd.MultiIndex.from_tuples([("FC", 0), ("conv", 1)], names=["net", "seed"]))
    html = tables.frame_html(df)
    assert html.count("<tr>") == 3  # one header row, two body rows
    assert "<th>net</th><th>seed</th><th>a</th><th>b</th>" in html
    assert "<th>conv</th><th>1</th><td>-</td><td>z</td>" in html
    assert "x&lt;y" in html
    assert "<td>1.500</td>" in tables.frame_html(df, decimals=3)


def test_frame_html_names_a_wrong_type():
    with pytest.raises(TypeError, match="Series"):
        tables.frame_html(pd.Series([1, 2]))
