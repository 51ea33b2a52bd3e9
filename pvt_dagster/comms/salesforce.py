"""Salesforce Cases with simple-salesforce: one Case per file and problem kind, found again by
an external id field (an upsert, so a retry never doubles it), closed or commented when a rerun
of the file succeeds. Authentication: ``instance_url`` plus a session token, or an OAuth
client-credentials token URL; a private CA via ``ca_bundle`` (``trust_env`` off so the
environment's CA variables cannot override it)."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from pvt_dagster.config import SalesforceConfig
from pvt_dagster.domain import SLA_MESSAGE_KINDS
from pvt_dagster.errors import ChannelRejectedError, ChannelUnavailableError, ConfigError
from pvt_dagster.ledger import MessageRecord

if TYPE_CHECKING:  # simple-salesforce (zeep, lxml, httpx) and requests are imported where a
    # Case is made: every run worker loads this module
    import requests
    from simple_salesforce.api import Salesforce
    from simple_salesforce.exceptions import SalesforceError

_FOR_GOOD = {300, 400, 404}


def external_id(message: MessageRecord) -> str:
    """The Case's external id: one per file (or client, feed and day) and problem kind."""
    day = message.details.get("day") if message.kind in SLA_MESSAGE_KINDS else None
    parts = [message.client or "-", message.feed or "-",
             message.file_key.rsplit("/", 1)[-1] if message.file_key else
             str(day) if day else "-", message.kind]
    value = "~".join(parts)
    if len(value) > 255 or any(not (c.isalnum() or c in "._-~") for c in value):
        value = "pvt~" + hashlib.sha256(value.encode()).hexdigest()
    return value


class SalesforceCases:
    """Opens, updates and closes Cases; errors become ChannelUnavailable/RejectedError."""

    def __init__(self, config: SalesforceConfig) -> None:
        self.config = config
        self._token: str | None = None
        self.where = f"salesforce {urlsplit(config.instance_url).netloc or config.instance_url}"

    def _http(self) -> requests.Session:
        from pvt_dagster.comms.timeout_session import TimeoutSession

        session = TimeoutSession(self.config.timeout_seconds)
        if self.config.ca_bundle is not None:
            session.verify = str(self.config.ca_bundle)
            session.trust_env = False
        return session

    def _fetch_token(self, session: requests.Session) -> str:
        c = self.config
        if c.session_id is not None:
            return c.session_id.resolve()
        assert c.token_url and c.client_id and c.client_secret, "checked by config check"
        response = session.post(c.token_url, data={
            "grant_type": "client_credentials", "client_id": c.client_id.resolve(),
            "client_secret": c.client_secret.resolve()})
        if response.status_code >= 400:
            raise ChannelUnavailableError(
                f"{self.where}: the token URL answered {response.status_code}")
        try:
            return str(response.json()["access_token"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ChannelUnavailableError(
                f"{self.where}: the token URL gave no access_token") from exc

    def _client(self) -> Salesforce:
        from simple_salesforce.api import Salesforce  # the package re-exports it, no __all__

        session = self._http()
        if self._token is None:
            self._token = self._fetch_token(session)
        return Salesforce(instance_url=self.config.instance_url, session_id=self._token,
                          session=session, version=self.config.api_version)

    def _call(self, action: str, body: Any) -> Any:
        """Run ``body(sobject_type, client)``, translating every third-party error."""
        import requests
        from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

        try:
            client = self._client()
            return body(_sobject(client, self.config.object), client)
        except ConfigError as exc:
            raise ChannelUnavailableError(f"{self.where}: {exc}") from exc
        except SalesforceExpiredSession as exc:
            self._token = None  # fetched again on the next attempt
            raise ChannelUnavailableError(f"{self.where}: {action}: session expired or "
                                          f"invalid (401{_code(exc)})") from exc
        except SalesforceError as exc:
            error = ChannelRejectedError if exc.status in _FOR_GOOD else ChannelUnavailableError
            raise error(f"{self.where}: {action}: {exc.status}{_code(exc)}") from exc
        except requests.RequestException as exc:
            raise ChannelUnavailableError(
                f"{self.where}: {action}: {type(exc).__name__}") from exc

    def upsert_case(self, external_value: str, fields: dict[str, str]) -> str:
        """Create or update the Case with this external id; returns its Id."""
        c = self.config
        data = {**c.fields, **fields, "Status": c.open_status}

        def body(sobject: Any, _client: Salesforce) -> str:
            response = sobject.upsert(f"{c.external_id_field}/{quote(external_value, safe='')}",
                                      data, raw_response=True)
            found = _json_id(response)
            if found:
                return found
            record = sobject.get_by_custom_id(c.external_id_field, external_value)
            return str(record["Id"])

        return str(self._call("upsert Case", body))

    def resolve_case(self, case_id: str, comment: str) -> str:
        """Close the Case (or comment on it when no closed status is set); returns its Id."""
        closed = self.config.closed_status

        def body(sobject: Any, client: Salesforce) -> str:
            if closed:
                sobject.update(case_id, {"Status": closed})
            else:
                comments = _sobject(client, "CaseComment")
                comments.create({"ParentId": case_id, "CommentBody": comment[:4000]})
            return case_id

        return str(self._call("close Case" if closed else "comment on Case", body))


def _sobject(client: Salesforce, name: str) -> Any:
    """The SFType of an object name (``Case``, ``CaseComment``)."""
    return getattr(client, name)


def _json_id(response: requests.Response) -> str | None:
    try:
        data = response.json() if response.content else None
    except json.JSONDecodeError:
        return None
    return str(data["id"]) if isinstance(data, dict) and data.get("id") else None


def _code(exc: SalesforceError) -> str:
    """The first errorCode of a Salesforce error body, never its message text."""
    content: Any = exc.content
    try:
        if isinstance(content, bytes | str):
            content = json.loads(content)
    except ValueError:
        return ""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        code = content[0].get("errorCode")
        return f" {code}" if code else ""
    return ""
