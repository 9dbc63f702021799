"""ONNX Runtime (fp32 and dynamic int8) against the torch backend: speed and nDCG@10.

The bundled all-MiniLM-L6-v2 is exported locally (torch.onnx, no network) to
var/bench-cache/onnx/, quantised with onnxruntime's dynamic int8, and run with
the model's own tokenizer, mean pooling and L2 normalisation, which is what
sentence-transformers' backend="onnx" does (that path needs `optimum`, whose
pins would downgrade transformers in the shared environment).

onnxruntime and onnx are not runtime requirements: install them beside the
project with `pip install --no-deps --target var/bench-site -r requirements-bench.txt`.
Adopt a backend only if it is >= 1.5x faster and loses <= 0.005 nDCG@10 (all split).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "var" / "bench-site"
OUT = ROOT / "var" / "bench-cache" / "onnx"
MIN_SPEEDUP = 1.5
MAX_NDCG_LOSS = 0.005


def _export(model) -> tuple[Path, Path]:
    import torch

    OUT.mkdir(parents=True, exist_ok=True)
    fp32, int8 = OUT / "model.onnx", OUT / "model-int8.onnx"
    if not fp32.exists():
        auto_model = model[0].auto_model.eval()

        class Encoder(
            torch.nn.Module
        ):  # keyword arguments: BertModel.forward's positional order varies by version
            def __init__(self):
                super().__init__()
                self.inner = auto_model

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.inner(
                    input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
                ).last_hidden_state

        transformer = Encoder().eval()
        batch = model.tokenizer(
            ["a sample sentence", "another one, longer"], padding=True, return_tensors="pt"
        )
        with torch.no_grad():
            torch.onnx.export(
                transformer,
                (batch["input_ids"], batch["attention_mask"], batch["token_type_ids"]),
                str(fp32),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"],
                dynamic_axes={
                    name: {0: "batch", 1: "tokens"}
                    for name in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")
                },
                opset_version=17,
                dynamo=False,
            )
    if not int8.exists():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    return fp32, int8


def _embedder(path: Path, model, threads: int, batch_size: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    tokenizer, max_len = model.tokenizer, model.max_seq_length

    def embed(texts: list[str]) -> np.ndarray:
        out = []
        for i in range(0, len(texts), batch_size):
            batch = tokenizer(
                texts[i : i + batch_size],
                padding=True,
                truncation=True,
                max_length=max_len,
                return_tensors="np",
            )
            feeds = {k: batch[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
            hidden = session.run(None, feeds)[0]
            mask = feeds["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
            out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
        return np.vstack(out).astype(np.float32) if out else np.zeros((0, 384), np.float32)

    return embed


def _ndcg(embed) -> float:
    from digest.ranking import evaluation

    profiles, corpus_path = evaluation.load_devset()
    corpus = evaluation.load_corpus(corpus_path, embed=embed)
    rows = evaluation.summarise(evaluation.evaluate(profiles, corpus, embed=embed))
    return next(r["ndcg10"] for r in rows if r["method"] == "ours")


def compare(texts: list[str], *, threads: int) -> dict:
    if SITE.exists() and str(SITE) not in sys.path:
        sys.path.append(str(SITE))
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return {
            "skipped": "onnxruntime not importable (pip install --no-deps --target var/bench-site -r requirements-bench.txt)"
        }
    from django.conf import settings

    from digest.embedding import embed_texts, load_model, model_name

    model = load_model(model_name())
    fp32, int8 = _export(model)
    backends = {"torch": embed_texts}
    backends["onnx-fp32"] = _embedder(fp32, model, threads, settings.EMBEDDING_BATCH_SIZE)
    backends["onnx-int8"] = _embedder(int8, model, threads, settings.EMBEDDING_BATCH_SIZE)
    for embed in backends.values():
        embed(texts[:16])  # warm-up
    best = dict.fromkeys(backends, float("inf"))
    for _ in range(2):
        for name, embed in backends.items():
            t = time.perf_counter()
            embed(texts)
            best[name] = min(best[name], time.perf_counter() - t)
    reference = backends["torch"](texts)
    base_ndcg = _ndcg(backends["torch"])
    out = {"torch_papers_per_s": len(texts) / best["torch"], "torch_ndcg10": base_ndcg, "backends": {}}
    print(f"  torch: {len(texts) / best['torch']:.1f} papers/s, nDCG@10 {base_ndcg:.3f}", flush=True)
    for name in ("onnx-fp32", "onnx-int8"):
        ndcg = _ndcg(backends[name])
        cosine = float(np.mean(np.sum(backends[name](texts[:64]) * reference[:64], axis=1)))
        speedup = best["torch"] / best[name]
        adopt = speedup >= MIN_SPEEDUP and base_ndcg - ndcg <= MAX_NDCG_LOSS
        row = {
            "papers_per_s": len(texts) / best[name],
            "speedup": speedup,
            "ndcg10": ndcg,
            "ndcg_delta": ndcg - base_ndcg,
            "mean_cosine_to_torch": cosine,
            "verdict": "adopt" if adopt else "keep torch",
        }
        out["backends"][name] = row
        print(
            f"  {name}: {row['papers_per_s']:.1f} papers/s ({speedup:.2f}x torch), nDCG@10 {ndcg:.3f} "
            f"({row['ndcg_delta']:+.3f}), cosine to torch vectors {cosine:.4f} -> {row['verdict']}",
            flush=True,
        )
    return out
