"""The Jupyter server extension: REST routes over the run store, and the agent processes behind them.

Nothing is imported here, so `import mlestar_lab` (the CLI, the agent) never pulls in Jupyter;
`mlestar_lab._jupyter_server_extension_points` imports `app` only when Jupyter asks for it.
"""
