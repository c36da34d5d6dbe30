# The staff console (/admin). French is the reference language.

## Frame
console-name = Console
console-skip = Skip to content
console-language = Language
console-to-portal = See the public calendar
console-back = Back
console-logout = Sign out
console-role-admin = admin
console-role-editor = editor
console-nav-label = Console screens
console-nav-events = Events
console-nav-new-event = Enter an event
console-nav-sources = Sources
console-nav-venues = Venues
console-nav-categories = Categories
console-nav-audit = Audit
console-nav-accounts = Accounts

## Errors
console-forbidden-title = Admins only
console-forbidden-text = This screen is for admins. Ask an admin to do it for you.
console-csrf-title = Form expired
console-csrf-text = This form is no longer valid (the session changed or the page is too old). Reload the page and try again.
console-internal-title = Internal error
console-internal-text = Something failed on our side. Try again in a moment; if it keeps failing, tell whoever runs babillard.
console-error-title = This change could not be made
console-error-gone = This no longer exists: it may have been merged, split or removed by its source. Reload the page.
console-error-invalid-field = The value of the field "{ $field }" is not accepted.
console-error-conflict = This change can no longer be made in the current state (it may have been undone already).
console-error-not-found = Not found: { $what }.
console-error-invalid = { $field }: { $message }
console-error-refused = Refused: { $message }
console-error-failed = The operation failed: { $message }
console-error-check = The configuration would refuse this source:
console-invalid-required = this field is required.
console-invalid-date = this date or time is not valid.
console-invalid-end-before-start = the end must come after the start.
console-invalid-url = give a full address starting with https:// or http://.
console-invalid-choice = there is no such choice.
console-invalid-count = give a number from 1 to 500.
console-invalid-recurrence-end = say until when the event repeats (an end date or a number of times).
console-sources-unavailable = Managing sources is not available in this process. Start babillard with "run" or "serve".

## Login
console-login-title = Sign in
console-login-email = E-mail address
console-login-password = Password
console-login-go = Sign in
console-login-help = No account? An admin can create one for you.
console-login-needed = Your session ended: please sign in again.
console-login-bad = Wrong e-mail address or password.
console-login-too-many = Too many sign-in attempts. Try again in { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}.

## Messages after an action
console-done-unchanged = Nothing changed: no field was different.
console-done-saved = Changes saved. The changed fields are locked: sources will not change them any more.
console-done-unlocked = Field given back to the sources.
console-done-hidden = Event hidden: it no longer shows in the public calendar, the feeds or the widget.
console-done-unhidden = Event visible again.
console-done-merged = Events merged.
console-done-split = Record split out: it is now its own event.
console-done-manual-saved = Event saved; it will be published in a moment.
console-done-manual-deleted = Hand-entered event deleted.
console-done-run = Read started.
console-done-paused = Source paused.
console-done-resumed = Source resumed.
console-done-source-added = Source added and read.
console-done-mapped = Word mapped to the category.
console-done-undone = Change undone.
console-done-account-added = Account created.
console-done-account-removed = Account removed.
console-done-logged-out = You are signed out.

## Fields
console-field-title = Title
console-field-description = Description
console-field-start = Start
console-field-end = End
console-field-all-day = All day
console-field-status = Status
console-field-url = Link
console-field-image = Image (address)
console-field-categories = Categories
console-field-venue = Venue
console-status-scheduled = Scheduled
console-status-cancelled = Cancelled
console-status-postponed = Postponed
console-yes = Yes
console-no = No
console-all = All
console-choose = Choose…
console-all-day-short = all day
console-start-date = Start date
console-start-time = Start time
console-end-date = End date
console-end-time = End time
console-times-in = Times in { $zone }.
console-venue-none = No venue

## Events
console-events-title = Events
console-search-q = Search
console-search-from = From
console-search-to = To
console-search-go = Search
console-search-bad = The filter "{ $parameter }" is not understood: here are the upcoming events.
console-source = Source
console-events-found = { $count ->
    [0] No events
    [one] { $count } event
   *[other] { $count } events
}
console-events-none = No event matches this search.
console-next-page = Next events →
console-col-when = When
console-col-sources = Sources
console-col-state = State
console-col-events = Events
console-col-actions = Actions
console-col-records = Records
console-col-field = Field
console-col-value = Published value
console-col-from = Comes from
console-locked = Locked
console-hidden = Hidden
console-hidden-title = Hidden events
console-hidden-help = They show nowhere in public; sources may keep listing them.
console-hidden-none = No hidden events.
console-hidden-explain = This event does not show in public.
console-unhide = Make visible
console-hide = Hide
console-hide-confirm = Hide this event from the public?
console-hide-help = A hidden event leaves the calendar, the feeds, the pages and the widget; subscribers see it cancelled, then gone.
console-whole-series = the whole series
console-visibility = Visibility

