"""The data shipped with the code, by path: the one home of these paths (no Django needed to import)."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
# About 340 real papers (Hugging Face Daily Papers captures): the demo, the dev set and the benchmark read it.
SAMPLE_CORPUS = DATA_DIR / "sample_papers.jsonl"
# Graded subscriber profiles over the sample corpus (digest.ranking.evaluation).
DEVSET = DATA_DIR / "devset.json"
# Readers written and graded by someone who never saw ranking output, each measured once
# (HELDOUT.md, HELDOUT2.md, HELDOUT3.md): the first was measured in round three and is now development
# data, the second was measured at the end of round three; the third is frozen for round four.
HELDOUT = DATA_DIR / "heldout.json"
HELDOUT2 = DATA_DIR / "heldout2.json"
HELDOUT3 = DATA_DIR / "heldout3.json"
# Relative paths inside the dev set are taken from here.
PROJECT_ROOT = DATA_DIR.parent.parent
