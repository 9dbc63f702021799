"""Print nDCG@10, P@5 and R@20 per method on the graded dev set.

    python manage.py evaluate_ranking [--devset PATH] [--split tune|holdout|all] [--per-profile] [--fit-calibration]

Works from the dev set's JSONL corpus, embedded in memory: no database needed.
Judgments and seeds may name papers by corpus id or by exact title.
"""

import numpy as np

from digest.data import DEVSET
from digest.management.cli import QuietCommand
from digest.ranking import evaluation

# Texts embedded per call while a bar is shown: small enough for the bar to move.
EMBED_STEP = 256


class Command(QuietCommand):
    help = "Evaluate ranking methods (bm25, cosine, rrf, ours) on a graded dev set."

    def add_arguments(self, parser):
        parser.add_argument("--devset", default=str(DEVSET))
        parser.add_argument("--split", choices=["tune", "holdout", "all"], default="all")
        parser.add_argument("--per-profile", action="store_true", help="also print nDCG@10 per profile")
        parser.add_argument(
            "--fit-calibration",
            action="store_true",
            help="also fit ranking.CALIBRATION_CENTER/SCALE on the chosen split and print them",
        )

    def handle(self, *args, devset, split, per_profile, fit_calibration, **options):
        from digest.embedding import embed_texts

        profiles, corpus_path = evaluation.load_devset(devset)
        chosen = [p for p in profiles if split == "all" or p.split == split]

        def embed_corpus(texts: list[str]) -> np.ndarray:
            self.step(f"Embedding the {len(texts)} papers of {corpus_path}...")
            with self.progress_bar(total=len(texts), desc="Embedding", unit="paper") as bar:
                parts = []
                for start in range(0, len(texts), EMBED_STEP):
                    parts.append(embed_texts(texts[start : start + EMBED_STEP]))
                    bar.update(len(parts[-1]))
            return np.vstack(parts) if parts else embed_texts([])

        corpus = evaluation.load_corpus(corpus_path, embed=embed_corpus)
        for profile in chosen:
            _, unknown = corpus.judgments(profile)
            if unknown:
                self.stderr.write(
                    f"{profile.id}: {len(unknown)} judged papers are not in the corpus, ignored: {unknown[:3]}"
                )
        self.step(f"Ranking the corpus for {len(chosen)} profiles with each method...")
        results = evaluation.evaluate(chosen, corpus, embed=embed_texts)
        self.stdout.write(f"{devset} split={split}: {len(chosen)} profiles, {len(corpus.paper_ids)} papers")
        self.stdout.write(evaluation.format_table(evaluation.summarise(results)))
        if per_profile:
            for profile in chosen:
                cells = " ".join(f"{r.method}={r.ndcg10:.2f}" for r in results if r.profile == profile.id)
                self.stdout.write(f"{profile.id:<8} {cells}")
        if fit_calibration:
            self.step("Fitting the calibration...")
            center, scale = evaluation.calibration_fit(chosen, corpus, embed=embed_texts)
            self.stdout.write(
                f"calibration fitted on {split}: CALIBRATION_CENTER = {center:.3f}, CALIBRATION_SCALE = {scale:.3f}"
            )