## One event
console-no-event-title = Event not found
console-no-event-text = No event has the id { $id }.
console-event-id = Id
console-series-id = series
console-public-page = See the public page
console-fields-title = Where each field comes from
console-fields-help = For each published field: the source whose record gives this value, or a person who set it.
console-set-by-person = Set by a person
console-unlock = Give back to the sources
console-from-merge = Put together from several records
console-records-title = { $count ->
    [one] The source's record
   *[other] The { $count } records of the sources, side by side
}
console-records-help = What each source says about this event. Values equal to the published one have a green mark.
console-record-uid = Record
console-record-link = The source's page
console-same-as-public = same as the published value
console-edit-title = Correct
console-edit-help = Only the fields you change are saved, and they are locked: later reads of the sources will not change them until you give them back to the sources.
console-save-lock = Save and lock
console-venue-seen = venue seen in the sources
console-curate-title = Hide, merge, split
console-merge-title = Merge with…
console-merge-ids = Ids or addresses of the other events
console-merge-help = Paste one or more event ids or event page addresses, separated by spaces or commas. The merge holds on later reads.
console-merge = Merge
console-merge-needs-ids = Name at least one other event to merge with this one.
console-split-title = Split a source out
console-split-source = Source to split out
console-split-help = That source's record becomes its own event, now and on later reads.
console-split-confirm = Split this source's record out?
console-split = Split

## Hand-entered events
console-manual-title = Enter an event
console-manual-help = For a member with no feed: the event is published like those of the sources, and deduplicated with them.
console-manual-in = In { $language }
console-lang-fr = French
console-lang-en = English
console-manual-when = When
console-recurrence = Repeats
console-recurrence-none = Once
console-recurrence-weekly = Every week
console-recurrence-monthly = Every month
console-recurrence-dates = On given dates
console-recurrence-until = Until
console-recurrence-count = Number of times
console-recurrence-dates-list = Dates
console-recurrence-dates-help = One date per line, as YYYY-MM-DD; the time is the start's.
console-manual-save = Save the event
console-manual-edit = Edit this hand-entered event
console-manual-delete = Delete this hand-entered event
console-manual-delete-confirm = Delete this hand-entered event for good?
console-manual-saved = Events entered by hand
console-manual-none = No event entered by hand yet.
console-manual-by = by { $who }, on { $date }

## Sources
console-sources-title = Sources
console-sources-summary = { $total } sources: { $ok } OK, { $failing } failing.
console-source-ok = ● OK
console-source-warning = ▲ Needs attention
console-source-error = ▲ Error
console-source-never = ○ Never read
console-last-success = Last success
console-last-error = Last error
console-next-run = Next run
console-warnings = { $count ->
    [one] { $count } warning
   *[other] { $count } warnings
}
console-run-now = Read now
console-pause = Pause
console-resume = Resume
console-add-member = Add a member
console-add-help = Paste the address of the member's calendar, feed or events page: babillard shows you what it finds there before saving anything.
console-source-url = Address
console-source-url-help = For example https://example.org/events or the address of an .ics file.
console-preview = See what is there
console-preview-busy = Reading the address…
console-preview-found = { $count ->
    [0] No events found
    [one] { $count } event found
   *[other] { $count } events found
}
console-preview-kind = Kind of source recognized: { $kind }
console-preview-events = First events
console-preview-more = … and { $count } more.
console-add-save-title = Save the source
console-source-name = Name
console-source-id = Id
console-source-id-help = Lowercase letters, digits and dashes; it never changes afterwards.
console-source-lang = Language of the texts
console-source-priority = Priority
console-source-venue = Default venue
console-source-schedule = Reading schedule (cron)
console-source-schedule-help = Leave empty for the default schedule. Example: "0 * * * *" reads the source every hour.
console-add-save = Save and read now

## Venues and categories
console-venues-title = Venues
console-venues-help = The gazetteer, then the venues sources name that it does not know, with the number of upcoming events.
console-venue-address = Address
console-venue-coordinates = Coordinates
console-venue-kind = Origin
console-venue-gazetteer = gazetteer
console-categories-title = Categories
console-taxonomy = The categories
console-category = Category
console-category-slug = Code
console-unmapped-title = Words with no category
console-unmapped-help = The words sources give as categories that match none. Map them to a category: later reads will file them.
console-unmapped-none = Every word of the sources matches a category.
console-word = Word
console-map-to = Map to
console-map-label = Category for "{ $word }"
console-map = Map

## Audit
console-audit-title = Audit trail
console-audit-help = Every change a person made, newest first. "Undo" puts back what was there before.
console-audit-none = No changes yet.
console-audit-at = When
console-audit-who = Who
console-audit-action = Action
console-audit-target = Target
console-audit-before = Before
console-audit-after = After
console-undo = Undo
console-undo-confirm = Undo this change?
console-undone-by = undone (no. { $id })
console-older = Older changes →

## Accounts
console-accounts-title = Accounts
console-account-email = E-mail address
console-account-role = Role
console-account-since = Since
console-account-you = you
console-account-remove = Remove
console-account-remove-confirm = Remove the account { $email }? Its sessions end at once.
console-account-remove-self = You cannot remove your own account.
console-account-add = Add an account
console-account-password-help = At least { $count } characters.
console-account-save = Create the account
console-account-bad-email = This e-mail address is not valid.
console-account-exists = This address already has an account.

# Venues: edit and merge
console-venue-actions = Correct
console-venue-edit = Edit this venue
console-venue-add = Add to the gazetteer
console-venue-city = City
console-venue-lat = Latitude
console-venue-lon = Longitude
console-venue-save = Save the venue
console-venue-merge-into = Merge into
console-venue-merge = Merge
console-venue-unknown = This venue no longer exists.
console-invalid-number = a number is expected
console-done-venue-saved = Venue saved; the sources are read again.
console-done-venue-merged = Venues merged: the name is learned as another name; the sources are read again.
console-source-paused = ‖ Paused
console-source-new-schedule = New schedule (cron)
console-source-reschedule = Change
console-done-rescheduled = Schedule changed.
console-source-builtin = built-in source
