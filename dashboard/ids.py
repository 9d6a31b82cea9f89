"""Every component id of the dashboard's own pages, in one place.

Callbacks and browser tests refer to these names, never to string literals, so a
renamed component breaks loudly at import time. Pattern-matching ids are dicts whose
"type" is one of the *_ACTION constants below. (The canvas editor keeps its own ids.)
"""

# shell (navbar, shared stores)
NAV_DAEMON = "nav-daemon"
NAV_DAEMON_POLL = "nav-daemon-poll"
NAV_TOGGLER = "nav-toggler"              # the navbar's toggler (narrow windows)
NAV_ACCOUNT = "nav-account"              # the signed-in user's menu (change password, sign out)
NAV_SIGN_OUT = "nav-sign-out"
NAV_TOKENS = "nav-tokens"                # the account menu's link to the access tokens page
NAV_COLLAPSE = "nav-collapse"
NAV_DAEMON_RESTARTED = "nav-daemon-restarted"   # "the daemon was restarted by run.py up"
NAV_DAEMON_WARNING = "nav-daemon-warning"
FEEDBACK = "feedback"                    # where the outcome of an action is said
ACTION_DONE = "action-done"              # store bumped after every action: pages re-render at once

# pipelines list
LIST_SEARCH = "list-search"
LIST_STATUS = "list-status"
LIST_TABLE = "list-table"
LIST_POLL = "list-poll"
LIST_PAGE = "list-page"
LIST_SIGNATURE = "list-signature"
LIST_CREATE_MENU = "list-create-menu"
ROW_ACTION = "row-action"                # {"type": ROW_ACTION, "action": ..., "pipeline": id} (0: none yet)
TOKEN_ACTION = "token-action"            # {"type": TOKEN_ACTION, "action": "revoke", "token": id}: the access tokens page

# the action dialog (shared by the list and the detail page)
DIALOG = "action-dialog"
DIALOG_TITLE = "action-dialog-title"
DIALOG_BODY = "action-dialog-body"
DIALOG_PENDING = "action-dialog-pending"
DIALOG_NAME = "action-dialog-name"
DIALOG_NAME_GROUP = "action-dialog-name-group"
DIALOG_SOURCE_GROUP = "action-dialog-source-group"
DIALOG_TIMEOUT_GROUP = "action-dialog-timeout-group"
DIALOG_SOURCE = "action-dialog-source"
DIALOG_TIMEOUT = "action-dialog-timeout"
DIALOG_PLACEMENT_GROUP = "action-dialog-placement-group"   # advanced settings: where the pipeline runs
DIALOG_CLUSTER = "action-dialog-cluster"
DIALOG_SCHEDULING = "action-dialog-scheduling"             # scheduling timeout in minutes
DIALOG_TIMEOUT_FEEDBACK = "action-dialog-timeout-feedback"  # why a timeout typed in is refused
DIALOG_SCHEDULING_FEEDBACK = "action-dialog-scheduling-feedback"
DIALOG_PARAMS_GROUP = "action-dialog-params-group"         # run: the pipeline's parameters, to override
DIALOG_PARAMS = "action-dialog-params"
DIALOG_PARAM = "action-dialog-param"                       # pattern id {"type", "name": the parameter}
DIALOG_CONFIRM = "action-dialog-confirm"
DIALOG_CANCEL = "action-dialog-cancel"
DIALOG_ERROR = "action-dialog-error"
REDIRECT = "action-redirect"

# pipeline detail
DETAIL_ID = "detail-id"                  # store: the pipeline id
DETAIL_INFO = "detail-info"
DETAIL_RUNS = "detail-runs"
DETAIL_RUNS_PAGE = "detail-runs-page"      # pagination of the run records (50 a page)
DETAIL_RUNS_VIEW = "detail-runs-view"
DETAIL_TIMELINE = "detail-timeline"
DETAIL_POLL = "detail-poll"
DETAIL_SIGNATURE = "detail-signature"
DETAIL_DIAGRAM = "detail-diagram"
DETAIL_VERSIONS = "detail-versions"      # the version history card (dashboard/versions.py)
DETAIL_VERSIONS_SHOWN = "detail-versions-shown"   # store: the newest version number the card shows
VERSION_FROM = "version-from"            # the two versions the diff compares
VERSION_TO = "version-to"
VERSION_DIFF = "version-diff"
VERSION_COMPARE = "version-compare"      # pattern id {"type", "version"}: compare with the previous one
RUN_ACTION = "run-action"                # {"type": RUN_ACTION, "action": "rerun"|"stop", "run": id}
DETAIL_INACTIVE = "detail-inactive"      # the "deactivated: triggers start nothing" banner
DETAIL_FIRES = "detail-fires"            # recent fires of the timed rule
DETAIL_DELIVERIES = "detail-deliveries"  # recent webhook deliveries on the pipeline's repository

