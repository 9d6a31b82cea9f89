"""A connected code repository account on a fake forge instance, made the way a user makes
one (register the OAuth application, consent on the forge, the code exchanged for tokens)
but without the dashboard, for tests of what uses an account (checkout, pickers)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from models import forge_accounts, forge_client

REDIRECT = "http://localhost/repository/{kind}/redirect"


def connected_account(instance, owner: str = "tester", login: str = "octocat"):
    redirect = REDIRECT.format(kind=instance.kind)
    app = instance.register_app(redirect)
    account = forge_accounts.register(owner, instance.kind, app.client_id, app.client_secret, instance.url)
    instance.sign_in(login)
    url, _state, verifier = forge_client.authorization_url(account, redirect)
    answer = requests.post(url, data={"decision": "approve"}, allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    tokens = forge_client.exchange_code(account, redirect, code, verifier)
    name, user_id = forge_client.fetch_user(account, tokens.access_token)
    return forge_accounts.store_tokens(account.id, tokens, login=name, forge_user_id=user_id, actor=owner)
