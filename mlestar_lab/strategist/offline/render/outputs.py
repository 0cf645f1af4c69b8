"""Writing predictions: submission.csv in the sample's format, and the OOF/test prediction files.

Shared by candidate and ensemble notebooks, so both write exactly what the agent's verifier and
the ensemble notebooks read back: id plus one column per submission column (one per class for a
multiclass label submission), holding probabilities or values, never thresholded labels.
"""

from __future__ import annotations

PREDICTION_COLUMNS = """PREDICTION_COLUMNS = [c for c in SUBMISSION_COLUMNS if c != ID_COLUMN]
CLASS_COLUMNS = [str(c) for c in CLASSES or []]
if TASK_TYPE == "multiclass" and len(PREDICTION_COLUMNS) == len(CLASSES):
    CLASS_COLUMNS = PREDICTION_COLUMNS  # one probability column per class, in submission order"""

WRITE_OUTPUTS = '''def prediction_frame(ids, pred):
    """Id plus one column per prediction: probabilities or values, never thresholded labels."""
    pred = np.asarray(pred, dtype=float)
    if pred.ndim == 2:
        frame = pd.DataFrame(pred, columns=CLASS_COLUMNS)
    else:
        frame = pd.DataFrame({PREDICTION_COLUMNS[0]: pred})
    frame.insert(0, ID_COLUMN, np.asarray(ids))
    return frame


def submission_frame(ids, pred):
    """Predictions in the sample submission's format, columns and row order."""
    pred = np.asarray(pred, dtype=float)
    if TASK_TYPE == "multiclass" and CLASS_COLUMNS != PREDICTION_COLUMNS:
        labels = np.asarray(CLASSES)[pred.argmax(axis=1)]
        frame = pd.DataFrame({ID_COLUMN: np.asarray(ids), PREDICTION_COLUMNS[0]: labels})
    elif TASK_TYPE == "binary" and METRIC in ("accuracy", "f1"):
        labels = np.where(pred >= 0.5, CLASSES[1], CLASSES[0])
        frame = pd.DataFrame({ID_COLUMN: np.asarray(ids), PREDICTION_COLUMNS[0]: labels})
    else:
        frame = prediction_frame(ids, np.clip(pred, 0, None) if METRIC == "rmsle" else pred)
    rows = sample_submission[[ID_COLUMN]].merge(frame, on=ID_COLUMN, how="left")
    if len(rows) != len(sample_submission) or rows.isna().any().any():
        raise ValueError("the predictions do not cover every id of the sample submission exactly once")
    return rows[list(sample_submission.columns)]


def write_outputs(train_ids, oof_pred, test_ids, test_pred):
    out = Path(OUTPUT_DIR)
    submission_frame(test_ids, test_pred).to_csv(out / "submission.csv", index=False)
    prediction_frame(train_ids, oof_pred).to_csv(out / "oof_predictions.csv", index=False)
    prediction_frame(test_ids, test_pred).to_csv(out / "test_predictions.csv", index=False)'''
