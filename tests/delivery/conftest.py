"""Makes the delivery fixtures (registry, containers, base image, git server) available here."""
from tests.delivery.fixtures import *  # noqa: F401,F403
