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
