"""Regex detectors for personal data and secrets in text.

Allowed on purpose (documented in the Data Card): placeholder e-mail domains reserved by
RFC 2606/6761 (``example.com``, ``*.example``, ``*.test``, ...) and SSH remotes like
``git@github.com``; IPv4 addresses that are not globally routable (private, loopback,
link-local, the RFC 5737 documentation ranges such as 192.0.2.x, netmasks) and the
well-known public DNS resolvers. Any phone number, key or token is flagged.
"""

from __future__ import annotations

import ipaddress
import re

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})\b")
PHONE = re.compile(
    r"(?<![\w.])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{4}(?!\w|\.\d)"
)
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d|\w)")
SECRETS = re.compile(
    r"AKIA[0-9A-Z]{16}"  # AWS access key id
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{30,}"  # GitHub tokens
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"  # Slack tokens
    r"|\bsk-[A-Za-z0-9_-]{20,}"  # OpenAI-style secret keys
    r"|\bAIza[0-9A-Za-z_-]{35}"  # Google API keys
    r"|-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"
    r"|(?i:\b(?:api[_-]?key|secret|token|password)\b\s*[:=]\s*['\"]?)[A-Za-z0-9/+_.-]{16,}"
)
PLACEHOLDER_DOMAINS = ("example.com", "example.org", "example.net")
PLACEHOLDER_TLDS = (".example", ".test", ".invalid", ".localhost", ".local")
PUBLIC_RESOLVERS = frozenset(
    {"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112",
     "208.67.222.222", "208.67.220.220"}
)  # fmt: skip


def _is_placeholder_email(match: re.Match) -> bool:
    domain = match.group(1).lower()
    local = match.group(0).split("@", 1)[0].lower()
    if local == "git":  # SSH remotes such as git@github.com:org/repo.git
        return True
    return domain in PLACEHOLDER_DOMAINS or domain.endswith(
        tuple("." + d for d in PLACEHOLDER_DOMAINS) + PLACEHOLDER_TLDS
    )


def _is_allowed_ip(text: str) -> bool:
    try:
        address = ipaddress.IPv4Address(text)
    except ipaddress.AddressValueError:
        return True  # not an address at all (e.g. a version number such as 10.0.19045.1)
    return not address.is_global or text in PUBLIC_RESOLVERS


def find_pii(text: str) -> list[tuple[str, str]]:
    """All (kind, matched text) found in ``text``; kinds: email, phone, ipv4, secret."""
    found = [("email", m.group(0)) for m in EMAIL.finditer(text) if not _is_placeholder_email(m)]
    found += [("phone", m.group(0)) for m in PHONE.finditer(text)]
    found += [("ipv4", m.group(0)) for m in IPV4.finditer(text) if not _is_allowed_ip(m.group(0))]
    found += [("secret", m.group(0)) for m in SECRETS.finditer(text)]
    return found
