"""The test homeserver itself: it starts, registers users by shared secret and refuses open registration."""

import json
import urllib.error
import urllib.request

import pytest

from tests.matrix.synapse import Synapse


def test_registered_users_can_call_the_client_api(synapse: Synapse, register) -> None:
    """A user registered through the admin API gets a working access token."""
    alice = register("alice")
    request = urllib.request.Request(
        f"{synapse.base_url}/_matrix/client/v3/account/whoami",
        headers={"Authorization": f"Bearer {alice.access_token}"},
    )
    with urllib.request.urlopen(request) as response:
        assert json.load(response)["user_id"] == alice.user_id


def test_open_registration_is_refused(synapse: Synapse) -> None:
    """Nobody can register without the shared secret."""
    body = json.dumps({"username": "mallory", "password": "x" * 12, "auth": {"type": "m.login.dummy"}}).encode()
    request = urllib.request.Request(
        f"{synapse.base_url}/_matrix/client/v3/register", data=body, headers={"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    assert caught.value.code == 403
