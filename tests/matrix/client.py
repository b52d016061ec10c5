"""A plain-HTTP Matrix client for the tests (what a person's Element would do)."""

import json
import secrets
import time
import urllib.parse
import urllib.request

from tests.matrix.synapse import MatrixUser, Synapse


class Person:
    """One test user talking to Synapse over plain HTTP (blocking; tests call it from threads or sync code)."""

    def __init__(self, synapse: Synapse, user: MatrixUser) -> None:
        self.synapse = synapse
        self.user = user
        self.user_id = user.user_id
        self._since: str | None = None

    def request(self, method: str, path: str, body: dict | None = None, query: dict | None = None) -> dict:
        """Call the client API; raise urllib.error.HTTPError on an error answer."""
        url = f"{self.synapse.base_url}/_matrix/client/v3{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.user.access_token}", "Content-Type": "application/json"}
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"{}")

    def create_room(self, name: str, *, invite: list[str] = (), encrypted: bool = False) -> str:
        """Create a room (public chat preset, unencrypted unless asked) and return its id."""
        body: dict = {"name": name, "preset": "public_chat", "invite": list(invite)}
        if encrypted:
            body["initial_state"] = [
                {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}
            ]
        return self.request("POST", "/createRoom", body)["room_id"]

    def join(self, room_id: str) -> None:
        """Join a room (or accept an invitation)."""
        self.request("POST", f"/join/{urllib.parse.quote(room_id)}", {})

    def say(self, room_id: str, body: str) -> str:
        """Send a text message and return its event id."""
        path = f"/rooms/{urllib.parse.quote(room_id)}/send/m.room.message/{secrets.token_hex(8)}"
        return self.request("PUT", path, {"msgtype": "m.text", "body": body})["event_id"]

    def react(self, room_id: str, event_id: str, key: str) -> str:
        """React to an event with an emoji and return the reaction's event id."""
        path = f"/rooms/{urllib.parse.quote(room_id)}/send/m.reaction/{secrets.token_hex(8)}"
        relates = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        return self.request("PUT", path, relates)["event_id"]

    def set_power(self, room_id: str, user_id: str, level: int) -> None:
        """Give a user a power level in a room."""
        path = f"/rooms/{urllib.parse.quote(room_id)}/state/m.room.power_levels"
        levels = self.request("GET", path)
        levels.setdefault("users", {})[user_id] = level
        self.request("PUT", path, levels)

    def messages(self, room_id: str, limit: int = 100) -> list[dict]:
        """Return the room's recent events, oldest first."""
        path = f"/rooms/{urllib.parse.quote(room_id)}/messages"
        return list(reversed(self.request("GET", path, query={"dir": "b", "limit": str(limit)})["chunk"]))

    def texts_from(self, room_id: str, sender: str) -> list[dict]:
        """Return the m.room.message contents a sender posted in a room, oldest first."""
        return [
            e["content"]
            for e in self.messages(room_id)
            if e["type"] == "m.room.message" and e["sender"] == sender and "m.new_content" not in e["content"]
        ]

    def wait_for(self, room_id: str, sender: str, predicate, timeout: float = 30.0) -> dict:
        """Wait until a message from sender in the room matches predicate; return its content."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for content in self.texts_from(room_id, sender):
                if predicate(content):
                    return content
            time.sleep(0.2)
        seen = [c.get("body", "")[:80] for c in self.texts_from(room_id, sender)]
        raise AssertionError(f"no matching message from {sender} in {timeout} s; saw {seen}")

    def invites(self) -> list[str]:
        """Return the rooms this person is invited to now."""
        answer = self.request("GET", "/sync", query={"timeout": "0"})
        return list(answer.get("rooms", {}).get("invite", {}))


__all__ = ["Person"]
