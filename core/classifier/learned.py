"""The learned layer: char/word n-gram TF-IDF + multinomial logistic regression, trained
with numpy from the taxonomy phrasings and cues at first use (never from evaluation data),
then cached in memory. No scikit-learn at run time: it would double the process's memory."""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from functools import lru_cache

import numpy as np

from core.classifier.normalise import en_tokens, stem
from core.classifier.taxonomy import CUE_WEIGHTS, LANGS, Taxonomy, load_taxonomy

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_LATIN_WORD = re.compile(r"[a-z][a-z']*")
EPOCHS = 60
LEARNING_RATE = 0.1
L2 = 1e-4


def features(text: str, stop: frozenset[str] = frozenset()) -> list[str]:
    """Chinese char 1–3-grams, English stems and stem bigrams (stop words dropped)."""
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        n = len(run)
        out.extend("c" + run[i] for i in range(n))
        out.extend("c" + run[i : i + 2] for i in range(n - 1))
        out.extend("c" + run[i : i + 3] for i in range(n - 2))
    words = [stem(t) for t in en_tokens(text) if _LATIN_WORD.fullmatch(t)]
    out.extend("w" + w for w in words if w not in stop)
    out.extend("b" + a + "_" + b for a, b in zip(words, words[1:], strict=False))
    return out


def _training_set(taxonomy: Taxonomy) -> tuple[list[str], list[str]]:
    texts = [text for _lang, _cat, text in taxonomy.phrasings]
    labels = [cat for _lang, cat, _text in taxonomy.phrasings]
    # Cues are short documents too: they teach the model the vocabulary of each category.
    for lang in LANGS:
        for cue_text, (cat, weight, _kind) in taxonomy.cue_list[lang]:
            if cat and weight >= CUE_WEIGHTS["keywords"]:
                texts.append(cue_text)
                labels.append(cat)
    return texts, labels


class LearnedLayer:
    """Category probabilities from a cleaned text."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self._stop = taxonomy.stop_words
        texts, labels = _training_set(taxonomy)
        self.classes: list[str] = sorted(set(labels))
        docs = [Counter(features(t, self._stop)) for t in texts]
        keep = [i for i, d in enumerate(docs) if d]
        docs = [docs[i] for i in keep]
        y = np.array([self.classes.index(labels[i]) for i in keep], dtype=np.intp)
        vocab: dict[str, int] = {}
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(doc.keys())
            for f in doc:
                vocab.setdefault(f, len(vocab))
        n = len(docs)
        idf = np.zeros(len(vocab))
        for f, i in vocab.items():
            idf[i] = math.log((1 + n) / (1 + df[f])) + 1.0  # as scikit-learn's smooth idf
        self._vocab, self._idf = vocab, idf
        rows, cols, vals = [], [], []
        for r, doc in enumerate(docs):
            idx = [vocab[f] for f in doc]
            w = np.array([1.0 + math.log(c) for c in doc.values()]) * idf[idx]
            w /= np.linalg.norm(w)
            rows.extend([r] * len(idx))
            cols.extend(idx)
            vals.extend(w.tolist())
        self._coef, self._bias = _train(
            np.array(rows), np.array(cols), np.array(vals), y, len(self.classes), len(vocab)
        )

    def predict(self, text: str) -> dict[str, float]:
        """Probability of each category."""
        counts = Counter(f for f in features(text, self._stop) if f in self._vocab)
        if not counts:
            logits = self._bias
        else:
            idx = np.fromiter((self._vocab[f] for f in counts), dtype=np.intp, count=len(counts))
            tf = np.fromiter(
                (1.0 + math.log(c) for c in counts.values()), dtype=np.float64, count=len(counts)
            )
            weights = tf * self._idf[idx]
            weights /= np.sqrt(weights @ weights)
            logits = weights @ self._coef[idx] + self._bias
        exp = np.exp(logits - logits.max())
        probs = exp / exp.sum()
        return dict(zip(self.classes, probs.tolist(), strict=True))


def _train(
    rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, y: np.ndarray, k: int, f: int
) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch Adam on the softmax cross-entropy of a sparse (COO, row-sorted) matrix."""
    n = int(rows.max()) + 1
    row_starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    by_col = np.argsort(cols, kind="stable")
    col_sorted = cols[by_col]
    col_starts = np.flatnonzero(np.r_[True, col_sorted[1:] != col_sorted[:-1]])
    col_ids = col_sorted[col_starts]
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    w = np.zeros((f, k))
    b = np.zeros(k)
    m_w, v_w, m_b, v_b = np.zeros_like(w), np.zeros_like(w), np.zeros(k), np.zeros(k)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, EPOCHS + 1):
        logits = np.add.reduceat(vals[:, None] * w[cols], row_starts) + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) / n
        grad_w = np.zeros_like(w)
        contrib = (vals[:, None] * g[rows])[by_col]
        grad_w[col_ids] = np.add.reduceat(contrib, col_starts)
        grad_w += L2 * w
        grad_b = g.sum(axis=0)
        for param, grad, m, v in ((w, grad_w, m_w, v_w), (b, grad_b, m_b, v_b)):
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            m_hat = m / (1 - beta1**step)
            v_hat = v / (1 - beta2**step)
            param -= LEARNING_RATE * m_hat / (np.sqrt(v_hat) + eps)
    return np.ascontiguousarray(w), b


_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _build() -> LearnedLayer:
    return LearnedLayer(load_taxonomy())


def learned_layer() -> LearnedLayer:
    """The trained layer (trained once per process, thread-safe)."""
    with _LOCK:
        return _build()
