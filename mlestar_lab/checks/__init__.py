"""Static checks a candidate passes before and after it runs.

- `leakage.check_leakage`: test rows or target statistics leaking into training (before a run);
- `usage.check_data_usage`: every provided file read or consciously skipped (before a run);
- `submission.validate_submission`: a submission.csv a competition would accept (after a run).
"""
