"""Makes the XGBoost models of tests/models_test.cpp and the predictions XGBoost gives
for them, which Spur's tree ensembles must reproduce within 1e-6 (issue 19).

Run with Debian's python3-xgboost (1.7.4): /usr/bin/python3 make_models.py
Its outputs are committed, so the tests need no XGBoost.
"""

import json
import random

import numpy as np
import xgboost as xgb

rng = np.random.default_rng(19)
n, features = 400, 4
X = rng.normal(size=(n, features)).astype(np.float32)
X[rng.random(size=X.shape) < 0.1] = np.nan  # missing values: each split's default side
margin = 1.5 * np.nan_to_num(X[:, 0]) - np.nan_to_num(X[:, 1]) * np.nan_to_num(X[:, 2])
y_binary = (margin + rng.normal(scale=0.5, size=n) > 0).astype(np.float32)
y_value = (margin * 10 + 3).astype(np.float32)

# Rows to predict: new ones, with missing values, and values exactly at split points.
probe = rng.normal(size=(60, features)).astype(np.float32)
probe[rng.random(size=probe.shape) < 0.15] = np.nan


def train(objective, y, names, rounds, depth):
    data = xgb.DMatrix(X, label=y, feature_names=names, missing=np.nan)
    return xgb.train({"objective": objective, "max_depth": depth, "eta": 0.3, "seed": 1},
                     data, num_boost_round=rounds)


def save(booster, name, names):
    booster.save_model(name + ".json")
    # Split points of the model itself as probe values too: `<` against the threshold.
    model = json.load(open(name + ".json"))
    thresholds = [t["split_conditions"][i] for t in model["learner"]["gradient_booster"]["model"]["trees"]
                  for i in range(len(t["left_children"])) if t["left_children"][i] != -1]
    rows = probe.copy()
    for r in range(10):
        for c in range(features):
            rows[r, c] = np.float32(thresholds[(r * features + c) % len(thresholds)])
    predictions = booster.predict(xgb.DMatrix(rows, feature_names=names, missing=np.nan))
    with open(name + ".predictions.ndjson", "w") as out:
        for row, p in zip(rows, predictions):
            values = [None if np.isnan(v) else float(v) for v in row]
            out.write(json.dumps({"features": values, "prediction": float(p)}) + "\n")


names = ["ltv", "views_7d", "days_since_order", "cart_value"]
save(train("binary:logistic", y_binary, names, 20, 4), "churn_xgb", names)
save(train("reg:squarederror", y_value, None, 100, 6), "value_xgb", None)
