"""What the text trainers share: vocabulary and encoding with a clear error, live-map snapshots,
throttled progress and the run statistics saved as run.json."""
from __future__ import annotations

import numpy as np

from models.errors import CorpusError
from models.text.corpus import Corpus
from models.core.events import drain
from models.text.vocab import EncodedCorpus, Vocabulary, prepare_steps

MAP_WORDS = 1000          # rows of the live-map snapshot: the most frequent words
SNAPSHOT_SECONDS = 1.0    # the live map redraws about once a second
EVENT_SECONDS = 0.1       # at most about ten progress events a second


def prepare(corpus: Corpus, min_count: int, max_vocab: int) -> tuple[Vocabulary, EncodedCorpus]:
    vocab, data = drain(prepare_steps(corpus, min_count, max_vocab, source=corpus.path.name))
    if data.n_tokens == 0:
        raise CorpusError(f"{corpus.path.name} has no sentence of two or more known words.",
                          "Use a larger corpus or lower the minimum count.")
    return vocab, data


def snapshot(matrix, n: int = MAP_WORDS) -> np.ndarray:
    """A float32 copy of the first n rows (a Torch tensor or a NumPy array)."""
    rows = matrix[:n]
    if hasattr(rows, "detach"):
        rows = rows.detach().cpu().numpy()
    return np.array(rows, dtype=np.float32, copy=True)


def run_stats(name: str, seconds: float, words: int, loss: float, device: str, vocab: Vocabulary,
              data: EncodedCorpus, corpus: Corpus, stopped: bool, **extra) -> dict:
    """The run.json fields every text model writes; ``words`` is corpus tokens processed."""
    return {"model": name, "seconds": seconds, "words_per_second": words / seconds if seconds > 0 else 0.0,
            "final_loss": float(loss), "device": device, "words_done": int(words),
            "stopped_early": stopped, "vocab_size": len(vocab), "corpus_tokens": data.n_tokens,
            "corpus": str(corpus.path), **extra}
