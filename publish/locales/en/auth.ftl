# Signing in, and the refusals of the staff API.
auth-signed-out = Sign in first: your session ended or you are not signed in.
auth-bad-token = This API token is unknown or was revoked. Ask an administrator for a new one.
auth-csrf-missing = The anti-forgery token (X-CSRF-Token header) is missing. Reload the page and try again.
auth-csrf-wrong = The anti-forgery token does not match your session. Reload the page and try again.
auth-bad-credentials = Wrong e-mail address or password.
auth-forbidden = Your role does not allow this. Ask an administrator.
auth-too-many = Too many failed sign-ins. Try again in { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}.
auth-cross-site = Request refused: it comes from a page of another site. Open the console at its own address.
auth-invalid-email = Give a valid e-mail address (for example name@example.org).
auth-password-missing = Give your password.
auth-password-short = The password must have at least 12 characters.
auth-invalid-role = The role must be "admin" or "editor".
auth-invalid-calendars = Calendars must be a list of ids.
auth-bad-body = The request must be a JSON object (Content-Type: application/json).
auth-account-exists = An account already exists for this e-mail address.
auth-no-account = No account for this e-mail address.
auth-remove-self = You cannot remove your own account.
auth-internal = Internal server error. Try again; if it persists, read the log.

# The `user` and `token` commands.
cli-bad-calendar = "{ $id }" is not a calendar id (lowercase letters, digits and hyphens).
cli-unknown-calendar = No calendar "{ $id }" in the configuration: --calendar names a [[calendar]] of sources.toml ({ $count ->
    [0] none is configured
   *[other] configured: { $known }
}).
cli-password-prompt = Password (at least { $min } characters, on one line):
cli-password-unreadable = Cannot read the password from standard input.
cli-password-missing = No password given: write it on one line of standard input.
cli-password-short = The password must have at least { $min } characters.
cli-bad-email = "{ $email }" is not a valid e-mail address.
cli-account-exists = An account already exists for { $email }.
cli-account-created = Account { $email } created (role { $role }).
cli-all-calendars = (all calendars)
cli-no-account = No account for { $email }.
cli-account-removed = Account { $email } removed; its sessions are closed.
cli-password-changed = Password of { $email } changed; its sessions are closed.
cli-bad-token-name = A token's name has 1 to 64 unaccented letters, digits, "-", "_" or "." (no "@": it is not an account).
cli-token-exists = A token named { $name } already exists (even revoked): choose another name.
cli-token-created = Token { $name } created (role { $role }). It is shown once, on standard output: keep it now.
cli-token-revoked-at = (revoked { $at })
cli-no-token = No live token named { $name }.
cli-token-revoked = Token { $name } revoked.
