"""Competition folders: inventory, inference of target/id/metric, fixed folds."""
