"""A fresh DKIM key pair for tests that sign mail (openssl, installed by `make system`)."""

import base64
import subprocess
from pathlib import Path


def dkim_key_make(private: Path) -> bytes:
    """Write an RSA private key to `private`; return the public key's DNS `p=` value."""
    subprocess.run(
        ["openssl", "genrsa", "-traditional", "-out", str(private), "2048"],
        check=True,
        capture_output=True,
    )
    der = subprocess.run(
        ["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    return base64.b64encode(der)
