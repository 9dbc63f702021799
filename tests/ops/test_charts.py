from ops.charts import Series, bar_chart, line_chart, stacked_bar_chart


def test_it_draws_one_bar_per_nonzero_value_with_a_tooltip():
    chart = bar_chart("Scores", [("0.1", 3), ("0.2", 0), ("0.3", 5)], series_name="papers")

    assert chart.svg.count("<rect") == 2
    assert "<title>0.3: papers 5</title>" in chart.svg
    assert chart.rows == [("0.1", [3]), ("0.2", [0]), ("0.3", [5])]


def test_it_stacks_series_and_lists_them_in_the_accessible_title():
    chart = stacked_bar_chart("Digests", ["a", "b"], [Series("sent", [1, 2]), Series("failed", [1, 0])])

    assert chart.svg.count("<rect") == 3
    assert 'role="img"' in chart.svg
    assert "Digests (sent, failed)" in chart.svg


def test_it_escapes_labels_and_titles():
    chart = line_chart("<b>x</b>", ["<i>"], [Series("s&p", [1])])

    assert "<b>" not in chart.svg and "<i>" not in chart.svg
    assert "&lt;b&gt;x&lt;/b&gt;" in chart.svg and "s&amp;p" in chart.svg


def test_it_knows_a_chart_of_zeros_is_empty():
    assert line_chart("t", ["a", "b"], [Series("s", [0, 0])]).is_empty
    assert not line_chart("t", ["a"], [Series("s", [2])]).is_empty


def test_it_puts_gridlines_on_round_steps():
    chart = bar_chart("t", [("a", 8)])

    assert [f">{tick}</text>" in chart.svg for tick in (0, 2, 4, 6, 8)] == [True] * 5
    assert ">2.5</text>" not in chart.svg
