"""A fake GitHub and GitLab over real HTTP for the tests (TESTING.md: the forges are outside
this machine): an OAuth 2.0 provider built with authlib's authorization server, and the
API subsets the product calls, each instance mountable at a "private instance" path.
`FakeForge` is in server.py; `forge` (a started server, stopped after the test) in fixture.py."""
from tests.fakeforge.server import FakeForge, Instance  # noqa: F401
