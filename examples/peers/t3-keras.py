"""
Not a tutorial, and not part of the npm project: the evidence beside one. Tutorial T3 (the echo
problem) in Keras itself, the library the original was written for, to measure how often Keras
reaches the original's reported outcome (100/100 on 100 new sequences) seed by seed.

It follows the original's code: sequences of 5 values drawn with Python's random.randint(0, 9),
one-hot; the target is the value at index 2; LSTM(25) and Dense(10, softmax) with Keras' current
defaults; categorical cross-entropy and Adam with its defaults; 10,000 updates, each on one
freshly drawn sample; then 100 new sequences. The original calls model.fit(X, y, epochs=1) on
each one-sample batch: train_on_batch does the same single Adam update without fit's per-call
set-up. It also scores the trained model on 10,000 further sequences, as examples/t3-echo.ts does.
keras.utils.set_random_seed(seed) seeds Python's random (the data), NumPy and TensorFlow (the
initial weights), so a seed gives the same numbers on every run. The data are Python's draws, not
lstm-ts' sequences: the runs compare rates, not seeds.

Run with Python 3.11, TensorFlow 2.21 (tensorflow-cpu) and Keras 3.15 installed (in a virtual
environment, for instance), one thread, about 25 s per seed on this project's machine:

    python examples/peers/t3-keras.py 1 50 > examples/peers/t3-keras.results.jsonl

It prints one JSON line per seed, then one with the versions and the totals.
"""
import json
import os
import random
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import tensorflow as tf

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
import keras  # noqa: E402 (after the threading set-up)

LENGTH, FEATURES, OUT_INDEX, UNITS, UPDATES = 5, 10, 2, 25, 10_000


def generate_sequence():
    """The original's generate_sequence: LENGTH values from 0..FEATURES-1."""
    return [random.randint(0, FEATURES - 1) for _ in range(LENGTH)]


def one_hot(sequences):
    """[n, LENGTH, FEATURES] one-hot float32."""
    x = np.zeros((len(sequences), LENGTH, FEATURES), dtype=np.float32)
    for n, sequence in enumerate(sequences):
        x[n, np.arange(LENGTH), sequence] = 1
    return x


def correct_on(model, sequences):
    """How many of the sequences the model answers with the value at OUT_INDEX."""
    predicted = model.predict(one_hot(sequences), verbose=0, batch_size=1000).argmax(-1)
    return int((predicted == np.array(sequences)[:, OUT_INDEX]).sum())


def run(seed):
    keras.utils.set_random_seed(seed)
    # Model: LSTM(25) on [5, 10], Dense(10, softmax): 3600 + 260 = 3860 parameters.
    model = keras.Sequential([
        keras.Input((LENGTH, FEATURES)),
        keras.layers.LSTM(UNITS),
        keras.layers.Dense(FEATURES, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["acc"])
    assert model.count_params() == 3860
    # Training: 10,000 updates, each on one fresh sample.
    started = time.time()
    for _ in range(UPDATES):
        x = one_hot([generate_sequence()])
        model.train_on_batch(x, x[:, OUT_INDEX, :])
    # Evaluation: 100 new sequences (the original's), then 10,000 further ones.
    test = [generate_sequence() for _ in range(100)]
    more = [generate_sequence() for _ in range(10_000)]
    return {
        "seed": seed,
        "correct": correct_on(model, test),
        "heldOut": correct_on(model, more) / len(more),
        "seconds": round(time.time() - started, 1),
    }


def main():
    first, last = int(sys.argv[1]), int(sys.argv[2])
    runs = []
    for seed in range(first, last + 1):
        runs.append(run(seed))
        print(json.dumps(runs[-1]), flush=True)
    print(json.dumps({
        "summary": f"seeds {first}..{last}",
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "python": sys.version.split()[0],
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "seedsAt100": sum(r["correct"] == 100 for r in runs),
        "seeds": len(runs),
        "meanHeldOut": sum(r["heldOut"] for r in runs) / len(runs),
    }))


if __name__ == "__main__":
    main()
