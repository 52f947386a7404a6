"""The HTTP face: the Starlette app, uvicorn, fault injection, the JSON views and the routes.
Routes parse a request, call `operations` (writes) or read the store, and render."""
