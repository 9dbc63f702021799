"""Print nDCG@10, P@5 and R@20 per method on a graded set of readers, by split and by writing style.

    python manage.py evaluate_ranking [--set PATH] [--split NAME|all] [--per-profile] [--fit-calibration]
                                      [--feedback-rounds N] [--digest-size N]

Any set file in the dev set's format works (digest/data/devset.json by default).
Works from the set's JSONL corpus, embedded in memory: no database needed.
Judgments and seeds may name papers by corpus id or by exact title.
"""

import numpy as np

from digest.data import DEVSET
from digest.management.cli import QuietCommand
from digest.ranking import evaluation

# Texts embedded per call while a bar is shown: small enough for the bar to move.
EMBED_STEP = 256


class Command(QuietCommand):
    help = "Evaluate ranking methods (bm25, cosine, rrf, ours) on a graded set of readers."

    def add_arguments(self, parser):
        parser.add_argument("--set", "--devset", dest="devset", default=str(DEVSET), help="a set file (JSON)")
        parser.add_argument(
            "--split", default="all", help="only profiles of this split (tune, holdout, ...); default all"
        )
        parser.add_argument("--per-profile", action="store_true", help="also print nDCG@10 per profile")
        parser.add_argument(
            "--fit-calibration",
            action="store_true",
            help="also fit ranking.CALIBRATION_CENTER/SCALE on the chosen split and print them",
        )
        parser.add_argument(
            "--feedback-rounds",
            type=int,
            default=0,
            help="also simulate N days of 'more/less like this' clicks against a twin who never clicks",
        )
        parser.add_argument("--digest-size", type=int, default=5, help="papers per simulated digest")

    def handle(
        self, *args, devset, split, per_profile, fit_calibration, feedback_rounds, digest_size, **options
    ):
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
        for label, group in evaluation.groups(chosen):
            ids = {p.id for p in group}
            self.stdout.write(f"\n{label} ({len(group)} profiles)")
            self.stdout.write(
                evaluation.format_table(evaluation.summarise([r for r in results if r.profile in ids]))
            )
        if per_profile:
            self.stdout.write("")
            for profile in chosen:
                cells = " ".join(f"{r.method}={r.ndcg10:.2f}" for r in results if r.profile == profile.id)
                self.stdout.write(f"{profile.id:<8} {cells}")
        if feedback_rounds:
            self.step(
                f"Simulating {feedback_rounds} days of clicks for {len(chosen)} profiles and their twins..."
            )
            self.stdout.write(
                f"\nfeedback: {feedback_rounds} days of {digest_size}-paper digests, each day ranking the whole "
                "corpus minus the papers already sent (the sample corpus is one day of papers)"
            )
            simulated = evaluation.simulate_feedback(
                chosen, corpus, embed=embed_texts, rounds=feedback_rounds, digest_size=digest_size
            )
            for label, group in [("all", chosen), *evaluation.groups(chosen, by=("split",))]:
                ids = {p.id for p in group}
                self.stdout.write(f"\n{label} ({len(group)} profiles)")
                self.stdout.write(evaluation.format_feedback([r for r in simulated if r.profile in ids]))
        if fit_calibration:
            self.step("Fitting the calibration...")
            center, scale = evaluation.calibration_fit(chosen, corpus, embed=embed_texts)
            self.stdout.write(
                f"calibration fitted on {split}: CALIBRATION_CENTER = {center:.3f}, CALIBRATION_SCALE = {scale:.3f}"
            )
