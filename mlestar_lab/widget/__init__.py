"""The ipywidgets panel of a run (`RunPanel`): state in state.py, HTML in render.py and plot.py,
widgets in panel.py and decision_form.py, live updates in live.py."""
