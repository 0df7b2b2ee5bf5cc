"""The book's lesson 10 (examples/book/l10-bidirectional.ts) in Keras 3 itself, on the same
sequences (the same mulberry32 data stream per seed) and the same procedure: one fresh sequence
per update, 1,000 updates, then the per-step accuracy on 100 new sequences. Writes one JSON line
per seed to l10-bidirectional-keras.results.jsonl (seeds 1..5).

    /work/venv/bin/python examples/book/l10-bidirectional-keras.py   (Keras 3.15.1, TensorFlow 2.21)
"""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import numpy as np  # noqa: E402


def stream(seed):
    a = (seed & 0xFFFFFFFF) or 1
    while True:
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = ((a ^ (a >> 15)) * (1 | a)) & 0xFFFFFFFF
        t = ((t + (((t ^ (t >> 7)) * (61 | t)) & 0xFFFFFFFF)) & 0xFFFFFFFF) ^ t
        yield ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296


def sample(draw, steps=10):
    x = [next(draw) for _ in range(steps)]
    y = list((np.cumsum(x) > steps / 4).astype(int))
    return x, y


out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "l10-bidirectional-keras.results.jsonl")
with open(out, "w") as f:
    for seed in range(1, 6):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([
            keras.Input(shape=(10, 1)),
            keras.layers.Bidirectional(keras.layers.LSTM(50, return_sequences=True)),
            keras.layers.TimeDistributed(keras.layers.Dense(1, activation="sigmoid")),
        ])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        draw = stream(seed * 7919 + 1)
        for _ in range(1000):
            x, y = sample(draw)
            model.train_on_batch(np.array(x, dtype="float32").reshape(1, 10, 1), np.array(y, dtype="float32").reshape(1, 10, 1))
        test = [sample(draw) for _ in range(100)]
        p = model.predict(np.array([s[0] for s in test], dtype="float32").reshape(100, 10, 1), verbose=0).reshape(100, 10) > 0.5
        hits = (p == np.array([s[1] for s in test], dtype=bool))
        record = {"seed": seed, "keras": keras.__version__, "stepAccuracy": float(hits.mean()), "sequencesAllRight": int(hits.all(axis=1).sum())}
        print(record, flush=True)
        f.write(json.dumps(record) + "\n")
