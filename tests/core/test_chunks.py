from hypothesis import given
from hypothesis import strategies as st

from core.chunks import chunked


def test_it_keeps_the_order_and_leaves_the_remainder_last():
    assert chunked([5, 3, 9, 1, 7], 2) == [[5, 3], [9, 1], [7]]


def test_an_empty_list_makes_no_chunk():
    assert chunked([], 30) == []


@given(ids=st.lists(st.integers()), size=st.integers(min_value=1, max_value=50))
def test_the_chunks_are_the_list_cut_into_pieces_no_larger_than_size(ids, size):
    chunks = chunked(ids, size)

    assert [i for chunk in chunks for i in chunk] == ids
    assert all(1 <= len(chunk) <= size for chunk in chunks)
    assert all(len(chunk) == size for chunk in chunks[:-1])
