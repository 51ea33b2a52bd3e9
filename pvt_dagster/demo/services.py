"""The demo's local services, from the demo config's ``notify`` block: the mail catcher on the
``email`` port (mail in ``<demo>/mail/``) and the Salesforce stand-in on the ``instance_url``
port (Cases in ``<demo>/salesforce/``), both in threads of the calling process."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pvt_dagster.config import PvtConfig
from pvt_dagster.demo.mail import MailCatcher, ensure_port_free
from pvt_dagster.demo.salesforce import SalesforceStandIn
from pvt_dagster.errors import DemoError

SMTP_PORT_ENV = "PVT_DEMO_SMTP_PORT"
SF_PORT_ENV = "PVT_DEMO_SF_PORT"


@dataclass
class DemoServices:
    """The mail catcher and the Salesforce stand-in of one demo folder."""

    folder: Path
    smtp_port: int
    sf_port: int
    token: str
    cert: Path
    key: Path
    mail: MailCatcher | None = None
    salesforce: SalesforceStandIn | None = field(default=None)

    @classmethod
    def for_config(cls, config: PvtConfig) -> DemoServices:
        """The services a demo config's ``notify`` block points at (DemoError if it has none)."""
        if config.path is None:
            raise DemoError("the demo runs from a config file (pvt demo --dir DIR writes one)")
        notify, folder = config.notify, config.path.parent
        sf = notify.salesforce
        if notify.email is None or sf is None or sf.session_id is None or sf.ca_bundle is None:
            raise DemoError(f"{config.path} has no demo notify block (email, salesforce with "
                            "session_id and ca_bundle); it predates the demo's mail and Cases: "
                            "`make demo-reset` deletes the demo folder and starts over")
        sf_port = urlsplit(sf.instance_url).port or 443
        return cls(folder=folder, smtp_port=notify.email.port, sf_port=sf_port,
                   token=sf.session_id.resolve(), cert=sf.ca_bundle,
                   key=sf.ca_bundle.with_name("key.pem"))

    @property
    def mail_dir(self) -> Path:
        """Where every email lands, one ``.eml`` file each."""
        return self.folder / "mail"

    @property
    def cases_dir(self) -> Path:
        """Where every Salesforce Case lands, one ``Case-<Id>.json`` file each."""
        return self.folder / "salesforce"

    def start(self) -> DemoServices:
        """Start both (DemoError naming the variable to change if a port is taken)."""
        ensure_port_free(self.smtp_port, f"the demo's SMTP server; set {SMTP_PORT_ENV}")
        ensure_port_free(self.sf_port, f"the demo's Salesforce stand-in; set {SF_PORT_ENV}")
        self.mail = MailCatcher(port=self.smtp_port, folder=self.mail_dir).start()
        try:
            self.salesforce = SalesforceStandIn(self.cert, self.key, token=self.token,
                                                port=self.sf_port,
                                                folder=self.cases_dir).start()
        except BaseException:
            self.mail.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop both (what they received stays on disk)."""
        if self.salesforce is not None:
            self.salesforce.stop()
            self.salesforce = None
        if self.mail is not None:
            self.mail.stop()
            self.mail = None
