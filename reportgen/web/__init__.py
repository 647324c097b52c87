"""`reportgen serve`: the library pipeline as one web page for staff who never open a terminal.

pipeline.py is the only module here that calls the library; app.py is the HTTP layer (Starlette),
server.py starts uvicorn with the access rules. Nothing uploaded outlives its request.
"""
