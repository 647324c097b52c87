"""`reportgen serve`: the library pipeline as one web page for staff who never open a terminal.

pipeline.py is the only module here that calls the library; app.py is the HTTP layer (Starlette),
guard.py decides who may come in and how much an upload may be, estimate.py and capacity.py keep
the memory of the checks in flight within a budget, server.py starts uvicorn. Nothing uploaded
outlives its request, or a shutdown (scratch.py).
"""
