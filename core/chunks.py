"""Splitting id lists into the chunks that tasks carry."""


def chunked(ids: list[int], size: int) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]
