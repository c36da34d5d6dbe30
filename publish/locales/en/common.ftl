# Messages shared by every page.
language-name = English
events-count = { $count ->
    [one] { $count } event
   *[other] { $count } events
}

## The page frame (layout.rs).
skip-to-content = Skip to content
language-switch = Language
footer-sources = Sources

## Dates and times.
# "Saturday, December 5, 2026".
date-long = { $weekday }, { $month } { $day }, { $year }
# "8:00 PM", "12:30 AM": $hour12 is 1-12, $pm is 1 after noon.
time-of-day = { $hour12 }:{ $mm } { $pm ->
    [1] PM
   *[other] AM
    }
month-year = { $month } { $year }
when-date-time = { $date }, { $time }
when-same-day = { $start } – { $end }
when-range = { $start } – { $end }
when-all-day = All day
when-until = until { $date }

## An event's status.
status-cancelled = Cancelled
status-postponed = Postponed

## Calendar services.
google-calendar = Google Calendar
