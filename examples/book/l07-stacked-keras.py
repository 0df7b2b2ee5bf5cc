"""The book's lesson 7 (examples/book/l07-stacked.ts) in Keras 3 itself, on the same damped sine
waves (the same mulberry32 data stream per seed) and the same procedure: 10,000 sequences, one
epoch, batch 10, no shuffling; then the mean absolute error on 100 new sequences. Writes one JSON
line per seed to l07-stacked-keras.results.jsonl (seeds 1..5).

    /work/venv/bin/python examples/book/l07-stacked-keras.py   (Keras 3.15.1, TensorFlow 2.21)
"""
import json
import math
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


def damped_sine(draw, length=50, output=5):
    period = 10 + next(draw) * 10
    decay = 0.01 + next(draw) * 0.09
    wave = [0.5 + 0.5 * math.sin(2 * math.pi * t / period) * math.exp(-decay * t) for t in range(length + output)]
    return wave[:length], wave[length:]


out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "l07-stacked-keras.results.jsonl")
with open(out, "w") as f:
    for seed in range(1, 6):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([
            keras.Input(shape=(50, 1)),
            keras.layers.LSTM(20, return_sequences=True),
            keras.layers.LSTM(20),
            keras.layers.Dense(5),
        ])
        model.compile(optimizer="adam", loss="mae")
        draw = stream(seed * 7919 + 7)
        data = [damped_sine(draw) for _ in range(10000)]
        x = np.array([d[0] for d in data], dtype="float32").reshape(-1, 50, 1)
        y = np.array([d[1] for d in data], dtype="float32")
        model.fit(x, y, epochs=1, batch_size=10, shuffle=False, verbose=0)
        test = [damped_sine(draw) for _ in range(100)]
        mae = model.evaluate(np.array([d[0] for d in test], dtype="float32").reshape(-1, 50, 1), np.array([d[1] for d in test], dtype="float32"), verbose=0)
        record = {"seed": seed, "keras": keras.__version__, "testMae": float(mae)}
        print(record, flush=True)
        f.write(json.dumps(record) + "\n")