# the "edit trigger rules" dialog (pipeline detail; the More menu's "Trigger rules" opens it via #triggers)
TRIG_LOCATION = "trig-location"          # reads the URL's #triggers
TRIG_OPEN = "trig-open"
TRIG_DIALOG = "trig-dialog"
TRIG_TITLE = "trig-title"
TRIG_PIPELINE = "trig-pipeline"          # store: the pipeline id being edited
TRIG_INACTIVE = "trig-inactive"
TRIG_EVENTS = "trig-events"              # checklist: push, merge, tag
TRIG_URLS = "trig-urls"
TRIG_SECRET = "trig-secret"              # the secret, right after it is made; otherwise only a note
TRIG_SECRET_VALUE = "trig-secret-value"
TRIG_NEW_SECRET = "trig-new-secret"
TRIG_RULE = "trig-rule"
TRIG_RULE_FEEDBACK = "trig-rule-feedback"
TRIG_TZ = "trig-tz"
TRIG_TZ_FEEDBACK = "trig-tz-feedback"
TRIG_PREVIEW = "trig-preview"            # next 5 fire times, while typing
TRIG_MISFIRE = "trig-misfire"
TRIG_DEADLINE = "trig-deadline"
TRIG_DEADLINE_GROUP = "trig-deadline-group"
TRIG_CONCURRENCY = "trig-concurrency"
TRIG_REMOVE_TIMER = "trig-remove-timer"
TRIG_MESSAGE = "trig-message"            # errors and notes inside the dialog
TRIG_SAVE = "trig-save"
TRIG_CANCEL = "trig-cancel"

# run detail
RUN_ID = "run-id"
RUN_HEADER = "run-header"
RUN_STATUS = "run-status"                # the run's status badge
RUN_TASKS = "run-tasks"
RUN_GRAPH = "run-graph"
RUN_GANTT = "run-gantt"
RUN_POLL = "run-poll"
RUN_SIGNATURE = "run-signature"
TASK_PICK = "task-pick"                  # {"type": TASK_PICK, "task": id}
LOG_TASK = "log-task"                    # store: the selected task run id
LOG_AUTO = "log-auto"                    # store: true until the reader picks a task (then the page stops choosing)
LOG_TITLE = "log-title"
LOG_DOWNLOAD = "log-download"
LOG_EARLIER = "log-earlier"              # the window one page earlier (replaces the lines shown)
LOG_LATER = "log-later"                  # the window one page later
LOG_TAIL = "log-tail"                    # back to the live tail
LOG_RANGE = "log-range"                  # "lines a–b of n"
LOG_LINES = "log-lines"                  # the lines of the window, drawn by assets/logwindow.js from LOG_DATA
LOG_VIEW = "log-view"                    # the scrolling box around them
LOG_DATA = "log-data"                    # store: {"key", "rows", "mark", "scroll"}: the window's lines as data
LOG_WINDOW = "log-window"                # store: {"task", "first", "last", "live", "status", "mark"}: what is shown
LOG_GOTO = "log-goto"                    # store: {"task", "line", "seq"}: open a window around a line (link, search)
LOG_LINK = "log-link"                    # store: {"task", "line"}: written into the address bar (clientside)
LOG_SEARCH = "log-search"                # the search text box
LOG_SEARCH_GO = "log-search-go"
LOG_MATCH_PREV = "log-match-prev"
LOG_MATCH_NEXT = "log-match-next"
LOG_SEARCH_INFO = "log-search-info"      # "match 3 of 17", or why nothing was searched
LOG_MATCHES = "log-matches"              # store: {"task", "query", "lines", "more", "at"}
RUN_URL = "run-url"                      # the run page's own Location: the #L<line> of a link to a line
LOG_POLL = "log-poll"

# clusters
CLUSTERS_TABLE = "clusters-table"
CLUSTERS_POLL = "clusters-poll"
CLUSTERS_SIGNATURE = "clusters-signature"
CLUSTERS_CHANGED = "clusters-changed"    # store bumped after an add/remove/default: the table re-renders at once
CLUSTERS_FEEDBACK = "clusters-feedback"
CLUSTER_NAME = "cluster-name"            # the "add a cluster" form
CLUSTER_KUBECONFIG = "cluster-kubeconfig"
CLUSTER_UPLOAD = "cluster-upload"
CLUSTER_CONTEXT = "cluster-context"
CLUSTER_DEFAULT = "cluster-default"
CLUSTER_ADD = "cluster-add"
CLUSTER_RUN_COMMANDS = "cluster-run-commands"   # consent to a kubeconfig's exec plugin
CLUSTER_PROJECT = "cluster-project"      # the project a new cluster belongs to
CLUSTER_ACTION = "cluster-action"        # {"type": CLUSTER_ACTION, "action": "default"|"remove", "cluster": name}
CLUSTER_DIALOG = "cluster-dialog"        # confirms a removal
CLUSTER_DIALOG_BODY = "cluster-dialog-body"
CLUSTER_DIALOG_CONFIRM = "cluster-dialog-confirm"
CLUSTER_DIALOG_CANCEL = "cluster-dialog-cancel"
CLUSTER_PENDING = "cluster-pending"      # store: the cluster the dialog would remove

