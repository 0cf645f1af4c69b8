"""The `mlestar` command line."""
