"""Print nDCG@10, P@5 and R@20 per method on the graded dev set.

    python manage.py evaluate_ranking [--devset PATH] [--split tune|holdout|all] [--per-profile] [--fit-calibration]

Works from the dev set's JSONL corpus, embedded in memory: no database needed.
Judgments and seeds may name papers by corpus id or by exact title.
"""

from django.core.management.base import BaseCommand

from digest.data import DEVSET
from digest.ranking import evaluation


class Command(BaseCommand):
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
        corpus = evaluation.load_corpus(corpus_path, embed=embed_texts)
        for profile in chosen:
            _, unknown = corpus.judgments(profile)
            if unknown:
                self.stderr.write(
                    f"{profile.id}: {len(unknown)} judged papers are not in the corpus, ignored: {unknown[:3]}"
                )
        results = evaluation.evaluate(chosen, corpus, embed=embed_texts)
        self.stdout.write(f"{devset} split={split}: {len(chosen)} profiles, {len(corpus.paper_ids)} papers")
        self.stdout.write(evaluation.format_table(evaluation.summarise(results)))
        if per_profile:
            for profile in chosen:
                cells = " ".join(f"{r.method}={r.ndcg10:.2f}" for r in results if r.profile == profile.id)
                self.stdout.write(f"{profile.id:<8} {cells}")
        if fit_calibration:
            center, scale = evaluation.calibration_fit(chosen, corpus, embed=embed_texts)
            self.stdout.write(
                f"calibration fitted on {split}: CALIBRATION_CENTER = {center:.3f}, CALIBRATION_SCALE = {scale:.3f}"
            )
