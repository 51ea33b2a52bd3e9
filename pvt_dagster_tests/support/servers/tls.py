"""A throwaway self-signed certificate for 127.0.0.1 and localhost, for TLS test servers (the
product's demo code makes it: ``pvt_dagster.demo.tls``)."""

from __future__ import annotations

from pvt_dagster.demo.tls import self_signed

__all__ = ["self_signed"]
