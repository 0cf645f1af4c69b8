"""The offline strategist: a tabular-ML expert that needs no network and no LLM.

A solution is a `Recipe` (family, features, encoding, target transform, hyper-parameters,
training extras, merged members) rendered block by block into a candidate notebook; the recipe
travels in the notebook metadata so every later decision starts from what the notebook does.
"""
