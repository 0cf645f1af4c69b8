"""Running candidates on other machines: a Dask distributed backend."""
