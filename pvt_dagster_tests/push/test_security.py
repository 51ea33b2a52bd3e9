"""The pieces of push intake that keep secrets and areas safe, without a server: argon2 and
bcrypt hashes, ``pvt push hash``, constant-time tokens, the login limiter (on a fake clock),
the Authorization header, and the ``push`` config (TLS off loopback, one owner per user)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import bcrypt
import pytest

from pvt_dagster.cli import main
from pvt_dagster.config.models import LoginLimits, PvtConfig
from pvt_dagster.errors import PushRefusedError
from pvt_dagster.push import (
    Authenticator,
    LoginLimiter,
    hash_password,
    parse_authorization,
    tokens_match,
    verify_password,
)
from pvt_dagster.push.passwords import hash_kind


def test_argon2_and_bcrypt_hashes_verify_and_bad_ones_do_not() -> None:
    hashed = hash_password("s3cret pass")
    assert hashed.startswith("$argon2id$") and hash_kind(hashed) == "argon2"
    assert verify_password(hashed, "s3cret pass")
    assert not verify_password(hashed, "s3cret pas")
    legacy = bcrypt.hashpw(b"old-style", bcrypt.gensalt(rounds=4)).decode()
    assert hash_kind(legacy) == "bcrypt" and verify_password(legacy, "old-style")
    assert not verify_password(legacy, "old-styl") and not verify_password(legacy, "x" * 100)
    for broken in ("", "plain-text-password", "$argon2id$garbage", "$2b$04$short"):
        assert not verify_password(broken, "plain-text-password")
    with pytest.raises(ValueError):
        hash_password("")


def test_pvt_push_hash_reads_the_password_on_stdin(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("from stdin\n"))
    assert main(["push", "hash"]) == 0
    out = capsys.readouterr().out.strip()
    assert verify_password(out, "from stdin") and "from stdin" not in out
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["push", "hash"]) == 2


def test_tokens_compare_equal_only_when_equal() -> None:
    assert tokens_match("abc123", "abc123")
    assert not tokens_match("abc123", "abc124") and not tokens_match("abc123", "abc1234")


def test_the_limiter_locks_out_then_forgets_on_a_fake_clock() -> None:
    now = [1000.0]
    limiter = LoginLimiter(LoginLimits(user_failures=2, address_failures=3, window_seconds=60),
                           clock=lambda: now[0])
    limiter.failed("alice", "10.0.0.1")
    assert limiter.retry_after("alice", "10.0.0.1") is None
    now[0] += 10
    limiter.failed("alice", "10.0.0.1")
    assert limiter.retry_after("alice", "10.0.0.2") == 50  # the user: first failure + 60 s
    assert limiter.retry_after("bob", "10.0.0.1") is None  # address at 2 of 3
    limiter.failed("bob", "10.0.0.1")
    assert limiter.retry_after("bob", "10.0.0.9") is None
    assert limiter.retry_after("carol", "10.0.0.1") == 50  # the address is at its limit
    now[0] += 51
    assert limiter.retry_after("alice", "10.0.0.1") is None  # the oldest aged out


def _basic(pair: str) -> str:
    return "Basic " + base64.b64encode(pair.encode()).decode()


def test_authorization_headers_parse_or_are_refused() -> None:
    creds = parse_authorization(_basic("alice:pa:ss"))
    assert (creds.scheme, creds.user, creds.secret) == ("basic", "alice", "pa:ss")
    assert "pa:ss" not in repr(creds)
    assert parse_authorization("Bearer tok").secret == "tok"
    for bad in (None, "", "Basic", "Basic !!!", _basic("no-colon"), _basic(":nouser"),
                "Digest x", "Bearer "):
        with pytest.raises(PushRefusedError) as caught:
            parse_authorization(bad)
        assert caught.value.status == 401


def test_users_authenticate_by_hash_or_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_HASH", hash_password("pw-a"))
    monkeypatch.setenv("T_TOKEN", "tok-b")
    config = PvtConfig.model_validate({"clients": {
        "a": {"push": {"users": {"ann": {"password_hash": {"env": "T_HASH"}}}}},
        "b": {"push": {"users": {"bot": {"token": {"env": "T_TOKEN"}},
                                 "nohash": {"password_hash": {"env": "T_MISSING"}}}}}}})
    auth = Authenticator(config)
    ann = auth.authenticate(parse_authorization(_basic("ann:pw-a")))
    assert ann is not None and (ann.user, ann.client) == ("ann", "a")
    assert auth.authenticate(parse_authorization(_basic("ann:pw-b"))) is None
    assert auth.authenticate(parse_authorization(_basic("bot:tok-b"))) is None  # tokens: Bearer
    bot = auth.authenticate(parse_authorization("Bearer tok-b"))
    assert bot is not None and (bot.user, bot.client) == ("bot", "b")
    assert auth.authenticate(parse_authorization(_basic("nohash:x"))) is None  # unreadable


def test_push_config_rules() -> None:
    with pytest.raises(ValueError, match="needs tls"):
        PvtConfig.model_validate({"push": {"host": "0.0.0.0"}})
    assert PvtConfig.model_validate({"push": {"host": "127.0.0.1"}}).push.tls is None
    with pytest.raises(ValueError, match="belongs to one client"):
        PvtConfig.model_validate({"clients": {
            "a": {"push": {"users": {"sam": {"token": {"env": "X"}}}}},
            "b": {"push": {"users": {"sam": {"token": {"env": "Y"}}}}}}})
    with pytest.raises(ValueError, match="exactly one"):
        PvtConfig.model_validate({"clients": {"a": {"push": {"users": {"sam": {
            "token": {"env": "X"}, "password_hash": {"env": "Y"}}}}}}})
    with pytest.raises(ValueError, match="not a valid user name"):
        PvtConfig.model_validate({"clients": {"a": {"push": {"users": {
            "sam smith": {"token": {"env": "X"}}}}}}})
    with pytest.raises(ValueError, match="area under the PVT home"):
        PvtConfig.model_validate({"clients": {"a": {"sources": {"up": {
            "kind": "push", "path": "/srv/x", "after_transfer": "delete"}}}}})
    with pytest.raises(ValueError, match="no folders to recurse"):
        PvtConfig.model_validate({"clients": {"a": {"sources": {"up": {
            "kind": "push", "recursive": True, "after_transfer": "delete"}}}}})


def test_config_check_reports_push_problems(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "plain.hash").write_text("not-a-hash\n")
    (tmp_path / "good.hash").write_text(hash_password("pw") + "\n")
    config = tmp_path / "pvt.yaml"
    config.write_text(f"""\
home: {tmp_path / 'home'}
push: {{host: 0.0.0.0, tls: {{cert: missing.pem, key: missing.key}}}}
clients:
  acme:
    sources: {{up: {{kind: push, after_transfer: delete}}}}
    push:
      users:
        ann: {{password_hash: {{file: plain.hash}}}}
        bea: {{password_hash: {{file: good.hash}}}}
    feeds: {{members: {{source: up, pattern: "m_*.csv", decrypt: none}}}}
  globex:
    sources: {{up: {{kind: push, after_transfer: delete}}}}
    feeds: {{orders: {{source: up, pattern: "o_*.csv", decrypt: none}}}}
""")
    assert main(["--config", str(config), "config", "check"]) == 1
    out = capsys.readouterr().out
    assert "push.tls.cert: file" in out and "missing.pem does not exist" in out
    assert "push.users.ann.password_hash: file" in out and "argon2 or bcrypt" in out
    assert "bea" not in out
    assert "no push user of client globex can upload" in out
