"""User administration: staff accounts, their memberships and teams.

Who administers what
    Holders of ``accounts.manage_users`` (user administrators and state
    administrators) administer the jurisdiction subtrees of those memberships,
    nothing else. For everyone else every page here answers 404, like a page
    that does not exist (style rule 2).

Which users an administrator sees
    Users with at least one membership inside the administrator's subtrees.
    A user with no membership at all belongs to no subtree, so only a
    state-level administrator (one whose scope includes the root) sees and
    places them; the system identity is never listed.

Account or roles
    An administrator may add and remove roles inside their subtrees for any
    user they see. Changing the account itself (name, email, active flag,
    MFA, sessions) needs every one of the user's memberships to be in reach:
    otherwise an LHD administrator could take over, or lock out, a state
    account that also holds a role in their LHD.

Every change goes through a ``do_*`` function in ``services``: atomic,
audited, and checked again after the write (style rule 3).
"""
