from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sources"


def read_fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
