"""``epitrace bench queue``: tracers pressing Next over HTTP, measured end to end.

1. The database gets ``cases`` cases when it has fewer (``epitrace seed``'s
   machinery: persons, households, contacts, lab results and the work
   queue), and every open case still to investigate has its item.
2. ``tracers`` bench tracers are made, each a member of one LHD (spread in
   proportion to the LHDs' waiting items), each signed in through Django's
   own login and allauth's MFA records (a real database session).
3. The app runs under gunicorn, started here on a free loopback port with
   the production settings (DEBUG off, secure cookies, manifest static
   files, behind a TLS-terminating proxy as far as it can tell).
4. locust, in its own process (its gevent patching would break Django here),
   runs one simulated tracer per bench tracer: Next, open the case page,
   record an outcome or release the item, 0.5-1.5 s of think time between
   requests.
5. Afterwards the claim log is searched for claims of one item that overlap:
   double claims are counted from the log, not by the code preventing them.
"""
