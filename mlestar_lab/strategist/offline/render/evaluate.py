"""The `evaluate_and_save` block: inverse transform, OOF blend of the trained models, the score.

With several models (a merged solution) the blend weights are chosen on the out-of-fold
predictions on a coarse grid, one model at a time, and printed as a JSON line.
"""

from __future__ import annotations

from mlestar_lab.strategist.offline.render.outputs import WRITE_OUTPUTS
from mlestar_lab.strategist.offline.render.text import section

_BLEND = """names = list(MODELS)
oof_values = {n: inverse(oof[n]) for n in names}
test_values = {n: inverse(test_pred[n]) for n in names}
for n in names:
    print(f"{n}: out-of-fold {score_predictions(y, oof_values[n]):.6f}")

# One model, or a blend whose weights are chosen on the out-of-fold predictions (coarse grid).
weights = {names[0]: 1.0}
blend_oof, blend_test = oof_values[names[0]], test_values[names[0]]
for name in names[1:]:
    best_weight, best_score = 0.0, score_predictions(y, blend_oof)
    for weight in np.linspace(0.1, 1.0, 10):
        trial = score_predictions(y, (1 - weight) * blend_oof + weight * oof_values[name])
        if is_better(trial, best_score):
            best_weight, best_score = float(weight), trial
    weights = {**{k: v * (1 - best_weight) for k, v in weights.items()}, name: best_weight}
    blend_oof = (1 - best_weight) * blend_oof + best_weight * oof_values[name]
    blend_test = (1 - best_weight) * blend_test + best_weight * test_values[name]
if len(names) > 1:
    blend = {"blend_weights": {k: round(v, 4) for k, v in weights.items()}}
    print("Blend: " + json.dumps(blend))
    display({"application/json": {"mlestar": blend}}, raw=True)"""

_SCORE = """score = score_predictions(y, blend_oof)
write_outputs(train[ID_COLUMN], blend_oof, test[ID_COLUMN], blend_test)
print(f"Final Validation Performance: {score}")"""


def render_evaluate() -> str:
    return section(_BLEND, WRITE_OUTPUTS, _SCORE)
