"""
Not a tutorial, and not part of the npm project: the evidence beside them. Tutorials T1, T2 (a)-(e)
and T4 in Keras itself, the library the originals were written for, over the same number of seeds
as the tutorial report (`npm run tutorials -- --report`) runs them, judged by the same rules as
the report's "as the original" column (examples/t1-memory.ts, t2-alphabet.ts, t4-two-steps.ts).
T2 (f) and its masked fix (500,000 one-sample updates, about 20 minutes a seed in Keras) run only
when named, over 3 seeds; T3 has its own script (t3-keras.py).

Each program is the tutorial's, as the lstm-ts example writes it: the same data, model, loss,
optimizer (Keras' defaults: sigmoid gates, Adam with epsilon 1e-7) and number of updates. A fit
of batch 1 is written as a loop of train_on_batch calls over the samples in the order fit would
take them (shuffled each epoch with NumPy where the original shuffles): the same updates, and
for a stateful layer the same state carried from one batch to the next, without fit's per-call
set-up. keras.utils.set_random_seed(seed) makes every seed's numbers the same on every run.

Run with Python 3.11, TensorFlow 2.21 (tensorflow-cpu) and Keras 3.15 installed, one thread
(about 15 minutes for all on this project's machine):

    python examples/peers/keras-tutorials.py > examples/peers/keras-tutorials.results.jsonl
    python examples/peers/keras-tutorials.py T2f > t2f.jsonl; python examples/peers/keras-tutorials.py T2f-masked > t2f-masked.jsonl

It prints one JSON line per (experiment, seed), then one with the versions and the date. The
committed results file holds the three runs, the T2f lines put after T2e's.
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import tensorflow as tf

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
import keras  # noqa: E402 (after the threading set-up)

LSTM, Dense = keras.layers.LSTM, keras.layers.Dense


def compiled(layers, loss):
    model = keras.Sequential(layers)
    model.compile(loss=loss, optimizer="adam", metrics=["accuracy"])
    return model


def reset(model):
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_states()


def one_hot(values, n):
    return np.eye(n)[np.array(values)]


# --- T1: memory across time steps --------------------------------------------------------------

T1_SEQUENCES = [[3, 0, 1, 2, 3], [4, 0, 1, 2, 4]]


def t1_pairs():
    return [(one_hot(s[:-1], 5).reshape(4, 1, 1, 5), one_hot(s[1:], 5).reshape(4, 1, 5)) for s in T1_SEQUENCES]


def t1_tutorial():
    # Stateful LSTM(20), batch 1, one step per batch; per epoch: sequence 1, reset, sequence 2, reset.
    model = compiled([keras.Input(batch_shape=(1, 1, 5)), LSTM(20, stateful=True), Dense(5, activation="sigmoid")], "binary_crossentropy")
    pairs = t1_pairs()
    for _ in range(250):
        for xs, ys in pairs:
            for x, y in zip(xs, ys):
                model.train_on_batch(x, y)
            reset(model)
    correct = 0
    for s, (xs, _) in zip(T1_SEQUENCES, pairs):
        predicted = [int(model.predict(x, verbose=0).argmax()) for x in xs]  # the state carried along
        reset(model)
        correct += sum(p == t for p, t in zip(predicted, s[1:]))
    return {"correct": correct, "asOriginal": correct == 8}


def t1_bptt():
    # Each sequence one sample [1, 4, 5], returnSequences, a target at every step: full BPTT.
    x = np.stack([one_hot(s[:-1], 5) for s in T1_SEQUENCES])
    y = np.stack([one_hot(s[1:], 5) for s in T1_SEQUENCES])
    model = compiled([keras.Input((4, 5)), LSTM(20, return_sequences=True), Dense(5, activation="sigmoid")], "binary_crossentropy")
    for _ in range(1000):
        for b in range(2):  # batch 1, no shuffle
            model.train_on_batch(x[b:b + 1], y[b:b + 1])
    predicted = model.predict(x, verbose=0).argmax(-1)
    correct = int(sum((predicted[b] == np.array(s[1:])).sum() for b, s in enumerate(T1_SEQUENCES)))
    return {"correct": correct, "asOriginal": correct == 8}


def t1_stateless():
    model = compiled([keras.Input((1, 5)), LSTM(20), Dense(5, activation="sigmoid")], "binary_crossentropy")
    pairs = t1_pairs()
    for _ in range(250):
        for xs, ys in pairs:
            for x, y in zip(xs, ys):
                model.train_on_batch(x, y)
    correct, both_conflicting = 0, True
    for s, (xs, _) in zip(T1_SEQUENCES, pairs):
        predicted = model.predict(xs.reshape(4, 1, 5), verbose=0).argmax(-1)
        correct += int((predicted == np.array(s[1:])).sum())
        both_conflicting = both_conflicting and int(predicted[3]) == s[4]
    return {"correct": correct, "asOriginal": not both_conflicting}


# --- T2: the alphabet, framings (a) to (e) ---------------------------------------------------------

def windows(length):
    data_x = [list(range(i, i + length)) for i in range(26 - length)]
    return data_x, [w[-1] + 1 for w in data_x]


def fit_batch1(model, x, y, epochs, shuffle):
    for _ in range(epochs):
        order = np.random.permutation(len(x)) if shuffle else range(len(x))
        for i in order:
            model.train_on_batch(x[i:i + 1], y[i:i + 1])


def t2_window(length, shape, units=32, poor=False):
    data_x, data_y = windows(length)
    x = (np.array(data_x) / 26).reshape((len(data_x),) + shape)
    y = one_hot(data_y, 26)
    model = compiled([keras.Input(shape), LSTM(units), Dense(26, activation="softmax")], "categorical_crossentropy")
    fit_batch1(model, x, y, 500, shuffle=True)
    accuracy = float(model.evaluate(x, y, verbose=0)[1])
    return {"accuracy": accuracy, "asOriginal": accuracy < 1 if poor else accuracy == 1}


def t2d():
    data_x, data_y = windows(1)
    x = (np.array(data_x) / 26).reshape(25, 1, 1)
    y = one_hot(data_y, 26)
    model = compiled([keras.Input((1, 1)), LSTM(16), Dense(26, activation="softmax")], "categorical_crossentropy")
    for _ in range(5000):  # the whole data set as one batch, no shuffle: one update per epoch
        model.train_on_batch(x, y)
    accuracy = float(model.evaluate(x, y, verbose=0)[1])
    return {"accuracy": accuracy, "asOriginal": accuracy == 1}


def t2e():
    data_x, data_y = windows(1)
    x = (np.array(data_x) / 26).reshape(25, 1, 1)
    y = one_hot(data_y, 26)
    model = compiled([keras.Input(batch_shape=(1, 1, 1)), LSTM(50, stateful=True), Dense(26, activation="softmax")], "categorical_crossentropy")
    for _ in range(300):
        fit_batch1(model, x, y, 1, shuffle=False)
        reset(model)
    accuracy = float(model.evaluate(x, y, batch_size=1, verbose=0)[1])
    reset(model)
    step = lambda v: int(model.predict(np.array([[[v / 26]]]), verbose=0).argmax())  # noqa: E731
    generated = [0]
    for _ in range(25):
        generated.append(step(generated[-1]))
    reset(model)
    from_k = step(10)
    reset(model)
    writes = generated == list(range(26))
    return {"accuracy": accuracy, "asOriginal": accuracy == 1 and writes, "writesAlphabet": writes, "coldStartKtoB": from_k == 1}


def t2f(masked):
    # 1000 random substrings of 1..5 letters -> the next letter, pre-padded with 0 to length 5.
    # Unmasked (the original): letters 0..25 / 26, so the padding 0 is also A. Masked (the fix):
    # letters 1..26 / 26, and a Masking(0) layer in front of the LSTM.
    data_x, data_y = [], []
    for _ in range(1000):
        start = np.random.randint(24)
        end = np.random.randint(start, min(start + 5, 25))
        data_x.append([v + (1 if masked else 0) for v in range(start, end + 1)])
        data_y.append(end + 1)
    x = keras.utils.pad_sequences(data_x, maxlen=5, dtype="float32").reshape(1000, 5, 1) / 26
    y = one_hot(data_y, 26)
    layers = [keras.Input((5, 1))] + ([keras.layers.Masking(0.0)] if masked else []) + [LSTM(32), Dense(26, activation="softmax")]
    model = compiled(layers, "categorical_crossentropy")
    fit_batch1(model, x, y, 500, shuffle=True)
    accuracy = float(model.evaluate(x, y, verbose=0)[1])
    return {"accuracy": accuracy, "asOriginal": accuracy >= 0.95}


# --- T4: stateless, stateful, or one sequence of two steps ----------------------------------------

T4_X = one_hot([[0], [0]], 3)  # [2, 1, 3]
T4_Y = one_hot([1, 2], 3)  # [2, 3]


def t4_stateless():
    model = compiled([keras.Input((1, 3)), LSTM(20), Dense(3, activation="sigmoid")], "binary_crossentropy")
    for _ in range(300):
        model.train_on_batch(T4_X, T4_Y)  # batch 2: one update per epoch
    correct = int((model.predict(T4_X, verbose=0).argmax(-1) == np.array([1, 2])).sum())
    return {"correct": correct, "asOriginal": correct < 2}


def t4_stateful():
    model = compiled([keras.Input(batch_shape=(1, 1, 3)), LSTM(20, stateful=True), Dense(3, activation="sigmoid")], "binary_crossentropy")
    for _ in range(300):
        fit_batch1(model, T4_X, T4_Y, 1, shuffle=False)
        reset(model)
    predicted = [int(model.predict(T4_X[i:i + 1], verbose=0).argmax()) for i in range(2)]
    reset(model)
    correct = int(sum(p == t for p, t in zip(predicted, [1, 2])))
    return {"correct": correct, "asOriginal": correct == 2}


def t4_sequence():
    x = one_hot([[0, 0]], 3)  # [1, 2, 3]
    y = one_hot([[1, 2]], 3)  # [1, 2, 3]
    model = compiled([keras.Input((2, 3)), LSTM(20, return_sequences=True), Dense(3, activation="sigmoid")], "binary_crossentropy")
    for _ in range(300):
        model.train_on_batch(x, y)
    correct = int((model.predict(x, verbose=0).argmax(-1)[0] == np.array([1, 2])).sum())
    return {"correct": correct, "asOriginal": correct == 2}


EXPERIMENTS = [
    ("T1", 20, t1_tutorial),
    ("T1-bptt", 20, t1_bptt),
    ("T1-stateless", 20, t1_stateless),
    ("T2a", 5, lambda: t2_window(1, (1, 1), poor=True)),
    ("T2b", 5, lambda: t2_window(3, (1, 3), poor=True)),
    ("T2c", 5, lambda: t2_window(3, (3, 1))),
    ("T2d", 5, t2d),
    ("T2e", 5, t2e),
    ("T2f", 3, lambda: t2f(masked=False)),  # run only when named: about 20 minutes a seed
    ("T2f-masked", 3, lambda: t2f(masked=True)),
    ("T4-stateless", 5, t4_stateless),
    ("T4-stateful", 5, t4_stateful),
    ("T4-sequence", 5, t4_sequence),
]


def main():
    only = set(sys.argv[1].split(",")) if len(sys.argv) > 1 else None
    for name, seeds, run in EXPERIMENTS:
        if (only and name not in only) or (not only and name.startswith("T2f")):
            continue
        for seed in range(1, seeds + 1):
            keras.utils.set_random_seed(seed)
            started = time.time()
            result = run()
            print(json.dumps({"id": name, "seed": seed, **result, "seconds": round(time.time() - started, 1)}), flush=True)
    print(json.dumps({"keras": keras.__version__, "tensorflow": tf.__version__, "python": sys.version.split()[0], "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}))


if __name__ == "__main__":
    main()