# releases (chart releases and their revision history)
RELEASES_CLUSTER = "releases-cluster"    # filter
RELEASES_NAMESPACE = "releases-namespace"
RELEASES_LIST = "releases-list"
RELEASES_POLL = "releases-poll"
RELEASES_SIGNATURE = "releases-signature"
RELEASES_FEEDBACK = "releases-feedback"
RELEASE_ROLLBACK = "release-rollback"    # {"type": RELEASE_ROLLBACK, "revision": release_revision id}
RELEASE_DIALOG = "release-dialog"
RELEASE_DIALOG_BODY = "release-dialog-body"
RELEASE_DIALOG_ERROR = "release-dialog-error"
RELEASE_DIALOG_CONFIRM = "release-dialog-confirm"
RELEASE_DIALOG_CANCEL = "release-dialog-cancel"
RELEASE_PENDING = "release-pending"      # store: the revision (row id) the dialog would roll back to

# settings (container registries, the chart repository, the daemon's settings)
SETTINGS_FEEDBACK = "settings-feedback"
SETTINGS_CHANGED = "settings-changed"    # store bumped after a change: the registry table and choices re-render
REGISTRIES_TABLE = "registries-table"
REGISTRY_NAME = "registry-name"          # the "add a registry" form
REGISTRY_URL = "registry-url"
REGISTRY_USERNAME = "registry-username"
REGISTRY_PASSWORD = "registry-password"
REGISTRY_INSECURE = "registry-insecure"
REGISTRY_CA = "registry-ca"
REGISTRY_ANYWAY = "registry-anyway"        # add a registry that did not answer the check
REGISTRY_DEFAULT = "registry-default"
REGISTRY_ADD = "registry-add"
REGISTRY_ERRORS = {REGISTRY_NAME: "registry-name-error", REGISTRY_URL: "registry-url-error",   # control → the
                   REGISTRY_USERNAME: "registry-username-error", REGISTRY_PASSWORD: "registry-password-error",
                   REGISTRY_CA: "registry-ca-error"}                                                # message under it
REGISTRY_ACTION = "registry-action"      # {"type": REGISTRY_ACTION, "action": "default"|"remove", "registry": name}
REGISTRY_DIALOG = "registry-dialog"      # confirms a removal
REGISTRY_DIALOG_BODY = "registry-dialog-body"
REGISTRY_DIALOG_CONFIRM = "registry-dialog-confirm"
REGISTRY_DIALOG_CANCEL = "registry-dialog-cancel"
REGISTRY_PENDING = "registry-pending"    # store: the registry the dialog would remove
CHART_REPO_CURRENT = "chart-repo-current"
CHART_REPO_URL = "chart-repo-url"
CHART_REPO_URL_ERROR = "chart-repo-url-error"
CHART_REPO_REGISTRY = "chart-repo-registry"
CHART_REPO_SAVE = "chart-repo-save"
DAEMON_TASK_SLOTS = "daemon-task-slots"
DAEMON_TASK_SLOTS_ERROR = "daemon-task-slots-error"
DAEMON_RUNTIME = "daemon-runtime"
DAEMON_NETWORK = "daemon-network"
DAEMON_NETWORK_ERROR = "daemon-network-error"
DAEMON_KANIKO = "daemon-kaniko-image"
DAEMON_KANIKO_ERROR = "daemon-kaniko-image-error"
DAEMON_CHECKOUT_TIMEOUT = "daemon-checkout-timeout"
DAEMON_CHECKOUT_TIMEOUT_ERROR = "daemon-checkout-timeout-error"
DAEMON_LOG_CAP = "daemon-log-cap"
DAEMON_LOG_CAP_ERROR = "daemon-log-cap-error"
DAEMON_SAVE = "daemon-save"

# code repositories
REPOS_TABS = "repos-tabs"
REPOS_COPY = "repos-copy"                    # {"type", "what": homepage|callback|scopes, "forge"}: values to paste
REPOS_CLIENT_ID = "repos-client-id"          # the per-forge form: {"type", "forge"}
REPOS_CLIENT_SECRET = "repos-client-secret"
REPOS_PRIVATE = "repos-private"
REPOS_INSTANCE_URL = "repos-instance-url"
REPOS_CONNECT = "repos-connect"
REPOS_FORM_FEEDBACK = "repos-form-feedback"
REPOS_GO = "repos-go"                        # a Location: the browser goes to the OAuth start route
REPOS_ACCOUNTS = "repos-accounts"            # {"type", "forge"}: the user's accounts on that forge
REPOS_ACTION = "repos-action"                # {"type", "action": deregister, "account": id}
REPOS_FEEDBACK = "repos-feedback"
REPOS_DIALOG = "repos-dialog"                # confirms (or refuses) a deregistration
REPOS_DIALOG_BODY = "repos-dialog-body"
REPOS_DIALOG_CONFIRM = "repos-dialog-confirm"
REPOS_DIALOG_CANCEL = "repos-dialog-cancel"
REPOS_PENDING = "repos-pending"
REPOS_CHANGED = "repos-changed"
