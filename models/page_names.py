"""The dashboard pages a message sends its reader to, one constant a page, so that a failure
reason or a refusal names the page that fixes it as well as the CLI command (daemon/ and
dashboard/ both fill them into messages; models/ is what both may import).

Each is a Msg, rendered in the reader's language where the message is shown.
"""
from __future__ import annotations

from models.i18n import N_

CLUSTERS_PAGE = N_("the Clusters page (/clusters)")      # register a cluster, make one the default
SETTINGS_PAGE = N_("the Settings page (/settings)")      # container registries, the chart repository
REPOSITORIES_PAGE = N_("the Code repositories page (/repositories)")   # connect or re-authorise an account
PAGES = (CLUSTERS_PAGE, SETTINGS_PAGE, REPOSITORIES_PAGE)
