"""The server's expected failures, typed, with a machine code and words for a person.

    DomainError (code, message, retry_after)      HTTP (server.api.errors)   exit code (server.cli)
    ├── NotSignedIn      "auth"                   401 + WWW-Authenticate     1
    │     tokens.InvalidToken
    ├── Refused          "forbidden"              403                        1
    ├── NotFound         "not_found"              404                        1
    ├── Conflict         "conflict"               409                        1
    ├── Invalid          "invalid_request"        422                        1
    │     payments.cards.CardUnusable
    ├── TooManyAttempts  "too_many_attempts"      429 + Retry-After          1
    ├── Unreachable      "gateway_unreachable"    502                        1
    │     payments.gateway.GatewayError, GatewayUnreachable
    ├── Busy             "busy"                   503 + Retry-After          1
    └── OperatorError    "server_error"           500, its words only logged 1 (SchemaTooNew: 2)
          accounts.AdminError, backup.BackupError, mover.MoveError, placement.PlacementError,
          secrets_box.SecretKeyError, migrate.MigrationError (SchemaTooNew, SchemaUnknown)

The kind says what the caller can do about it (sign in, ask a manager, fix the input, wait and
send again); `code` is the finer machine word the desk may branch on (e.g. Invalid("…",
"key_reused")). The deep code raises these and knows nothing of HTTP or terminals: the error
handlers (server.api.errors) turn them into status codes and the JSON error body, the admin
commands (server.cli) into exit codes.
"""

from __future__ import annotations

BAD_CREDENTIALS = "Wrong account, username or password."
SIGN_IN_AGAIN = "Your session has ended. Please sign in again."
UNREACHABLE = "The server could not reach this account's data just now. Please try again in a moment."


class DomainError(Exception):
    """Base of the tree; raise one of its kinds. `message` is ready to show as it is."""

    CODE = "error"

    def __init__(self, message: str, code: str | None = None, *, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.CODE
        self.retry_after = retry_after  # seconds; the same request may succeed after that long

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}, retry_after={self.retry_after!r})"


class NotSignedIn(DomainError):
    """No sign-in, or one the server no longer accepts (expired, revoked, staff disabled)."""

    CODE = "auth"

    def __init__(self, message: str = SIGN_IN_AGAIN, code: str | None = None):
        super().__init__(message, code)


class Refused(DomainError):
    """Signed in, but not allowed: a permission, or a desk the account does not know."""

    CODE = "forbidden"


class NotFound(DomainError):
    CODE = "not_found"


class Conflict(DomainError):
    """The request clashes with the server's state (a name taken, a check in progress)."""

    CODE = "conflict"


class Invalid(DomainError):
    """The request itself cannot be done as asked; sending it again changes nothing."""

    CODE = "invalid_request"


class TooManyAttempts(DomainError):
    CODE = "too_many_attempts"


class Unreachable(DomainError):
    """A service the server needs (the card gateway) did not answer; nothing is known yet."""

    CODE = "gateway_unreachable"


class Busy(DomainError):
    """The account's data is out of reach for a moment (being moved); nothing was written."""

    CODE = "busy"


class OperatorError(DomainError):
    """Only the server's operator can act on it: an admin command that cannot be done, or the
    server's set-up (no key, a schema this code will not touch). Its words are for the terminal;
    a desk that meets one mid-request gets the server's usual "had a problem" (a 500)."""

    CODE = "server_error"


KINDS: tuple[type[DomainError], ...] = (
    NotSignedIn, Refused, NotFound, Conflict, Invalid, TooManyAttempts, Unreachable, Busy, OperatorError,
)  # fmt: skip


def bad_credentials() -> NotSignedIn:
    return NotSignedIn(BAD_CREDENTIALS, "bad_credentials")
