# The iCalendar and RSS feeds.
feeds-description = Cultural events from { $name }
feeds-cancelled = CANCELLED
feeds-postponed = POSTPONED
