"""Long jobs off the request path, behind one small interface with two back-ends.

Embedded (default): a background thread of the app itself claims queued jobs from the database.
With ``REDIS_URL``: an RQ queue served by ``rq worker`` processes, shared by every app server.
Either way the job row in the database holds the status, the progress and the result.
"""
